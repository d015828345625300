package store

// Migration 31: security advisories (OSV entries about Telegraf and tcd).
// The entry is kept whole as canonical JSON (document, with its SHA-256 in
// digest so a re-import of the same entry is recognised without parsing);
// what lists sort and filter on is in columns. An acknowledgement is three
// columns of its advisory, kept when the advisory is updated. The
// "advisories" cache topic tells the other nodes of a cluster to reload.
func init() {
	register(migration{31, "advisories", []string{
		`CREATE TABLE advisories (
			id TEXT PRIMARY KEY,
			summary TEXT NOT NULL DEFAULT '',
			severity TEXT NOT NULL,
			modified_ms {{bigint}},
			withdrawn_ms {{bigint}},
			document TEXT NOT NULL,
			digest TEXT NOT NULL,
			source TEXT NOT NULL DEFAULT '',
			created_ms {{bigint}} NOT NULL,
			updated_ms {{bigint}} NOT NULL,
			acked_ms {{bigint}},
			acked_by TEXT NOT NULL DEFAULT '',
			ack_note TEXT NOT NULL DEFAULT '')`,
		`INSERT INTO cluster_versions (topic, version) VALUES ('advisories', 0)`,
	}})
}
