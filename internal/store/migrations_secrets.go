package store

// Migration 41: secret sets and their secrets. A value is kept only as
// AES-256-GCM ciphertext under a data key of its own, and the data key
// only wrapped by the key-encryption key derived from tcd's key file
// (internal/secrets); key_id names the key-file key that wrapped it, so a
// rotation knows what is left to re-encrypt and a tcd started with another
// key file refuses instead of serving garbage. A set's transit cipher key
// (secretstores.http's "cipher") is wrapped the same way.
func init() {
	register(migration{41, "secrets", []string{
		`CREATE TABLE secret_sets (
			name TEXT PRIMARY KEY,
			cipher TEXT NOT NULL DEFAULT 'none',
			cipher_key TEXT NOT NULL DEFAULT '',
			key_id TEXT NOT NULL DEFAULT '',
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE secrets (
			set_name TEXT NOT NULL REFERENCES secret_sets(name) ON DELETE CASCADE,
			name TEXT NOT NULL,
			version INTEGER NOT NULL,
			key_id TEXT NOT NULL,
			data_key TEXT NOT NULL,
			value TEXT NOT NULL,
			created_at {{ts}} NOT NULL,
			created_by TEXT NOT NULL DEFAULT '',
			updated_at {{ts}} NOT NULL,
			updated_by TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (set_name, name))`,
		`CREATE INDEX secrets_key_id ON secrets (key_id)`,
	}})
}
