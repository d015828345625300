package store

// Migration 8: statistics history in hourly buckets. agent_heartbeats held
// one row per record: agents × 1,441 rows for 24 h, and at every tick the
// scheduler deleted the minute of records that had just expired, one index
// entry at a time (about 1,000,000 rows a minute for 1,000,000 agents,
// over 3 s). agent_history holds one row per agent per hour with that
// hour's records as text (history.go), so the table has agents × 25 rows,
// and a tick deletes only the buckets that expired whole, spread over the
// hour because each agent's buckets start at an offset of its own.
//
// Existing records move into hour-aligned buckets (any bucket of at most
// an hour is valid; new ones use the agent's offset).
func init() {
	register(migration{8, "agent-history-buckets", []string{
		`CREATE TABLE agent_history (
			agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
			bucket_ms {{bigint}} NOT NULL,
			last_ms {{bigint}} NOT NULL,
			records INTEGER NOT NULL,
			samples TEXT NOT NULL,
			PRIMARY KEY (agent_id, bucket_ms))`,
		`CREATE INDEX agent_history_bucket ON agent_history (bucket_ms)`,
		`INSERT INTO agent_history (agent_id, bucket_ms, last_ms, records, samples)
			SELECT agent_id, at_ms - at_ms % 3600000, MAX(at_ms), COUNT(*),
				{{concat_agg}}(CAST(at_ms % 3600000 AS TEXT) || ',' || CAST(errors AS TEXT) || ',' || CAST(warnings AS TEXT) || ',' ||
					CAST(metrics AS TEXT) || ';', '')
			FROM agent_heartbeats GROUP BY agent_id, at_ms - at_ms % 3600000`,
		`DROP TABLE agent_heartbeats`,
	}})
}
