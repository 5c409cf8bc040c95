package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"reflect"
	"regexp"
	"slices"
)

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

// MigrateTo is Migrate up to and including the migration version, so that
// a test can build the database an older release left behind.
func (s *Store) MigrateTo(ctx context.Context, version string) error {
	ms, err := loadMigrations(s.d.migrations)
	if err != nil {
		return err
	}
	var upTo []migration
	for _, m := range ms {
		if m.version <= version {
			upTo = append(upTo, m)
		}
	}
	return s.migrate(ctx, upTo)
}

// AppliedMigrations returns the versions schema_migrations holds, sorted.
func (s *Store) AppliedMigrations(ctx context.Context) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	applied, err := appliedVersions(ctx, tx, s.d.q.appliedMigrations)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(applied)), nil
}

// Dialect returns the store's dialect name, as Statements and Migrations
// take it.
func (s *Store) Dialect() string { return s.d.name }

var paramRE = regexp.MustCompile(`@(\w+)`)

// QueryPlan returns the detail lines of SQLite's EXPLAIN QUERY PLAN for the
// statement name. Every parameter is NULL: SQLite plans without looking at
// the values.
func (s *Store) QueryPlan(ctx context.Context, name string) ([]string, error) {
	stmt := Statements(s.d.name)[name]
	seen := map[string]bool{}
	var args []any
	for _, m := range paramRE.FindAllStringSubmatch(stmt, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			args = append(args, sql.Named(m[1], nil))
		}
	}
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}
