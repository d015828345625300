package store

// Migration 13: a config may declare how its agents handle environment
// variables ("" = tcd's setting, "strict" or "nonstrict"), which decides
// the rules its TOML is checked by.
func init() {
	register(migration{13, "config-env-handling", []string{
		`ALTER TABLE configs ADD COLUMN env_handling TEXT NOT NULL DEFAULT ''`,
	}})
}
