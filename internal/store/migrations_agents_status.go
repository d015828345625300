package store

// Migration 6: drop the index on agents.status. Every heartbeat rewrites the
// status column and a scheduler tick may change it for the whole fleet at
// once; maintaining the index cost more there than it saves the admin
// queries that filter by status (a scan of agents, cheap next to them).
func init() {
	register(migration{6, "agents-status-index", []string{
		`DROP INDEX IF EXISTS agents_status`,
	}})
}
