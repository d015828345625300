package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// migration is one numbered, forward-only schema step. Statements use
// placeholders that differ per engine: {{ts}} (timestamp with zone),
// {{bigint}}, {{bool}}.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrationLockKey is the PostgreSQL advisory lock held while migrating, so
// nodes started at the same moment do not race.
const migrationLockKey = 7_451_220_001

var dialectTypes = map[string]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{ts}}", "DATETIME", "{{bigint}}", "INTEGER", "{{bool}}", "BOOLEAN"),
	Postgres: strings.NewReplacer("{{ts}}", "TIMESTAMPTZ", "{{bigint}}", "BIGINT", "{{bool}}", "BOOLEAN"),
}

// Migrate brings the schema to the newest version and returns the versions it
// applied. All pending steps run in one transaction.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	var applied []int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if err := tx.Exec(dialectTypes[s.dialect].Replace(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at {{ts}} NOT NULL)`)).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current).Error; err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if latest := migrations[len(migrations)-1].version; current > latest {
			return fmt.Errorf("database schema version %d is newer than this tcd knows (%d): upgrade tcd", current, latest)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			for i, stmt := range m.stmts {
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

// SchemaVersion returns the newest applied migration (0 before any).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error
	return v, err
}

// LatestSchemaVersion is the version Migrate brings a database to.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].version }

var migrations = []migration{
	{1, "identity", []string{
		`CREATE TABLE users (
			id TEXT PRIMARY KEY,
			username TEXT NOT NULL UNIQUE,
			email TEXT NOT NULL UNIQUE,
			role TEXT NOT NULL CHECK (role IN ('owner','administrator','manager','viewer')),
			password_hash TEXT NOT NULL,
			disabled {{bool}} NOT NULL DEFAULT FALSE,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		// Exactly one owner: the database refuses a second one whatever the code does.
		`CREATE UNIQUE INDEX users_single_owner ON users (role) WHERE role = 'owner'`,
		`CREATE TABLE sessions (
			id TEXT PRIMARY KEY,
			token_hash TEXT NOT NULL UNIQUE,
			user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at {{ts}} NOT NULL,
			expires_at {{ts}} NOT NULL,
			ip TEXT NOT NULL DEFAULT '',
			user_agent TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX sessions_user ON sessions (user_id)`,
		`CREATE INDEX sessions_expires ON sessions (expires_at)`,
		`CREATE TABLE invites (
			id TEXT PRIMARY KEY,
			code_hash TEXT NOT NULL UNIQUE,
			username TEXT NOT NULL UNIQUE,
			email TEXT NOT NULL UNIQUE,
			role TEXT NOT NULL CHECK (role IN ('administrator','manager','viewer')),
			invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,
			created_at {{ts}} NOT NULL,
			expires_at {{ts}} NOT NULL)`,
		`CREATE TABLE password_resets (
			id TEXT PRIMARY KEY,
			code_hash TEXT NOT NULL UNIQUE,
			user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at {{ts}} NOT NULL,
			expires_at {{ts}} NOT NULL)`,
		`CREATE INDEX password_resets_user ON password_resets (user_id)`,
		`CREATE TABLE login_failures (
			username TEXT PRIMARY KEY,
			failures INTEGER NOT NULL,
			locked_until {{ts}},
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE settings (
			key TEXT PRIMARY KEY,
			value TEXT NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE api_tokens (
			id TEXT PRIMARY KEY,
			description TEXT NOT NULL UNIQUE,
			token_hash TEXT NOT NULL UNIQUE,
			user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			permissions TEXT NOT NULL,
			source TEXT NOT NULL DEFAULT 'api',
			hint TEXT NOT NULL,
			created_at {{ts}} NOT NULL,
			expires_at {{ts}},
			last_used_at {{ts}},
			revoked_at {{ts}})`,
		`CREATE INDEX api_tokens_user ON api_tokens (user_id)`,
	}},
}
