package store

// Migration 32: the keyed audit chain (issue 15). Each entry names the key
// its HMAC-SHA-256 hash was made with (empty: a plain SHA-256 hash of
// before; tcd re-chains those with its key at start, since a migration
// cannot read the key file). audit_anchor holds the one record of pruning:
// the newest pruned entry's sequence number and hash, MACed, so that
// verification tells retention from tampering.
func init() {
	register(migration{32, "audit_keyed_chain", []string{
		`ALTER TABLE audit_log ADD COLUMN key_id TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE audit_anchor (
			id INTEGER PRIMARY KEY,
			seq {{bigint}} NOT NULL,
			hash TEXT NOT NULL,
			key_id TEXT NOT NULL,
			mac TEXT NOT NULL,
			at_us {{bigint}} NOT NULL)`,
	}})
}
