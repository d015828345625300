package auth

import (
	"context"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Invite and password-reset codes are bound to the account that issued them
// and, for a reset, to the account it resets, each as it was at issue time
// (store.User.Stamp: role, disabled flag, password generation). A change of
// either — the issuer demoted, disabled, deleted or given a new password,
// the target promoted, demoted, disabled or given a new password — voids the
// code: it is refused like an unknown one. So a code never carries more
// authority than its issuer still has over an account that is still what
// the issuer saw.

// inviteStillBound refuses an invite whose issuer is gone or changed.
func inviteStillBound(ctx context.Context, st *store.Store, inv *store.Invite) error {
	if inv.InvitedBy == nil || inv.IssuerState == nil {
		return errBadCode("invite")
	}
	issuer, err := st.UserByID(ctx, *inv.InvitedBy)
	if tc.IsCode(err, tc.ENotFound) {
		return errBadCode("invite")
	} else if err != nil {
		return err
	}
	if issuer.Stamp() != *inv.IssuerState {
		return errBadCode("invite")
	}
	return nil
}

// resetStillBound refuses a reset code whose issuer or target is gone or
// changed.
func resetStillBound(ctx context.Context, st *store.Store, r *store.PasswordReset) error {
	if r.IssuedBy == nil || r.IssuerState == nil || r.TargetState == nil {
		return errBadCode("password reset")
	}
	for _, b := range []struct{ id, stamp string }{{*r.IssuedBy, *r.IssuerState}, {r.UserID, *r.TargetState}} {
		u, err := st.UserByID(ctx, b.id)
		if tc.IsCode(err, tc.ENotFound) {
			return errBadCode("password reset")
		} else if err != nil {
			return err
		}
		if u.Stamp() != b.stamp {
			return errBadCode("password reset")
		}
	}
	return nil
}
