package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// OwnerBootstrap is the OWNER_* configuration.
type OwnerBootstrap struct {
	Username      string
	Email         string
	Password      string
	ResetPassword bool
}

// BootstrapOwner applies OWNER_USERNAME/OWNER_EMAIL/OWNER_PASSWORD and
// RESET_OWNER_PASSWORD at startup:
//   - no owner and none of the three set: a one-time setup code is issued
//     and logged (a setup from another host needs it);
//   - no owner yet and all three set: an administrator with that username is
//     promoted, otherwise the owner is created;
//   - an owner exists and RESET_OWNER_PASSWORD is set: its password becomes
//     OWNER_PASSWORD, its lockout is cleared and its sessions end.
//
// Errors name the option at fault; the daemon refuses to start on them.
func (s *Service) BootstrapOwner(ctx context.Context, b OwnerBootstrap) error {
	has, err := s.store.HasOwner(ctx)
	if err != nil {
		return err
	}
	if has {
		if !b.ResetPassword {
			return nil
		}
		if b.Password == "" {
			return fmt.Errorf("RESET_OWNER_PASSWORD is set but OWNER_PASSWORD is empty: set the new password in OWNER_PASSWORD")
		}
		if err := s.Settings().Complexity.CheckPassword(b.Password); err != nil {
			return fmt.Errorf("OWNER_PASSWORD: %s", tc.ErrorMessage(err))
		}
		hash, err := s.hasher.Hash(ctx, b.Password)
		if err != nil {
			return err
		}
		var username string
		err = s.store.Tx(ctx, func(tx *store.Store) error {
			o, err := tx.Owner(ctx)
			if err != nil {
				return err
			}
			username = o.Username
			if err := tx.UpdateUser(ctx, o.ID, store.SetPassword(hash)); err != nil {
				return err
			}
			if _, err := tx.DeleteUserSessions(ctx, o.ID, ""); err != nil {
				return err
			}
			return tx.ClearLoginFailures(ctx, o.Username)
		})
		if err != nil {
			return err
		}
		s.invalidate(ctx)
		s.log.Warn("owner password reset from OWNER_PASSWORD because RESET_OWNER_PASSWORD is set; unset it once you have logged in", "username", username)
		return nil
	}
	if b.Username == "" && b.Email == "" && b.Password == "" {
		// Whoever reaches setup first becomes owner: from another host that
		// takes this code, which only someone who reads tcd's log has.
		code := s.IssueSetupCode()
		s.log.Warn("no owner yet: create one with `tcctl setup` on this host, or from another host with the setup code below "+
			"(`tcctl setup --code CODE`); or set OWNER_USERNAME, OWNER_EMAIL and OWNER_PASSWORD", "setup_code", code)
		return nil
	}
	var missing []string
	for _, o := range [][2]string{{"OWNER_USERNAME", b.Username}, {"OWNER_EMAIL", b.Email}, {"OWNER_PASSWORD", b.Password}} {
		if o[1] == "" {
			missing = append(missing, o[0])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("to create the owner at startup set OWNER_USERNAME, OWNER_EMAIL and OWNER_PASSWORD together (missing: %s)", strings.Join(missing, ", "))
	}
	username, err := tc.NormalizeUsername(b.Username)
	if err != nil {
		return fmt.Errorf("OWNER_USERNAME: %s", tc.ErrorMessage(err))
	}
	email, err := tc.NormalizeEmail(b.Email)
	if err != nil {
		return fmt.Errorf("OWNER_EMAIL: %s", tc.ErrorMessage(err))
	}
	if err := s.Settings().Complexity.CheckPassword(b.Password); err != nil {
		return fmt.Errorf("OWNER_PASSWORD: %s", tc.ErrorMessage(err))
	}
	hash, err := s.hasher.Hash(ctx, b.Password)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		existing, err := tx.UserByUsername(ctx, username)
		switch {
		case err == nil && existing.Role == tc.RoleAdministrator:
			if err := tx.UpdateUser(ctx, existing.ID, map[string]any{"role": tc.RoleOwner, "disabled": false}); err != nil {
				return err
			}
			s.log.Info("administrator promoted to owner from OWNER_USERNAME", "username", username)
			return nil
		case err == nil:
			return fmt.Errorf("OWNER_USERNAME %q names an existing %s; only an administrator can be promoted to owner", username, existing.Role)
		case !tc.IsCode(err, tc.ENotFound):
			return err
		}
		u := &store.User{Username: username, Email: email, Role: tc.RoleOwner, PasswordHash: hash}
		if err := tx.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create owner from OWNER_USERNAME/OWNER_EMAIL: %s", tc.ErrorMessage(err))
		}
		s.log.Info("owner created from OWNER_USERNAME", "username", username)
		return nil
	})
	if err != nil {
		// Several nodes of a cluster may start at once with the same
		// OWNER_*: the database lets one create the owner; the others find it.
		if o, oerr := s.store.Owner(ctx); oerr == nil && o.Username == username {
			s.log.Info("owner from OWNER_USERNAME was created by another node", "username", username)
			return nil
		}
		return err
	}
	s.invalidate(ctx)
	return nil
}

// BootstrapToken provisions OWNER_TOKEN as an all-access token of the owner
// (source "bootstrap", no expiry), following Telegraf Controller's rules:
// the same value again is a no-op; a new value is provisioned and the old
// bootstrap token revoked, so exactly one is active; a value that belongs to
// a token created through the API is left alone with a warning; a manually
// revoked bootstrap token stays revoked; a deleted one is provisioned again;
// a malformed value, one with less than MinTokenEntropyBits of estimated
// entropy, or no owner yet, is skipped with a warning. Only the
// last four characters of the value are ever logged.
func (s *Service) BootstrapToken(ctx context.Context, raw string) error {
	if raw == "" {
		return nil
	}
	if !WellFormed(raw, TokenPrefix) {
		s.log.Warn("OWNER_TOKEN ignored: it must be tc-apiv1_ followed by 64 lowercase hex digits", "hint", Hint(raw))
		return nil
	}
	if bits, why := TokenEntropyBits(raw); bits < MinTokenEntropyBits {
		s.log.Warn("OWNER_TOKEN ignored: it is too easy to guess; use a random value, e.g. tc-apiv1_$(openssl rand -hex 32)",
			"why", why, "entropy_bits", int(bits), "needed_bits", MinTokenEntropyBits, "hint", Hint(raw))
		return nil
	}
	owner, err := s.store.Owner(ctx)
	if tc.IsCode(err, tc.ENotFound) {
		s.log.Warn("OWNER_TOKEN not provisioned yet: there is no owner; it will be at the next start after setup", "hint", Hint(raw))
		return nil
	} else if err != nil {
		return err
	}
	hash := HashSecret(raw)
	existing, err := s.store.TokenByHash(ctx, hash)
	switch {
	case err == nil && existing.Token.Source != tc.SourceBootstrap:
		s.log.Warn("OWNER_TOKEN left untouched: the value belongs to a token created through the API", "token_id", existing.Token.ID, "hint", Hint(raw))
		return nil
	case err == nil:
		if existing.Token.RevokedAt != nil {
			s.log.Info("OWNER_TOKEN's bootstrap token was revoked and stays revoked", "token_id", existing.Token.ID)
		}
		return nil
	case !tc.IsCode(err, tc.ENotFound):
		return err
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		desc := "bootstrap-token"
		for i := 1; ; i++ {
			var n int64
			if err := tx.Gorm(ctx).Model(&store.Token{}).Where("description = ?", desc).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				break
			}
			desc = fmt.Sprintf("bootstrap-token-%d", i)
		}
		t := &store.Token{Description: desc, TokenHash: hash, UserID: owner.ID,
			Permissions: strings.Join(tc.RoleOwner.Permissions().Strings(), ","), Source: tc.SourceBootstrap, Hint: Hint(raw)}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		olds, _, err := tx.ListTokens(ctx, store.TokenFilter{Source: tc.SourceBootstrap, Page: tc.Page{Limit: 1000}})
		if err != nil {
			return err
		}
		for _, o := range olds {
			if o.Token.ID != t.ID && o.Token.RevokedAt == nil {
				if err := tx.UpdateToken(ctx, o.Token.ID, map[string]any{"revoked_at": s.clock()}); err != nil {
					return err
				}
				s.log.Info("previous bootstrap token revoked", "token_id", o.Token.ID, "hint", o.Token.Hint)
			}
		}
		s.log.Info("bootstrap token provisioned from OWNER_TOKEN", "token_id", t.ID, "description", desc, "hint", t.Hint)
		return nil
	})
	if err == nil {
		s.invalidate(ctx)
	}
	return err
}
