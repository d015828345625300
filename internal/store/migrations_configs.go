package store

// Migration 2: configurations and what hangs off them — versions, labels
// and their links, global constants, aliases and config groups with ordered
// members. last_modified columns hold unix seconds: the Last-Modified the
// TOML endpoints send, moved strictly forward on every change.
func init() {
	register(migration{2, "configs", []string{
		`CREATE TABLE labels (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			color TEXT NOT NULL DEFAULT '',
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE configs (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			toml TEXT NOT NULL,
			version INTEGER NOT NULL,
			last_modified {{bigint}} NOT NULL,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE config_versions (
			config_id TEXT NOT NULL REFERENCES configs(id) ON DELETE CASCADE,
			version INTEGER NOT NULL,
			toml TEXT NOT NULL,
			note TEXT NOT NULL DEFAULT '',
			author TEXT NOT NULL DEFAULT '',
			created_at {{ts}} NOT NULL,
			PRIMARY KEY (config_id, version))`,
		`CREATE TABLE config_labels (
			config_id TEXT NOT NULL REFERENCES configs(id) ON DELETE CASCADE,
			label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
			PRIMARY KEY (config_id, label_id))`,
		`CREATE INDEX config_labels_label ON config_labels (label_id)`,
		`CREATE TABLE config_groups (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL UNIQUE,
			description TEXT NOT NULL DEFAULT '',
			last_modified {{bigint}} NOT NULL,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		`CREATE TABLE config_group_members (
			group_id TEXT NOT NULL REFERENCES config_groups(id) ON DELETE CASCADE,
			config_id TEXT NOT NULL REFERENCES configs(id) ON DELETE CASCADE,
			position INTEGER NOT NULL,
			PRIMARY KEY (group_id, config_id))`,
		`CREATE INDEX config_group_members_config ON config_group_members (config_id)`,
		`CREATE TABLE config_group_labels (
			group_id TEXT NOT NULL REFERENCES config_groups(id) ON DELETE CASCADE,
			label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
			PRIMARY KEY (group_id, label_id))`,
		`CREATE INDEX config_group_labels_label ON config_group_labels (label_id)`,
		`CREATE TABLE constants (
			name TEXT PRIMARY KEY,
			value TEXT NOT NULL,
			created_at {{ts}} NOT NULL,
			updated_at {{ts}} NOT NULL)`,
		// One namespace for config and group aliases; exactly one target.
		`CREATE TABLE aliases (
			alias TEXT PRIMARY KEY,
			config_id TEXT REFERENCES configs(id) ON DELETE CASCADE,
			group_id TEXT REFERENCES config_groups(id) ON DELETE CASCADE,
			created_at {{ts}} NOT NULL,
			CHECK ((config_id IS NULL) <> (group_id IS NULL)))`,
		`CREATE INDEX aliases_config ON aliases (config_id)`,
		`CREATE INDEX aliases_group ON aliases (group_id)`,
	}})
}
