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
		hash, err := s.hasher.Hash(b.Password)
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
			if err := tx.UpdateUser(ctx, o.ID, map[string]any{"password_hash": hash}); err != nil {
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
		s.Invalidate()
		s.log.Warn("owner password reset from OWNER_PASSWORD because RESET_OWNER_PASSWORD is set; unset it once you have logged in", "username", username)
		return nil
	}
	if b.Username == "" && b.Email == "" && b.Password == "" {
		s.log.Info("no owner yet: create one with `tcctl setup` (POST /api/auth/setup) or set OWNER_USERNAME, OWNER_EMAIL and OWNER_PASSWORD")
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
	hash, err := s.hasher.Hash(b.Password)
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
	if err == nil {
		s.Invalidate()
	}
	return err
}
