package store

// Migration 1: users, sessions, invites, password resets, login failures,
// settings and API tokens.
func init() {
	register(migration{1, "identity", []string{
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
	}})
}
