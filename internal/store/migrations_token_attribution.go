package store

// Migration 45: writes made with an API token name the token, not only its
// owner: config versions and audit entries keep its ID and description.
func init() {
	register(migration{45, "token-attribution", []string{
		`ALTER TABLE config_versions ADD COLUMN token_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE config_versions ADD COLUMN token_description TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE audit_log ADD COLUMN token_description TEXT NOT NULL DEFAULT ''`,
	}})
}
