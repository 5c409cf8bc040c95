package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one file of a dialect's migrations directory.
type migration struct {
	version    string // the file name without ".sql"; files apply in name order
	statements []string
}

// Migrate brings the schema up to date: it applies, in name order, every
// migration file not yet in schema_migrations, all in one transaction.
// Running it again does nothing, and two processes running it at once
// serialise (SQLite: the write lock taken at BEGIN; SQL Server: an applock).
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.migrations)
	if err != nil {
		return err
	}
	return s.migrate(ctx, ms)
}

// migrate applies those of ms not yet applied, in one transaction.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()

	if s.d.q.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, s.d.q.lockMigrations); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.q.createMigrations); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx, s.d.q.appliedMigrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for i, stmt := range m.statements {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate %s, statement %d: %w", m.version, i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.q.insertMigration,
			sql.Named("version", m.version), sql.Named("applied_at", s.d.timeArg(s.now()))); err != nil {
			return fmt.Errorf("migrate %s: record: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx, query string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// loadMigrations reads a dialect's migration files in name order.
func loadMigrations(dir string) ([]migration, error) {
	names, err := fs.Glob(migrationFS, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var ms []migration
	for _, name := range names {
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		stmts, err := splitStatements(string(b))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: strings.TrimSuffix(path.Base(name), ".sql"), statements: stmts})
	}
	return ms, nil
}

// splitStatements cuts a migration file into statements, because SQL
// Server wants some DDL alone in its batch and the driver sends one batch
// per Exec. A statement ends with a line whose last character is ";";
// lines starting with "--" are comments. (A statement with inner
// semicolons at line ends, such as a trigger body, would need more.)
func splitStatements(src string) ([]string, error) {
	var stmts []string
	var cur []string
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur = append(cur, strings.TrimRight(line, " \t\r"))
		if strings.HasSuffix(t, ";") {
			stmts = append(stmts, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	if len(cur) > 0 {
		return nil, fmt.Errorf("statement not ended by ';': %q", strings.Join(cur, "\n"))
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("no statements")
	}
	return stmts, nil
}
