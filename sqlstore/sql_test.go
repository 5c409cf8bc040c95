package sqlstore_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests read the SQL of both dialects without a server: the SQL
// Server dialect has no other check where none is running.

var paramRE = regexp.MustCompile(`@[A-Za-z_]+`)

// params returns the named parameters a statement uses. SQL Server's own
// variables (DECLARE @x) are not parameters.
func params(stmt string) []string {
	set := map[string]bool{}
	for _, p := range paramRE.FindAllString(stmt, -1) {
		if !strings.Contains(stmt, "DECLARE "+p) && !strings.HasPrefix(p, "@Lock") && p != "@Resource" {
			set[p] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// words reports whether stmt, without its parameters, holds the SQL word
// w (case-insensitive).
func hasWord(stmt, w string) bool {
	s := paramRE.ReplaceAllString(stmt, "")
	return regexp.MustCompile(`(?i)(^|[^A-Za-z_])` + regexp.QuoteMeta(w) + `($|[^A-Za-z_])`).MatchString(s)
}

var (
	setClauseRE = regexp.MustCompile(`(?is)\bSET\b(.*?)(?:\bWHERE\b|\bOUTPUT\b|\bRETURNING\b|\bWHEN\b|$)`)
	setColumnRE = regexp.MustCompile(`(?:^|,)\s*(\w+)\s*=`)
)

// setColumns returns the columns the SET clauses of a statement (UPDATE,
// upsert) write.
func setColumns(stmt string) []string {
	set := map[string]bool{}
	for _, clause := range setClauseRE.FindAllStringSubmatch(stmt, -1) {
		for _, m := range setColumnRE.FindAllStringSubmatch(clause[1], -1) {
			set[strings.ToLower(m[1])] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func TestStatements(t *testing.T) {
	lite, ms := sqlstore.Statements("sqlite"), sqlstore.Statements("mssql")
	require.Equal(t, slices.Sorted(maps.Keys(lite)), slices.Sorted(maps.Keys(ms)))

	for name, tsql := range ms {
		t.Run(name, func(t *testing.T) {
			assert.NotEmpty(t, strings.TrimSpace(tsql), "T-SQL statement")
			// SQLite serialises Migrate by its BEGIN IMMEDIATE alone.
			if name != "lockMigrations" {
				assert.NotEmpty(t, strings.TrimSpace(lite[name]), "SQLite statement")
			}
			// The Go passes the same named arguments to both.
			assert.Equal(t, params(lite[name]), params(tsql), "parameters")
			for _, w := range []string{"LIMIT", "RETURNING", "ON CONFLICT", "excluded", "json_each", "AUTOINCREMENT", "STRICT", "?", "IFNULL", "TRUE", "FALSE"} {
				assert.False(t, hasWord(tsql, w), "T-SQL uses %s", w)
			}
			for _, w := range []string{"TOP", "OUTPUT", "MERGE", "OPENJSON", "NVARCHAR", "UPDLOCK", "HOLDLOCK", "GETUTCDATE"} {
				assert.False(t, hasWord(lite[name], w), "SQLite statement uses %s", w)
			}
			// MERGE must end with one, and the rest follow suit.
			assert.True(t, strings.HasSuffix(strings.TrimSpace(tsql), ";"), "T-SQL statement not ended by ';'")
			// Both write the same columns.
			if hasWord(tsql, "UPDATE") {
				assert.NotEmpty(t, setColumns(tsql), "columns in SET")
			}
			assert.Equal(t, setColumns(lite[name]), setColumns(tsql), "columns in SET")
			assert.Equal(t, strings.Count(tsql, "("), strings.Count(tsql, ")"), "unbalanced parentheses")
			assert.Equal(t, 0, strings.Count(tsql, "'")%2, "unbalanced quotes")
		})
	}
}

var (
	createTableRE = regexp.MustCompile(`(?is)^CREATE TABLE (\w+) \((.*)\)[^)]*;$`)
	createIndexRE = regexp.MustCompile(`(?is)^CREATE (UNIQUE )?INDEX (\w+) ON (\w+) \(([^)]*)\)(.*);$`)
)

// schema describes the tables and indexes a dialect's migrations create,
// in words both dialects share.
func schema(tb testing.TB, stmts []string) []string {
	tb.Helper()
	var out []string
	for _, st := range stmts {
		if m := createTableRE.FindStringSubmatch(st); m != nil {
			var cols []string
			for _, line := range strings.Split(m[2], "\n") {
				f := strings.Fields(line)
				if len(f) == 0 || strings.EqualFold(f[0], "CONSTRAINT") {
					continue
				}
				cols = append(cols, f[0])
			}
			out = append(out, "table "+m[1]+": "+strings.Join(cols, " "))
			continue
		}
		if m := createIndexRE.FindStringSubmatch(st); m != nil {
			kind := "index "
			if m[1] != "" {
				kind = "unique index "
			}
			// A filter compares the same in both once T-SQL's N'' is gone.
			filter := strings.Join(strings.Fields(strings.ReplaceAll(m[5], "N'", "'")), " ")
			out = append(out, kind+m[2]+" on "+m[3]+"("+strings.Join(strings.Fields(m[4]), "")+") "+filter)
			continue
		}
		tb.Errorf("statement is neither CREATE TABLE nor CREATE INDEX: %q", st)
	}
	return out
}

func TestMigrationFiles(t *testing.T) {
	lite, err := sqlstore.Migrations("sqlite")
	require.NoError(t, err)
	ms, err := sqlstore.Migrations("mssql")
	require.NoError(t, err)
	require.NotEmpty(t, lite)
	require.Equal(t, slices.Sorted(maps.Keys(lite)), slices.Sorted(maps.Keys(ms)), "each migration exists for both dialects")

	for version, tsql := range ms {
		t.Run(version, func(t *testing.T) {
			for _, st := range tsql {
				for _, w := range []string{"AUTOINCREMENT", "STRICT", "TEXT", "INTEGER", "BLOB", "IF NOT EXISTS"} {
					assert.False(t, hasWord(st, w), "T-SQL migration uses %s: %q", w, st)
				}
				assert.Equal(t, strings.Count(st, "("), strings.Count(st, ")"), "unbalanced parentheses: %q", st)
			}
			for _, st := range lite[version] {
				for _, w := range []string{"NVARCHAR", "VARBINARY", "DATETIME2", "BIGINT", "IDENTITY", "COLLATE"} {
					assert.False(t, hasWord(st, w), "SQLite migration uses %s: %q", w, st)
				}
			}
			// The same tables, columns and indexes in both, so that the
			// shared Go fits either.
			assert.Equal(t, schema(t, lite[version]), schema(t, tsql))
		})
	}
}

func TestSplitStatements(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string
		err  bool
	}{
		{
			name: "OK",
			src:  "-- a comment;\nCREATE TABLE t (\n    a INT -- note\n);\n\nCREATE INDEX i ON t (a);\n",
			want: []string{"CREATE TABLE t (\n    a INT -- note\n);", "CREATE INDEX i ON t (a);"},
		},
		{name: "ErrUnterminated", src: "CREATE TABLE t (a INT);\nCREATE INDEX i ON t (a)\n", err: true},
		{name: "ErrEmpty", src: "-- nothing\n", err: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqlstore.SplitStatements(tt.src)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
