package store

// Migration 25: notifications (internal/notify owns these tables). Receivers
// and rules are configuration; groups and members are the evaluator's state;
// events are one-off events other features published, waiting for the next
// evaluation; the outbox holds every decided notification per receiver until
// it is delivered or given up (its rows are the durable queue), and the
// delivery log every attempt. Times are unix milliseconds.
func init() {
	register(migration{25, "notifications", []string{
		`CREATE TABLE notify_receivers (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			kind TEXT NOT NULL,
			url TEXT NOT NULL DEFAULT '',
			headers TEXT NOT NULL DEFAULT '{}',
			email TEXT NOT NULL DEFAULT '',
			secret TEXT NOT NULL DEFAULT '',
			rate_limit INTEGER NOT NULL,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE notify_rules (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			event TEXT NOT NULL,
			scope TEXT NOT NULL,
			selector TEXT NOT NULL DEFAULT '',
			for_s {{bigint}} NOT NULL DEFAULT 0,
			group_by TEXT NOT NULL DEFAULT '',
			group_window {{bigint}} NOT NULL,
			group_interval {{bigint}} NOT NULL,
			repeat_interval {{bigint}} NOT NULL,
			send_resolved {{bool}} NOT NULL,
			days INTEGER NOT NULL DEFAULT 0,
			enabled {{bool}} NOT NULL,
			evaluated_ms {{bigint}} NOT NULL,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		// A receiver in use by a rule cannot be deleted (no cascade).
		`CREATE TABLE notify_rule_receivers (
			rule_id TEXT NOT NULL REFERENCES notify_rules(id) ON DELETE CASCADE,
			receiver_id TEXT NOT NULL REFERENCES notify_receivers(id),
			PRIMARY KEY (rule_id, receiver_id))`,
		`CREATE INDEX notify_rule_receivers_receiver ON notify_rule_receivers (receiver_id)`,
		`CREATE TABLE notify_groups (
			rule_id TEXT NOT NULL REFERENCES notify_rules(id) ON DELETE CASCADE,
			group_value TEXT NOT NULL,
			state TEXT NOT NULL,
			count {{bigint}} NOT NULL,
			items TEXT NOT NULL DEFAULT '[]',
			starts_ms {{bigint}} NOT NULL,
			created_ms {{bigint}} NOT NULL,
			notified_ms {{bigint}} NOT NULL DEFAULT 0,
			notified_count {{bigint}} NOT NULL DEFAULT 0,
			refreshed_ms {{bigint}} NOT NULL DEFAULT 0,
			payload TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (rule_id, group_value))`,
		// Agents in a condition since when, for rules with a minimum
		// duration over conditions the agents table does not date.
		`CREATE TABLE notify_members (
			rule_id TEXT NOT NULL REFERENCES notify_rules(id) ON DELETE CASCADE,
			agent_id TEXT NOT NULL,
			since_ms {{bigint}} NOT NULL,
			PRIMARY KEY (rule_id, agent_id))`,
		`CREATE TABLE notify_events (
			id TEXT PRIMARY KEY,
			kind TEXT NOT NULL,
			at_ms {{bigint}} NOT NULL,
			subject_id TEXT NOT NULL,
			subject_name TEXT NOT NULL DEFAULT '',
			config_ids TEXT NOT NULL DEFAULT '[]',
			agent_ids TEXT NOT NULL DEFAULT '[]',
			summary TEXT NOT NULL DEFAULT '')`,
		`CREATE TABLE notify_outbox (
			id TEXT PRIMARY KEY,
			seq {{bigint}} NOT NULL,
			receiver_id TEXT NOT NULL REFERENCES notify_receivers(id) ON DELETE CASCADE,
			rule_id TEXT NOT NULL DEFAULT '',
			group_value TEXT NOT NULL DEFAULT '',
			status TEXT NOT NULL,
			event TEXT NOT NULL,
			payload TEXT NOT NULL,
			state TEXT NOT NULL,
			created_ms {{bigint}} NOT NULL,
			next_attempt_ms {{bigint}} NOT NULL,
			claimed_until_ms {{bigint}} NOT NULL DEFAULT 0,
			attempts INTEGER NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			done_ms {{bigint}} NOT NULL DEFAULT 0)`,
		`CREATE INDEX notify_outbox_pending ON notify_outbox (receiver_id, seq) WHERE state = 'pending'`,
		`CREATE INDEX notify_outbox_done ON notify_outbox (done_ms) WHERE state <> 'pending'`,
		`CREATE TABLE notify_deliveries (
			id TEXT PRIMARY KEY,
			at_ms {{bigint}} NOT NULL,
			receiver_id TEXT NOT NULL,
			receiver_name TEXT NOT NULL,
			rule_id TEXT NOT NULL DEFAULT '',
			rule_name TEXT NOT NULL DEFAULT '',
			notification_id TEXT NOT NULL,
			event TEXT NOT NULL,
			status TEXT NOT NULL,
			group_value TEXT NOT NULL DEFAULT '',
			attempt INTEGER NOT NULL,
			outcome TEXT NOT NULL,
			http_status INTEGER NOT NULL DEFAULT 0,
			error TEXT NOT NULL DEFAULT '',
			duration_ms {{bigint}} NOT NULL)`,
		`CREATE INDEX notify_deliveries_at ON notify_deliveries (at_ms)`,
		`CREATE INDEX notify_deliveries_receiver ON notify_deliveries (receiver_id, at_ms)`,
	}})
}
