package store

// Migration 43: what notification rules read at fleet scale
// (docs/performance.md, "Notifications"). Indexes that find the few agents
// reporting fail or warn, running an unmanaged configuration, or created
// recently, without a scan of the agents table. None is rewritten by an
// ordinary heartbeat: the partial indexes hold only the agents in those
// conditions (SQLite touches an entry only when the old or new row
// satisfies the index's WHERE; PostgreSQL keeps updating rows in place
// while the indexed values stay the same), and created_ms never changes.
//
// fleet_changes counts changes of which agents carry which labels or
// reporting rules, the assignments the evaluator's in-memory cache of the
// silent fleet depends on; the store bumps it in the same transaction as
// each such change, and SilentFleet reads it before the data.
func init() {
	register(migration{43, "notify-scale", []string{
		`CREATE INDEX agents_problem ON agents (reported_status) WHERE reported_status IN ('fail', 'warn')`,
		`CREATE INDEX agents_unmanaged ON agents (id) WHERE {{instr}}(configurations, '"managed":false') > 0`,
		`CREATE INDEX agents_created ON agents (created_ms)`,
		`CREATE TABLE fleet_changes (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			version {{bigint}} NOT NULL)`,
		`INSERT INTO fleet_changes (id, version) VALUES (1, 0)`,
	}})
}
