package store

// Migration 15: heartbeats within bounds, and history that keeps every count.
//
//   - reported_status_raw keeps a status the agent sent that tcd does not
//     know (reported_status is then undefined).
//   - hist_*: the agent's open statistics bucket (history.go): the minute
//     hist_slot_ms starts, how many heartbeats fell in it and the sums of
//     their counters. Each heartbeat adds to it in the UPDATE that writes the
//     agent anyway; the first heartbeat of a later minute appends it to
//     agent_history and starts the next.
//   - Values stored by earlier versions that a read could not render are
//     brought within bounds: a last-success time outside the years
//     1970–9999 is dropped, counters are capped at 2^53 − 1, and logs that
//     could not be encoded (stored as an empty text) are cleared.
func init() {
	register(migration{15, "agent-bounds-and-history-sums", []string{
		`ALTER TABLE agents ADD COLUMN reported_status_raw TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE agents ADD COLUMN hist_slot_ms {{bigint}} NOT NULL DEFAULT 0`,
		`ALTER TABLE agents ADD COLUMN hist_n {{bigint}} NOT NULL DEFAULT 0`,
		`ALTER TABLE agents ADD COLUMN hist_errors {{bigint}} NOT NULL DEFAULT 0`,
		`ALTER TABLE agents ADD COLUMN hist_warnings {{bigint}} NOT NULL DEFAULT 0`,
		`ALTER TABLE agents ADD COLUMN hist_metrics {{bigint}} NOT NULL DEFAULT 0`,
		`UPDATE agents SET last_success_ms = NULL WHERE last_success_ms < 0 OR last_success_ms > 253402300799999`,
		`UPDATE agents SET errors = 9007199254740991 WHERE errors > 9007199254740991 OR errors < 0`,
		`UPDATE agents SET warnings = 9007199254740991 WHERE warnings > 9007199254740991 OR warnings < 0`,
		`UPDATE agents SET metrics = 9007199254740991 WHERE metrics > 9007199254740991 OR metrics < 0`,
		`UPDATE agents SET logs = NULL, logs_ms = NULL, logs_reported = 0 WHERE logs = ''`,
	}})
}
