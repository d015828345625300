package store

// Migration 7: not_reporting is no longer stored but derived when an agent
// is read (its last heartbeat older than its reporting rule's threshold),
// so nothing needs last_seen_ms indexed. Both of its indexes were rewritten
// by every heartbeat (last_seen_ms changes each time), which cost the
// SQLite writer two random index pages per heartbeat and kept PostgreSQL
// from updating agents in place (HOT). The scheduler's auto-delete finds
// its agents by rule and checks last_seen_ms on the rows.
func init() {
	register(migration{7, "agents-derived-status", []string{
		`DROP INDEX IF EXISTS agents_rule_seen`,
		`DROP INDEX IF EXISTS agents_seen`,
		`CREATE INDEX agents_rule ON agents (reporting_rule_id)`,
		`UPDATE agents SET status = reported_status WHERE status <> reported_status`,
	}})
}
