package auth

import (
	"context"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// ListUsers returns one page of users.
func (s *Service) ListUsers(ctx context.Context, p *Principal, f store.UserFilter) (tc.List[tc.User], error) {
	if err := CanSeeUsers(p); err != nil {
		return tc.List[tc.User]{}, err
	}
	rows, total, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return tc.List[tc.User]{}, err
	}
	items := make([]tc.User, len(rows))
	for i := range rows {
		items[i] = rows[i].API()
	}
	return tc.List[tc.User]{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// GetUser returns a user by ID or username.
func (s *Service) GetUser(ctx context.Context, p *Principal, ref string) (tc.User, error) {
	if err := CanSeeUsers(p); err != nil {
		return tc.User{}, err
	}
	u, err := s.store.UserByRef(ctx, ref)
	if err != nil {
		return tc.User{}, err
	}
	return u.API(), nil
}

// CreateInvite records an invite and returns it with its one-time code.
func (s *Service) CreateInvite(ctx context.Context, p *Principal, req tc.InviteRequest) (tc.Invite, error) {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return tc.Invite{}, err
	}
	username, email, err := normalizeIdentity(req.Username, req.Email)
	if err != nil {
		return tc.Invite{}, err
	}
	role, err := tc.ParseRole(string(req.Role))
	if err != nil {
		return tc.Invite{}, tc.Errorf(tc.EInvalid, "%s", err.Error()).With("field", "role")
	}
	if err := CanGrantRole(p, role); err != nil {
		return tc.Invite{}, err
	}
	ttl, err := codeTTL(req.ExpiresInHours, s.inviteTTL)
	if err != nil {
		return tc.Invite{}, err
	}
	issuer, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return tc.Invite{}, err
	}
	// The invite is bound to its issuer as they are now (bindings.go).
	raw, hash := NewSecret(InvitePrefix)
	stamp := issuer.Stamp()
	inv := &store.Invite{CodeHash: hash, Username: username, Email: email, Role: role, ExpiresAt: s.clock().Add(ttl),
		InvitedBy: &issuer.ID, IssuerState: &stamp}
	if err := s.store.CreateInvite(ctx, inv); err != nil {
		return tc.Invite{}, err
	}
	out := inv.API()
	out.Code = raw
	s.log.Info("user invited", "by", p.Actor(), "username", username, "role", role)
	return out, nil
}

// ListInvites returns pending invites.
func (s *Service) ListInvites(ctx context.Context, p *Principal, page tc.Page) (tc.List[tc.Invite], error) {
	if err := CanSeeUsers(p); err != nil {
		return tc.List[tc.Invite]{}, err
	}
	rows, total, err := s.store.ListInvites(ctx, page)
	if err != nil {
		return tc.List[tc.Invite]{}, err
	}
	items := make([]tc.Invite, len(rows))
	for i := range rows {
		items[i] = rows[i].API()
	}
	return tc.List[tc.Invite]{Items: items, Total: total, Limit: page.Limit, Offset: page.Offset}, nil
}

// DeleteInvite withdraws an invite: the caller must be able to grant its
// role and act on its issuer.
func (s *Service) DeleteInvite(ctx context.Context, p *Principal, id string) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx *store.Store) error {
		inv, err := tx.InviteByID(ctx, id)
		if err != nil {
			return err
		}
		var issuer *store.User
		if inv.InvitedBy != nil {
			if issuer, err = tx.UserByID(ctx, *inv.InvitedBy); tc.IsCode(err, tc.ENotFound) {
				issuer = nil
			} else if err != nil {
				return err
			}
		}
		if err := CanWithdrawInvite(p, inv.Role, issuer); err != nil {
			return err
		}
		return tx.DeleteInvite(ctx, inv.ID)
	})
}

var errBadCode = func(what string) error {
	return tc.Errorf(tc.ENotFound, "%s code is unknown, used, expired or void (its issuer or its account changed since it was issued): ask an administrator for a new one", what)
}

// codeTTL is the lifetime of a new code: the request's expiresInHours, or
// the configured default.
func codeTTL(hours *int, def time.Duration) (time.Duration, error) {
	if hours == nil {
		return def, nil
	}
	return tc.CheckCodeHours("expiresInHours", hours, 0)
}

// AcceptInvite turns an invite into an account and logs it in.
func (s *Service) AcceptInvite(ctx context.Context, req tc.CodeRequest, meta RequestMeta) (tc.LoginResponse, error) {
	if !WellFormed(req.Code, InvitePrefix) {
		return tc.LoginResponse{}, tc.Errorf(tc.EInvalid, "invite code must look like %s followed by 64 hex digits", InvitePrefix).With("field", "code")
	}
	if err := s.Settings().Complexity.CheckPassword(req.Password); err != nil {
		return tc.LoginResponse{}, err
	}
	inv, err := s.store.InviteByHash(ctx, HashSecret(req.Code))
	if tc.IsCode(err, tc.ENotFound) || (err == nil && !s.clock().Before(inv.ExpiresAt)) {
		return tc.LoginResponse{}, errBadCode("invite")
	} else if err != nil {
		return tc.LoginResponse{}, err
	}
	if inv.Role == tc.RoleOwner { // the schema forbids it too; defence in depth
		return tc.LoginResponse{}, tc.Errorf(tc.EForbidden, "an invite cannot create an owner")
	}
	if err := inviteStillBound(ctx, s.store, inv); err != nil {
		return tc.LoginResponse{}, err
	}
	hash, err := s.hasher.Hash(ctx, req.Password)
	if err != nil {
		return tc.LoginResponse{}, err
	}
	var resp tc.LoginResponse
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := inviteStillBound(ctx, tx, inv); err != nil {
			return err
		}
		if err := tx.DeleteInvite(ctx, inv.ID); err != nil {
			if tc.IsCode(err, tc.ENotFound) {
				return errBadCode("invite") // accepted concurrently
			}
			return err
		}
		u := &store.User{Username: inv.Username, Email: inv.Email, Role: inv.Role, PasswordHash: hash}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		resp, err = s.startSession(ctx, tx, u, meta)
		return err
	})
	if err != nil {
		return tc.LoginResponse{}, err
	}
	s.log.Info("invite accepted", "username", inv.Username, "role", inv.Role)
	return resp, nil
}

// UpdateUser changes another user's role, email or disabled flag. A role
// change or disabling ends the user's sessions and re-clamps their tokens.
func (s *Service) UpdateUser(ctx context.Context, p *Principal, ref string, req tc.UpdateUserRequest) (tc.User, error) {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return tc.User{}, err
	}
	if req.Role == nil && req.Email == nil && req.Disabled == nil {
		return tc.User{}, tc.Errorf(tc.EInvalid, "nothing to change: give role, email and/or disabled")
	}
	var newRole tc.Role
	if req.Role != nil {
		r, err := tc.ParseRole(string(*req.Role))
		if err != nil {
			return tc.User{}, tc.Errorf(tc.EInvalid, "%s", err.Error()).With("field", "role")
		}
		newRole = r
	}
	var email string
	if req.Email != nil {
		e, err := tc.NormalizeEmail(*req.Email)
		if err != nil {
			return tc.User{}, err
		}
		email = e
	}
	var out tc.User
	endSessions := false
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		u, err := tx.UserByRef(ctx, ref)
		if err != nil {
			return err
		}
		cols := map[string]any{}
		if req.Role != nil && newRole != u.Role {
			if err := CanActOnUser(p, u, "change the role of"); err != nil {
				return err
			}
			if err := CanGrantRole(p, newRole); err != nil {
				return err
			}
			cols["role"] = newRole
			endSessions = true
		}
		if req.Disabled != nil && *req.Disabled != u.Disabled {
			verb := "enable"
			if *req.Disabled {
				verb = "disable"
			}
			if err := CanActOnUser(p, u, verb); err != nil {
				return err
			}
			cols["disabled"] = *req.Disabled
			endSessions = endSessions || *req.Disabled
		}
		if req.Email != nil && email != u.Email {
			if err := CanActOnUser(p, u, "change"); err != nil {
				return err
			}
			if err := tx.CheckUserUnique(ctx, "", email, u.ID); err != nil {
				return err
			}
			cols["email"] = email
		}
		if len(cols) > 0 {
			if err := tx.UpdateUser(ctx, u.ID, cols); err != nil {
				return err
			}
		}
		if endSessions {
			if _, err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
				return err
			}
		}
		if newRole != "" && newRole != u.Role {
			if err := clampUserTokens(ctx, tx, u.ID, newRole); err != nil {
				return err
			}
		}
		u, err = tx.UserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		out = u.API()
		return nil
	})
	if err != nil {
		return tc.User{}, err
	}
	s.invalidate(ctx)
	s.log.Info("user updated", "by", p.Actor(), "username", out.Username, "role", out.Role, "disabled", out.Disabled)
	return out, nil
}

// DeleteUser deletes another user with their sessions and tokens.
func (s *Service) DeleteUser(ctx context.Context, p *Principal, ref string) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	var username string
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		u, err := tx.UserByRef(ctx, ref)
		if err != nil {
			return err
		}
		if err := CanActOnUser(p, u, "delete"); err != nil {
			return err
		}
		username = u.Username
		return tx.DeleteUser(ctx, u.ID)
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx)
	s.log.Info("user deleted", "by", p.Actor(), "username", username)
	return nil
}

// CreatePasswordReset returns a one-time reset code for another user.
func (s *Service) CreatePasswordReset(ctx context.Context, p *Principal, ref string, req tc.PasswordResetRequest) (tc.PasswordReset, error) {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return tc.PasswordReset{}, err
	}
	ttl, err := codeTTL(req.ExpiresInHours, s.resetTTL)
	if err != nil {
		return tc.PasswordReset{}, err
	}
	u, err := s.store.UserByRef(ctx, ref)
	if err != nil {
		return tc.PasswordReset{}, err
	}
	if err := CanActOnUser(p, u, "reset the password of"); err != nil {
		return tc.PasswordReset{}, err
	}
	issuer, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return tc.PasswordReset{}, err
	}
	// The code is bound to the issuer and the target as they are now.
	raw, hash := NewSecret(ResetPrefix)
	is, ts := issuer.Stamp(), u.Stamp()
	r := &store.PasswordReset{CodeHash: hash, UserID: u.ID, ExpiresAt: s.clock().Add(ttl), IssuedBy: &issuer.ID, IssuerState: &is, TargetState: &ts}
	if err := s.store.CreatePasswordReset(ctx, r); err != nil {
		return tc.PasswordReset{}, err
	}
	s.log.Info("password reset code issued", "by", p.Actor(), "username", u.Username)
	return tc.PasswordReset{UserID: u.ID, Code: raw, ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// ResetPassword redeems a reset code: new password, lockout cleared, every
// session ended. The user is not logged in.
func (s *Service) ResetPassword(ctx context.Context, req tc.CodeRequest) error {
	if !WellFormed(req.Code, ResetPrefix) {
		return tc.Errorf(tc.EInvalid, "reset code must look like %s followed by 64 hex digits", ResetPrefix).With("field", "code")
	}
	if err := s.Settings().Complexity.CheckPassword(req.Password); err != nil {
		return err
	}
	r, err := s.store.PasswordResetByHash(ctx, HashSecret(req.Code))
	if tc.IsCode(err, tc.ENotFound) || (err == nil && !s.clock().Before(r.ExpiresAt)) {
		return errBadCode("password reset")
	} else if err != nil {
		return err
	}
	if err := resetStillBound(ctx, s.store, r); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, req.Password)
	if err != nil {
		return err
	}
	var username string
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := resetStillBound(ctx, tx, r); err != nil {
			return err
		}
		if err := tx.DeletePasswordResetByID(ctx, r.ID); err != nil {
			if tc.IsCode(err, tc.ENotFound) {
				return errBadCode("password reset") // redeemed concurrently
			}
			return err
		}
		u, err := tx.UserByID(ctx, r.UserID)
		if err != nil {
			return err
		}
		username = u.Username
		if err := tx.UpdateUser(ctx, u.ID, store.SetPassword(hash)); err != nil {
			return err
		}
		if err := tx.DeletePasswordResets(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return err
		}
		return tx.ClearLoginFailures(ctx, u.Username)
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx)
	s.log.Info("password reset", "username", username)
	return nil
}

// TransferOwnership makes an active administrator the owner; the old owner
// becomes an administrator and both lose their sessions, in one transaction.
func (s *Service) TransferOwnership(ctx context.Context, p *Principal, ref string) (owner, previous tc.User, err error) {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return tc.User{}, tc.User{}, err
	}
	if p.Role != tc.RoleOwner {
		return tc.User{}, tc.User{}, tc.Errorf(tc.EForbidden, "only the owner can transfer ownership")
	}
	if ref == "" {
		return tc.User{}, tc.User{}, tc.Errorf(tc.EInvalid, "userId is required: the administrator who becomes owner").With("field", "userId")
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		cur, err := tx.Owner(ctx)
		if err != nil {
			return err
		}
		if cur.ID != p.UserID {
			return tc.Errorf(tc.EForbidden, "only the owner can transfer ownership")
		}
		target, err := tx.UserByRef(ctx, ref)
		if err != nil {
			return err
		}
		if err := CanTransferOwnership(p, target); err != nil {
			return err
		}
		// Demote first: the single-owner index never sees two owners.
		if err := tx.UpdateUser(ctx, cur.ID, map[string]any{"role": tc.RoleAdministrator}); err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, target.ID, map[string]any{"role": tc.RoleOwner}); err != nil {
			return err
		}
		for _, id := range []string{cur.ID, target.ID} {
			if _, err := tx.DeleteUserSessions(ctx, id, ""); err != nil {
				return err
			}
		}
		if err := clampUserTokens(ctx, tx, cur.ID, tc.RoleAdministrator); err != nil {
			return err
		}
		o, err := tx.UserByID(ctx, target.ID)
		if err != nil {
			return err
		}
		pr, err := tx.UserByID(ctx, cur.ID)
		if err != nil {
			return err
		}
		owner, previous = o.API(), pr.API()
		return nil
	})
	if err != nil {
		return tc.User{}, tc.User{}, err
	}
	s.invalidate(ctx)
	s.log.Info("ownership transferred", "from", previous.Username, "to", owner.Username)
	return owner, previous, nil
}

// clampUserTokens narrows a user's token permissions to role, revoking the
// tokens that keep nothing or whose owner can no longer hold tokens.
func clampUserTokens(ctx context.Context, tx *store.Store, userID string, role tc.Role) error {
	return tx.ClampTokens(ctx, userID, role.Permissions(), !role.CanHoldTokens())
}
