package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// migration is one numbered, forward-only schema step. Statements use
// placeholders that differ per engine: {{ts}} (timestamp with zone),
// {{bigint}}, {{bool}}, {{concat_agg}} (the aggregate that concatenates
// text with a separator: group_concat or string_agg), {{instr}} (the
// position of a substring: instr or strpos, both (text, substring)).
type migration struct {
	version int
	name    string
	stmts   []string
}

// registered holds every migration; each feature registers its own steps
// from an init function in its own file (migrations_<feature>.go), and
// Migrate applies them in version order. Versions are never reused.
var registered = map[int]migration{}

func register(ms ...migration) {
	for _, m := range ms {
		if _, dup := registered[m.version]; dup {
			panic(fmt.Sprintf("migration %d registered twice", m.version))
		}
		registered[m.version] = m
	}
}

// ordered returns the registered migrations by version.
func ordered() []migration {
	out := make([]migration, 0, len(registered))
	for _, m := range registered {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out
}

// migrationLockKey is the PostgreSQL advisory lock held while migrating, so
// nodes started at the same moment do not race.
const migrationLockKey = 7_451_220_001

var dialectTypes = map[string]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{ts}}", "DATETIME", "{{bigint}}", "INTEGER", "{{bool}}", "BOOLEAN", "{{concat_agg}}", "group_concat", "{{instr}}", "instr"),
	Postgres: strings.NewReplacer("{{ts}}", "TIMESTAMPTZ", "{{bigint}}", "BIGINT", "{{bool}}", "BOOLEAN", "{{concat_agg}}", "string_agg", "{{instr}}", "strpos"),
}

// Migrate brings the schema to the newest version and returns the versions it
// applied. All pending steps run in one transaction.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	return s.migrateTo(ctx, LatestSchemaVersion())
}

// migrateTo applies the pending migrations up to version (tests of a
// migration start from the schema before it).
func (s *Store) migrateTo(ctx context.Context, version int) ([]int, error) {
	var applied []int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", migrationLockKey).Error; err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if err := tx.Exec(dialectTypes[s.dialect].Replace(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at {{ts}} NOT NULL)`)).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var done []int
		if err := tx.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		todo, err := pending(ordered(), done, version)
		if err != nil {
			return err
		}
		for _, m := range todo {
			for i, stmt := range m.stmts {
				if d, rest, ok := strings.Cut(stmt, onlyOnSep); ok {
					if d != s.dialect {
						continue
					}
					stmt = rest
				}
				if err := tx.Exec(dialectTypes[s.dialect].Replace(stmt)).Error; err != nil {
					return fmt.Errorf("migration %d (%s) statement %d: %w", m.version, m.name, i+1, err)
				}
			}
			if err := tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, s.Now()).Error; err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
			applied = append(applied, m.version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// pending is the migrations up to version that done lacks, in version
// order. A missing version below an applied one is still pending: work
// developed in parallel lands with numbers in any order, so a database may
// have 35 before 32 is written. A done version this tcd does not know means
// the database was migrated by a newer tcd.
func pending(migrations []migration, done []int, version int) ([]migration, error) {
	known := map[int]bool{}
	for _, m := range migrations {
		known[m.version] = true
	}
	have := map[int]bool{}
	for _, v := range done {
		if !known[v] {
			return nil, fmt.Errorf("database schema has migration %d, which this tcd does not know (newest known: %d): upgrade tcd", v, migrations[len(migrations)-1].version)
		}
		have[v] = true
	}
	var out []migration
	for _, m := range migrations {
		if !have[m.version] && m.version <= version {
			out = append(out, m)
		}
	}
	return out, nil
}

// SchemaVersion returns the newest applied migration (0 before any).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error
	return v, err
}

// onlyOn marks a migration statement that runs on one engine only (where
// the engines' syntax differs beyond the placeholders, e.g. triggers).
func onlyOn(dialect, stmt string) string { return dialect + onlyOnSep + stmt }

const onlyOnSep = "\x00only\x00"

// LatestSchemaVersion is the version Migrate brings a database to.
func LatestSchemaVersion() int { m := ordered(); return m[len(m)-1].version }
