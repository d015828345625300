package auth

import (
	"strings"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// This file is the authorization policy: every decision about who may do
// what is made here. The API's route table names the permission each route
// needs and calls Require; the identity service calls the target rules below.
// Everything fails closed: a nil principal is refused.

// Require returns nil when p holds perm; otherwise 401 for a missing
// principal and 403 naming the permission.
func Require(p *Principal, perm tc.Permission) error {
	if p == nil {
		return tc.Errorf(tc.EUnauthorized, "authentication required")
	}
	if !p.Can(perm) {
		return tc.MissingPermissionError(perm)
	}
	return nil
}

// RequireUser refuses anonymous callers (routes about "me").
func RequireUser(p *Principal) error {
	if p == nil || p.Anonymous() {
		return tc.Errorf(tc.EUnauthorized, "authentication required: log in or send an API token")
	}
	return nil
}

// outranks is the core rule for acting on another account: the caller's role
// must be strictly higher than the target's. So administrators act on
// managers and viewers but not on administrators or the owner, and the owner
// acts on everybody but itself.
func outranks(p *Principal, target *store.User) bool { return p.Role.Rank() > target.Role.Rank() }

// CanActOnUser checks that p may change, disable, delete or reset the
// password of target. verb names the action in the refusal message.
func CanActOnUser(p *Principal, target *store.User, verb string) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	switch {
	case p.UserID == target.ID:
		return tc.Errorf(tc.EForbidden, "you cannot %s your own account", verb)
	case target.Role == tc.RoleOwner:
		return tc.Errorf(tc.EForbidden, "the owner cannot be %s; the owner can only hand over ownership (tcctl user transfer-owner)", pastTense(verb))
	case !outranks(p, target):
		return tc.Errorf(tc.EForbidden, "%s cannot %s %s %q: only the owner acts on administrators", article(p.Role), verb, target.Role, target.Username)
	}
	return nil
}

// CanGrantRole checks that p may give a user the role r (by invite or role
// change): nobody grants owner, only the owner grants administrator.
func CanGrantRole(p *Principal, r tc.Role) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	switch {
	case !r.Valid():
		return tc.Errorf(tc.EInvalid, "unknown role %q: use administrator, manager or viewer", r).With("field", "role")
	case r == tc.RoleOwner:
		return tc.Errorf(tc.EForbidden, "the owner role cannot be granted; the owner transfers ownership with tcctl user transfer-owner")
	case p.Role.Rank() <= r.Rank():
		return tc.Errorf(tc.EForbidden, "%s cannot grant the %s role: only the owner can", article(p.Role), r)
	}
	return nil
}

// CanTransferOwnership checks the rules of an ownership transfer. It
// distinguishes refusals by code: 403 for a caller who is not the owner,
// 400 for a transfer to oneself, 409 for a target in the wrong state.
func CanTransferOwnership(p *Principal, target *store.User) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	switch {
	case p.Role != tc.RoleOwner:
		return tc.Errorf(tc.EForbidden, "only the owner can transfer ownership")
	case p.Credential != tc.CredentialSession && p.Credential != tc.CredentialToken:
		return tc.Errorf(tc.EForbidden, "only the owner can transfer ownership")
	case p.UserID == target.ID:
		return tc.Errorf(tc.EInvalid, "you already are the owner: name the administrator who should take over")
	case target.Disabled:
		return tc.Errorf(tc.EConflict, "%q is disabled: enable the account first (tcctl user enable %s)", target.Username, target.Username)
	case target.Role != tc.RoleAdministrator:
		return tc.Errorf(tc.EConflict, "%q is %s, not an administrator: promote them first (tcctl user set-role %s administrator)", target.Username, article(target.Role), target.Username)
	}
	return nil
}

// CanSeeUsers checks read access to the user list.
func CanSeeUsers(p *Principal) error { return Require(p, tc.Perm(tc.ResUsers, tc.ActRead)) }

func article(r tc.Role) string {
	switch r {
	case tc.RoleOwner:
		return "the owner"
	case tc.RoleAdministrator:
		return "an administrator"
	case tc.RoleManager:
		return "a manager"
	case tc.RoleViewer:
		return "a viewer"
	}
	return "an anonymous caller"
}

func pastTense(verb string) string {
	switch verb {
	case "delete":
		return "deleted"
	case "disable":
		return "disabled"
	case "enable":
		return "enabled"
	case "demote", "change the role of":
		return "demoted"
	case "reset the password of":
		return "given a password-reset code"
	}
	return "changed"
}

// seesAllTokens reports whether p manages everybody's tokens (administrators
// and the owner) rather than only its own (managers).
func seesAllTokens(p *Principal) bool { return p.Role.Rank() >= tc.RoleAdministrator.Rank() }

// CanSeeToken hides other users' tokens from managers: to them such a token
// does not exist (404), so its existence is not revealed either.
func CanSeeToken(p *Principal, t *store.Token) error {
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActRead)); err != nil {
		return err
	}
	if t.UserID != p.UserID && !seesAllTokens(p) {
		return tc.Errorf(tc.ENotFound, "token %q not found", t.ID)
	}
	return nil
}

// CanManageToken checks revoke and delete rights on t.
func CanManageToken(p *Principal, t *store.Token) error {
	if err := CanSeeToken(p, t); err != nil {
		return err
	}
	return Require(p, tc.Perm(tc.ResTokens, tc.ActWrite))
}

// CanReassignTokens: only administrators and the owner move tokens between users.
func CanReassignTokens(p *Principal) error {
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActWrite)); err != nil {
		return err
	}
	if !seesAllTokens(p) {
		return tc.Errorf(tc.EForbidden, "only administrators and the owner can reassign tokens")
	}
	return nil
}

// CanGrant checks that a new token asks for nothing the creator does not
// hold (a token never exceeds its owner's role, nor the credential that
// creates it). The 403 names what may not be granted.
func CanGrant(p *Principal, requested tc.PermissionSet) error {
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActWrite)); err != nil {
		return err
	}
	if !p.Role.CanHoldTokens() {
		return tc.Errorf(tc.EForbidden, "%s cannot hold API tokens", article(p.Role))
	}
	if excess := requested.Minus(p.Permissions); len(excess) > 0 {
		return tc.Errorf(tc.EForbidden, "you may not grant %s: a token cannot exceed its creator's permissions",
			strings.Join(excess.Strings(), ", ")).With("notGrantable", excess.Strings())
	}
	return nil
}
