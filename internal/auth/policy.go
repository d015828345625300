package auth

import (
	"fmt"
	"strings"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// This file is the authorization policy: every decision about who may do
// what is made here. The API's route table names the permission each route
// needs and calls Require; the identity service calls the target rules below.
// Everything fails closed: a nil principal is refused.

// Require returns nil when p holds perm; otherwise 401 for a missing
// principal and 403 naming the permission. For a scopable permission
// (secrets:read) holding it for any one object passes: the route's handler
// then decides on the object (CanReadSecretValues).
func Require(p *Principal, perm tc.Permission) error {
	if p == nil {
		return tc.Errorf(tc.EUnauthorized, "authentication required")
	}
	if !p.Can(perm) && !p.Permissions.CoversAnyScope(perm) {
		return tc.MissingPermissionError(perm)
	}
	return nil
}

// CanReadSecretValues is the one rule for the values of a secret set: an
// API token (never a session: values are for agents, not for people at a
// browser or tcctl) holding secrets:read or secrets:read:<set>.
func CanReadSecretValues(p *Principal, set string) error {
	if p == nil || p.Anonymous() {
		return tc.Errorf(tc.EUnauthorized, "authentication required")
	}
	perm := tc.SecretReadScoped(set)
	if !p.Can(perm) {
		return tc.Errorf(tc.EForbidden, "secrets:read on set %q required (a token holds secrets:read for every set or secrets:read:%s for this one)", set, set).
			With("required", string(perm))
	}
	if p.Credential != tc.CredentialToken {
		return tc.Errorf(tc.EForbidden, "secret values are served to API tokens only (Telegraf's secretstores.http): create one with tcctl token create --preset telegraf-agent-secrets")
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

// outranks compares roles: the caller's must be strictly higher than the
// target's. Administrators outrank managers and viewers, the owner outranks
// everybody else.
func outranks(p *Principal, target *store.User) bool { return p.Role.Rank() > target.Role.Rank() }

// managesOthers reports whether p's role acts on other users and their
// objects at all (administrators and the owner); managers and viewers act
// only on their own.
func managesOthers(p *Principal) bool { return p.Role.Rank() >= tc.RoleAdministrator.Rank() }

// CanActOn is the one rule for every action on a user or on an object that
// belongs to a user (their tokens, the invites they issued, reset codes for
// them, their sessions): the caller must be that user, or manage other users
// and outrank them. So administrators act on managers, viewers and
// themselves; only the owner acts on administrators and on what is theirs.
// verb names the action in the refusal ("revoke the tokens of", "give a
// token to", …).
// Route permissions are checked separately (Require); this is the "who may
// act on whom" half of every decision.
func CanActOn(p *Principal, target *store.User, verb string) error {
	switch {
	case p == nil || p.Anonymous():
		return tc.Errorf(tc.EUnauthorized, "authentication required")
	case p.UserID == target.ID:
		return nil
	case !managesOthers(p):
		return tc.Errorf(tc.EForbidden, "%s cannot %s %s: %ss act only on their own account and tokens", article(p.Role), verb, describeUser(target), p.Role)
	case !outranks(p, target):
		return tc.Errorf(tc.EForbidden, "%s cannot %s %s: only the owner acts on administrators, their tokens and their invites", article(p.Role), verb, describeUser(target))
	}
	return nil
}

func describeUser(u *store.User) string {
	if u.Role == tc.RoleOwner {
		return fmt.Sprintf("the owner %q", u.Username)
	}
	return fmt.Sprintf("%s %q", u.Role, u.Username)
}

// CanActOnUser checks that p may change, disable, delete or reset the
// password of target. verb names the action in the refusal message. Nobody
// does these to their own account (they use /api/auth/me), and the owner is
// changed only by a transfer.
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
	return CanActOn(p, target, verb)
}

// CanWithdrawInvite checks that p may withdraw an invite: p must be able to
// grant the invited role and may act on the issuer (nil when the issuer's
// account is gone: then the role decides alone).
func CanWithdrawInvite(p *Principal, invitedRole tc.Role, issuer *store.User) error {
	if err := Require(p, tc.Perm(tc.ResUsers, tc.ActWrite)); err != nil {
		return err
	}
	if p.Role.Rank() <= invitedRole.Rank() {
		return tc.Errorf(tc.EForbidden, "%s cannot withdraw an invite for the %s role: only the owner acts on administrators and their invites", article(p.Role), invitedRole)
	}
	if issuer != nil {
		return CanActOn(p, issuer, "withdraw an invite issued by")
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

// seesAllTokens reports whether p sees everybody's tokens (administrators
// and the owner) rather than only its own (managers). Seeing is not acting:
// CanManageToken and CanReassignToken also apply CanActOn.
func seesAllTokens(p *Principal) bool { return managesOthers(p) }

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

// CanManageToken checks revoke and delete rights on t, whose current owner
// is owner: the caller sees it, holds tokens:write and may act on the owner.
// verb names the action in the refusal ("revoke the tokens of").
func CanManageToken(p *Principal, t *store.Token, owner *store.User, verb string) error {
	if err := CanSeeToken(p, t); err != nil {
		return err
	}
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActWrite)); err != nil {
		return err
	}
	return CanActOn(p, owner, verb)
}

// CanReassignToken checks that p may move t from its current owner to
// newOwner: p manages t (CanManageToken on the current owner) and may act
// on the new owner as well. A token therefore never moves to or from
// someone the caller does not outrank, so reassigning cannot lend the
// caller anybody else's identity.
func CanReassignToken(p *Principal, t *store.Token, current, newOwner *store.User) error {
	if err := CanManageToken(p, t, current, "reassign the tokens of"); err != nil {
		return err
	}
	return CanActOn(p, newOwner, "give a token to")
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

// ResourcePermissions is what config as code needs per resource kind:
// reading (export, diff, apply --dry-run) or writing (apply) configs,
// config groups, constants and aliases needs configs:read|write, labels
// labels:read|write, reporting rules reporting-rules:read|write, secret
// sets (names only) secrets:write. An apply that names a config's labels
// also reads labels.
func ResourcePermissions(kinds []string, write bool) tc.PermissionSet {
	act := tc.ActRead
	if write {
		act = tc.ActWrite
	}
	out := tc.PermissionSet{}
	for _, k := range kinds {
		switch k {
		case tc.KindConfig, tc.KindConfigGroup, tc.KindConstant, tc.KindAlias:
			out[tc.Perm(tc.ResConfigs, act)] = struct{}{}
			out[tc.Perm(tc.ResConfigs, tc.ActRead)] = struct{}{}
		case tc.KindLabel:
			out[tc.Perm(tc.ResLabels, act)] = struct{}{}
		case tc.KindReportingRule:
			out[tc.Perm(tc.ResReportingRules, act)] = struct{}{}
		case tc.KindSecretSet:
			// Listing secret names is secrets:write's (never values).
			out[tc.Perm(tc.ResSecrets, tc.ActWrite)] = struct{}{}
		}
		if k == tc.KindConfig || k == tc.KindConfigGroup {
			out[tc.Perm(tc.ResLabels, tc.ActRead)] = struct{}{}
		}
	}
	return out
}

// CanUseResources checks that p holds every permission config as code
// needs for kinds (see ResourcePermissions); the 403 names the first
// missing one.
func CanUseResources(p *Principal, kinds []string, write bool) error {
	for _, perm := range ResourcePermissions(kinds, write).List() {
		if err := Require(p, perm); err != nil {
			return err
		}
	}
	return nil
}
