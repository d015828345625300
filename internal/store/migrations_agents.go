package store

// Migration 3: reporting rules, agents, their statistics history and labels.
// Agent times are unix milliseconds ({{bigint}}): the scheduler compares them
// in set-based SQL, identically on both engines.
func init() {
	register(migration{3, "agents", []string{
		`CREATE TABLE reporting_rules (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			not_reporting_after {{bigint}} NOT NULL CHECK (not_reporting_after > 0),
			auto_delete_after {{bigint}} CHECK (auto_delete_after IS NULL OR auto_delete_after > 0),
			is_default {{bool}} NOT NULL DEFAULT FALSE,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		// At most one default; the service keeps exactly one.
		`CREATE UNIQUE INDEX reporting_rules_single_default ON reporting_rules (is_default) WHERE is_default`,
		`CREATE TABLE agents (
			id TEXT PRIMARY KEY,
			hostname TEXT NOT NULL DEFAULT '',
			ip TEXT NOT NULL DEFAULT '',
			version TEXT NOT NULL DEFAULT '',
			version_number TEXT NOT NULL DEFAULT '',
			status TEXT NOT NULL,
			reported_status TEXT NOT NULL,
			last_seen_ms {{bigint}} NOT NULL,
			created_ms {{bigint}} NOT NULL,
			last_success_ms {{bigint}},
			reporting_rule_id TEXT NOT NULL REFERENCES reporting_rules(id),
			configurations TEXT NOT NULL DEFAULT '[]',
			has_stats {{bool}} NOT NULL DEFAULT FALSE,
			errors {{bigint}} NOT NULL DEFAULT 0,
			warnings {{bigint}} NOT NULL DEFAULT 0,
			metrics {{bigint}} NOT NULL DEFAULT 0,
			heartbeats {{bigint}} NOT NULL DEFAULT 0,
			logs TEXT,
			logs_ms {{bigint}},
			logs_reported INTEGER NOT NULL DEFAULT 0)`,
		`CREATE INDEX agents_rule_seen ON agents (reporting_rule_id, last_seen_ms)`,
		`CREATE INDEX agents_status ON agents (status)`,
		`CREATE INDEX agents_seen ON agents (last_seen_ms)`,
		`CREATE TABLE agent_heartbeats (
			agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
			at_ms {{bigint}} NOT NULL,
			errors {{bigint}} NOT NULL,
			warnings {{bigint}} NOT NULL,
			metrics {{bigint}} NOT NULL,
			PRIMARY KEY (agent_id, at_ms))`,
		`CREATE INDEX agent_heartbeats_at ON agent_heartbeats (at_ms)`,
		`CREATE TABLE agent_labels (
			agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
			label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
			PRIMARY KEY (agent_id, label_id))`,
		`CREATE INDEX agent_labels_label ON agent_labels (label_id)`,
	}})
}
