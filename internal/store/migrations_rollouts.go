package store

// Migrations 35-37: who runs what and staged rollouts (issue 20).
//
// 35: served_versions records, per agent that fetched under its identity
// (?agent_id=), each version of a config (or group rendering) it was
// served: ETag, Last-Modified, first and last GET, last HEAD/304 (still
// polling) and the agent's heartbeat count when it fetched (hb_base), so
// "K heartbeats since the fetch" is heartbeats - hb_base. Written in
// batches off the request path.
//
// 36: rollouts (state durable, advanced by the leader) and their stage
// membership; the rollouts cache topic tells other nodes of a change.
//
// 37: rollout_events, every transition (history).
func init() {
	register(migration{35, "served-versions", []string{
		`CREATE TABLE served_versions (
			agent_id TEXT NOT NULL,
			target_id TEXT NOT NULL,
			kind TEXT NOT NULL,
			version INTEGER NOT NULL,
			etag TEXT NOT NULL DEFAULT '',
			last_modified {{bigint}} NOT NULL DEFAULT 0,
			first_ms {{bigint}} NOT NULL DEFAULT 0,
			fetched_ms {{bigint}} NOT NULL DEFAULT 0,
			polled_ms {{bigint}} NOT NULL DEFAULT 0,
			hb_base {{bigint}} NOT NULL DEFAULT 0,
			PRIMARY KEY (agent_id, target_id, version))`,
		`CREATE INDEX served_versions_target ON served_versions (target_id, version)`,
	}}, migration{36, "rollouts", []string{
		`CREATE TABLE rollouts (
			id TEXT PRIMARY KEY,
			config_id TEXT NOT NULL,
			config_name TEXT NOT NULL DEFAULT '',
			from_version INTEGER NOT NULL,
			to_version INTEGER NOT NULL,
			stages TEXT NOT NULL,
			heartbeats INTEGER NOT NULL,
			max_failures INTEGER NOT NULL,
			wait_ms {{bigint}} NOT NULL DEFAULT 0,
			timeout_ms {{bigint}} NOT NULL DEFAULT 0,
			auto_rollback {{bool}} NOT NULL DEFAULT FALSE,
			state TEXT NOT NULL,
			stage INTEGER NOT NULL DEFAULT 0,
			stage_started_ms {{bigint}} NOT NULL DEFAULT 0,
			lm_to {{bigint}} NOT NULL DEFAULT 0,
			lm_back {{bigint}} NOT NULL DEFAULT 0,
			rolled_back {{bool}} NOT NULL DEFAULT FALSE,
			reason TEXT NOT NULL DEFAULT '',
			created_by TEXT NOT NULL DEFAULT '',
			created_ms {{bigint}} NOT NULL,
			updated_ms {{bigint}} NOT NULL,
			finished_ms {{bigint}})`,
		`CREATE INDEX rollouts_config_state ON rollouts (config_id, state)`,
		`CREATE TABLE rollout_members (
			rollout_id TEXT NOT NULL,
			agent_id TEXT NOT NULL,
			stage INTEGER NOT NULL,
			PRIMARY KEY (rollout_id, agent_id))`,
		`INSERT INTO cluster_versions (topic, version) VALUES ('rollouts', 0)`,
	}}, migration{37, "rollout-events", []string{
		`CREATE TABLE rollout_events (
			rollout_id TEXT NOT NULL,
			seq INTEGER NOT NULL,
			at_ms {{bigint}} NOT NULL,
			action TEXT NOT NULL,
			state TEXT NOT NULL,
			stage INTEGER NOT NULL,
			actor TEXT NOT NULL DEFAULT '',
			reason TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (rollout_id, seq))`,
	}})
}
