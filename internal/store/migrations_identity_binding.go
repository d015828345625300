package store

// Migration 9: who may act on whom.
//   - api_tokens.created_by: the user who created a token; it stays when the
//     token is reassigned. NULL for tokens created before (not known).
//   - users.password_generation: counts password changes, so anything bound
//     to "the password at that moment" can tell it changed.
//   - Reset and invite codes are bound to their issuer and to the state of
//     issuer and target when issued (role, disabled, password generation,
//     stored as one stamp); a code whose issuer or target changed since is
//     refused. Codes issued before this migration have no stamp and are
//     refused too: ask for a new one.
func init() {
	register(migration{9, "identity-binding", []string{
		`ALTER TABLE api_tokens ADD COLUMN created_by TEXT`,
		`ALTER TABLE users ADD COLUMN password_generation INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE password_resets ADD COLUMN issued_by TEXT REFERENCES users(id) ON DELETE CASCADE`,
		`ALTER TABLE password_resets ADD COLUMN issuer_state TEXT`,
		`ALTER TABLE password_resets ADD COLUMN target_state TEXT`,
		`ALTER TABLE invites ADD COLUMN issuer_state TEXT`,
	}})
}
