package sqlstore

import "reflect"

// This file lets the external tests check the SQL of a dialect without a
// server for it.

var dialects = map[string]*dialect{"sqlite": sqliteDialect, "mssql": mssqlDialect}

// Statements returns every statement of the dialect ("sqlite" or "mssql")
// by its field name in queries.
func Statements(name string) map[string]string {
	v := reflect.ValueOf(*dialects[name].q)
	out := map[string]string{}
	for i := range v.NumField() {
		out[v.Type().Field(i).Name] = v.Field(i).String()
	}
	return out
}

// Migrations returns the statements of each migration file of the dialect,
// by version.
func Migrations(name string) (map[string][]string, error) {
	ms, err := loadMigrations(dialects[name].migrations)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range ms {
		out[m.version] = m.statements
	}
	return out, nil
}

// SplitStatements is splitStatements.
var SplitStatements = splitStatements

// SQLitePath is sqlitePath.
var SQLitePath = sqlitePath
