package auth

import (
	"context"
	"crypto/subtle"
	"math"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Setup creates the owner while none exists and logs it in. A caller that
// is not on this host (meta.Loopback false) must give the one-time setup
// code tcd printed to its log at start.
func (s *Service) Setup(ctx context.Context, req tc.SetupRequest, meta RequestMeta) (tc.LoginResponse, error) {
	username, email, err := normalizeIdentity(req.Username, req.Email)
	if err != nil {
		return tc.LoginResponse{}, err
	}
	if err := s.Settings().Complexity.CheckPassword(req.Password); err != nil {
		return tc.LoginResponse{}, err
	}
	if has, err := s.store.HasOwner(ctx); err != nil {
		return tc.LoginResponse{}, err
	} else if has {
		return tc.LoginResponse{}, errAlreadySetUp
	}
	if !meta.Loopback && !s.checkSetupCode(req.Code) {
		msg := "setup from another host needs the one-time setup code that tcd printed to its log at start (\"setup code\"): pass it with tcctl setup --code, or run setup on the tcd host itself"
		if req.Code != "" {
			msg = "the setup code is wrong: use the one in tcd's log from its latest start (tcctl setup --code)"
		}
		return tc.LoginResponse{}, tc.Errorf(tc.EForbidden, "%s", msg).With("field", "code")
	}
	hash, err := s.hasher.Hash(ctx, req.Password)
	if err != nil {
		return tc.LoginResponse{}, err
	}
	var resp tc.LoginResponse
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if has, err := tx.HasOwner(ctx); err != nil {
			return err
		} else if has {
			return errAlreadySetUp
		}
		u := &store.User{Username: username, Email: email, Role: tc.RoleOwner, PasswordHash: hash}
		if err := tx.CreateUser(ctx, u); err != nil {
			if tc.IsCode(err, tc.EConflict) {
				if has, _ := tx.HasOwner(ctx); has {
					return errAlreadySetUp
				}
			}
			return err
		}
		resp, err = s.startSession(ctx, tx, u, meta)
		return err
	})
	if err != nil {
		return tc.LoginResponse{}, err
	}
	s.setupMu.Lock()
	s.setupCode = ""
	s.setupMu.Unlock()
	s.log.Info("owner created by setup", "username", username, "ip", meta.IP)
	return resp, nil
}

// SetupCodePrefix starts every setup code.
const SetupCodePrefix = "tc-setup_"

// IssueSetupCode makes the one-time code a setup from another host needs
// and returns it, to be printed to the log; only its SHA-256 is kept. It is
// valid until setup succeeds or tcd stops.
func (s *Service) IssueSetupCode() string {
	raw, hash := NewSecret(SetupCodePrefix)
	s.setupMu.Lock()
	s.setupCode = hash
	s.setupMu.Unlock()
	return raw
}

func (s *Service) checkSetupCode(code string) bool {
	s.setupMu.Lock()
	want := s.setupCode
	s.setupMu.Unlock()
	if want == "" || !WellFormed(code, SetupCodePrefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashSecret(code)), []byte(want)) == 1
}

var errAlreadySetUp = tc.Errorf(tc.EConflict, "tcd is already set up: an owner exists; log in instead (tcctl login)")

func normalizeIdentity(username, email string) (string, string, error) {
	u, err := tc.NormalizeUsername(username)
	if err != nil {
		return "", "", err
	}
	e, err := tc.NormalizeEmail(email)
	if err != nil {
		return "", "", err
	}
	return u, e, nil
}

// startSession creates a session for u and returns the login response.
func (s *Service) startSession(ctx context.Context, st *store.Store, u *store.User, meta RequestMeta) (tc.LoginResponse, error) {
	raw, hash := NewSecret(SessionPrefix)
	sess := &store.Session{TokenHash: hash, UserID: u.ID, ExpiresAt: s.clock().Add(s.Settings().SessionLifetime),
		IP: truncate(meta.IP, 64), UserAgent: truncate(meta.UserAgent, 256)}
	if err := st.CreateSession(ctx, sess); err != nil {
		return tc.LoginResponse{}, err
	}
	return tc.LoginResponse{Token: raw, ExpiresAt: sess.ExpiresAt.UTC(), User: u.API()}, nil
}

var errBadLogin = tc.Errorf(tc.EUnauthorized, "invalid username or password")

// Login checks a username and password and starts a session. Consecutive
// failures lock the username for the lockout duration; while locked even the
// right password is refused with 429.
func (s *Service) Login(ctx context.Context, req tc.LoginRequest, meta RequestMeta) (tc.LoginResponse, error) {
	username, uerr := tc.NormalizeUsername(req.Username)
	if uerr != nil || req.Password == "" || len(req.Password) > tc.PasswordMaxBytes {
		if err := s.hasher.VerifyNobody(ctx, req.Password); err != nil {
			return tc.LoginResponse{}, err
		}
		return tc.LoginResponse{}, errBadLogin
	}
	u, err := s.store.UserByUsername(ctx, username)
	switch {
	case tc.IsCode(err, tc.ENotFound):
		u = nil // unknown users are locked out like known ones
	case err != nil:
		return tc.LoginResponse{}, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if err := s.verifyWithLockout(ctx, username, hash, req.Password, meta); err != nil {
		if tc.IsCode(err, tc.EUnauthorized) {
			return tc.LoginResponse{}, errBadLogin
		}
		return tc.LoginResponse{}, err
	}
	if u.Disabled {
		return tc.LoginResponse{}, tc.Errorf(tc.EForbidden, "account %q is disabled: ask an administrator to enable it", username)
	}
	resp, err := s.startSession(ctx, s.store, u, meta)
	if err == nil {
		s.log.Info("login", "username", username, "ip", meta.IP)
	}
	return resp, err
}

// verifyWithLockout compares pw with hash ("" for an unknown user: a dummy
// comparison that always fails) under username's lockout. The attempt is
// counted before the comparison, atomically (store.ReserveLoginAttempt), so
// however many run in parallel at most the lockout's number of comparisons
// run before the lock refuses the rest without one. It returns nil on a
// match (the count is cleared), 401 on a mismatch, 429 while locked or when
// every bcrypt slot stays busy (then nothing was counted).
func (s *Service) verifyWithLockout(ctx context.Context, username, hash, pw string, meta RequestMeta) error {
	set := s.Settings()
	release, err := s.hasher.Slot(ctx)
	if err != nil {
		return err
	}
	defer release()
	// The attempt is bookkeeping of its own, committed whatever the
	// request's outcome, and before the comparison: outside the request's
	// transaction (which would otherwise hold the write lock on SQLite
	// through the bcrypt comparison).
	a, err := s.store.ReserveLoginAttempt(store.Detached(ctx), username, set.LockoutAttempts, set.LockoutDuration, set.LockoutDuration)
	if err != nil {
		return err
	}
	if !a.Allowed {
		return lockedError(username, a.LockedUntil.Sub(s.clock()))
	}
	if s.hasher.compareHeld(hash, pw) {
		return s.store.ClearLoginFailures(store.Detached(ctx), username)
	}
	if a.LockedNow {
		s.log.Warn("login locked after repeated failures", "username", username, "ip", meta.IP, "minutes", int(set.LockoutDuration/time.Minute))
		return lockedError(username, a.LockedUntil.Sub(s.clock()))
	}
	s.log.Info("password check failed", "username", username, "ip", meta.IP)
	return tc.Errorf(tc.EUnauthorized, "invalid username or password")
}

func lockedError(username string, left time.Duration) error {
	secs := int(math.Ceil(left.Seconds()))
	if secs < 1 {
		secs = 1
	}
	mins := int(math.Ceil(left.Minutes()))
	e := tc.Errorf(tc.ETooManyRequests, "too many failed logins for %q: try again in %d minute%s, or ask an administrator for a password reset", username, mins, plural(mins))
	e.RetryAfter = secs
	return e
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if err := RequireUser(p); err != nil {
		return err
	}
	if p.Credential != tc.CredentialSession {
		return tc.Errorf(tc.EInvalid, "logout ends a session, but this request used an API token; revoke tokens with tcctl token revoke")
	}
	if err := s.store.DeleteSession(ctx, p.SessionID); err != nil {
		return err
	}
	s.invalidate(ctx)
	return nil
}

// Me describes the caller.
func (s *Service) Me(ctx context.Context, p *Principal) (tc.Me, error) {
	if err := RequireUser(p); err != nil {
		return tc.Me{}, err
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return tc.Me{}, err
	}
	return tc.Me{User: u.API(), Credential: p.Credential, TokenID: p.TokenID, Permissions: p.Permissions.Strings(), ExpiresAt: p.ExpiresAt}, nil
}

// UpdateMe changes the caller's own email or password. It needs a login
// session: an API token acts for its owner but does not change the account.
// A password change needs the current password, which counts in the same
// lockout as logins, and ends the caller's other sessions.
func (s *Service) UpdateMe(ctx context.Context, p *Principal, req tc.UpdateMeRequest, meta RequestMeta) (tc.User, error) {
	if err := RequireUser(p); err != nil {
		return tc.User{}, err
	}
	if p.Credential != tc.CredentialSession {
		return tc.User{}, tc.Errorf(tc.EForbidden, "changing your email or password needs a login session, not an API token: log in with tcctl login and try again")
	}
	if req.Email == nil && req.Password == nil {
		return tc.User{}, tc.Errorf(tc.EInvalid, "nothing to change: give email and/or password")
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return tc.User{}, err
	}
	cols := map[string]any{}
	if req.Email != nil {
		e, err := tc.NormalizeEmail(*req.Email)
		if err != nil {
			return tc.User{}, err
		}
		if err := s.store.CheckUserUnique(ctx, "", e, u.ID); err != nil {
			return tc.User{}, err
		}
		cols["email"] = e
	}
	if req.Password != nil {
		if err := s.Settings().Complexity.CheckPassword(*req.Password); err != nil {
			return tc.User{}, err
		}
		if req.CurrentPassword == nil || *req.CurrentPassword == "" {
			return tc.User{}, tc.Errorf(tc.EInvalid, "currentPassword is required: changing the password needs the current one").With("field", "currentPassword")
		}
		if err := s.verifyWithLockout(ctx, u.Username, u.PasswordHash, *req.CurrentPassword, meta); err != nil {
			if tc.IsCode(err, tc.EUnauthorized) {
				return tc.User{}, tc.Errorf(tc.EForbidden, "currentPassword is wrong: changing the password needs the current one (repeated failures lock the account)").With("field", "currentPassword")
			}
			return tc.User{}, err
		}
		h, err := s.hasher.Hash(ctx, *req.Password)
		if err != nil {
			return tc.User{}, err
		}
		for k, v := range store.SetPassword(h) {
			cols[k] = v
		}
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateUser(ctx, u.ID, cols); err != nil {
			return err
		}
		if req.Password != nil {
			_, err := tx.DeleteUserSessions(ctx, u.ID, p.SessionID)
			return err
		}
		return nil
	})
	if err != nil {
		return tc.User{}, err
	}
	s.invalidate(ctx)
	u, err = s.store.UserByID(ctx, u.ID)
	if err != nil {
		return tc.User{}, err
	}
	return u.API(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
