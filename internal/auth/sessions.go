package auth

import (
	"context"
	"math"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Setup creates the owner while none exists and logs it in.
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
	hash, err := s.hasher.Hash(req.Password)
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
	s.log.Info("owner created by setup", "username", username)
	return resp, nil
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
	set := s.Settings()
	username, uerr := tc.NormalizeUsername(req.Username)
	if uerr != nil || req.Password == "" || len(req.Password) > tc.PasswordMaxBytes {
		s.hasher.VerifyNobody(req.Password)
		return tc.LoginResponse{}, errBadLogin
	}
	if f, err := s.store.LoginFailureFor(ctx, username); err != nil {
		return tc.LoginResponse{}, err
	} else if f != nil && f.LockedUntil != nil && s.clock().Before(*f.LockedUntil) {
		return tc.LoginResponse{}, lockedError(username, f.LockedUntil.Sub(s.clock()))
	}
	u, err := s.store.UserByUsername(ctx, username)
	switch {
	case tc.IsCode(err, tc.ENotFound):
		s.hasher.VerifyNobody(req.Password)
	case err != nil:
		return tc.LoginResponse{}, err
	}
	if u == nil || u.ID == "" || !s.hasher.Verify(u.PasswordHash, req.Password) {
		until, ferr := s.store.RecordLoginFailure(ctx, username, set.LockoutAttempts, set.LockoutDuration, set.LockoutDuration)
		if ferr != nil {
			return tc.LoginResponse{}, ferr
		}
		if until != nil {
			s.log.Warn("login locked after repeated failures", "username", username, "ip", meta.IP, "minutes", int(set.LockoutDuration/time.Minute))
			return tc.LoginResponse{}, lockedError(username, until.Sub(s.clock()))
		}
		s.log.Info("login failed", "username", username, "ip", meta.IP)
		return tc.LoginResponse{}, errBadLogin
	}
	if u.Disabled {
		return tc.LoginResponse{}, tc.Errorf(tc.EForbidden, "account %q is disabled: ask an administrator to enable it", username)
	}
	if err := s.store.ClearLoginFailures(ctx, username); err != nil {
		return tc.LoginResponse{}, err
	}
	resp, err := s.startSession(ctx, s.store, u, meta)
	if err == nil {
		s.log.Info("login", "username", username, "ip", meta.IP)
	}
	return resp, err
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
	s.Invalidate()
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

// UpdateMe changes the caller's own email or password. A password change
// needs the current password and ends the caller's other sessions.
func (s *Service) UpdateMe(ctx context.Context, p *Principal, req tc.UpdateMeRequest) (tc.User, error) {
	if err := RequireUser(p); err != nil {
		return tc.User{}, err
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
		if req.CurrentPassword == nil || !s.hasher.Verify(u.PasswordHash, *req.CurrentPassword) {
			return tc.User{}, tc.Errorf(tc.EForbidden, "currentPassword is missing or wrong: changing the password needs the current one").With("field", "currentPassword")
		}
		if err := s.Settings().Complexity.CheckPassword(*req.Password); err != nil {
			return tc.User{}, err
		}
		h, err := s.hasher.Hash(*req.Password)
		if err != nil {
			return tc.User{}, err
		}
		cols["password_hash"] = h
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
	s.Invalidate()
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
