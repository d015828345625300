package store

// Migration 4: the append-only, hash-chained audit log.
func init() {
	register(migration{4, "audit", []string{
		`CREATE TABLE audit_log (
			seq {{bigint}} PRIMARY KEY,
			at_us {{bigint}} NOT NULL,
			actor TEXT NOT NULL,
			actor_id TEXT NOT NULL DEFAULT '',
			credential TEXT NOT NULL,
			token_id TEXT NOT NULL DEFAULT '',
			action TEXT NOT NULL,
			target TEXT NOT NULL DEFAULT '',
			outcome TEXT NOT NULL,
			status INTEGER NOT NULL,
			ip TEXT NOT NULL DEFAULT '',
			user_agent TEXT NOT NULL DEFAULT '',
			prev_hash TEXT NOT NULL,
			hash TEXT NOT NULL)`,
		`CREATE INDEX audit_log_at ON audit_log (at_us)`,
		`CREATE INDEX audit_log_actor ON audit_log (actor)`,
	}})
}
