package tc

import (
	"fmt"
	"sort"
	"strings"
)

// Role is a user's role. Roles are ordered: each holds everything below it.
type Role string

const (
	RoleOwner         Role = "owner"
	RoleAdministrator Role = "administrator"
	RoleManager       Role = "manager"
	RoleViewer        Role = "viewer"
)

// Roles lists every role, highest first.
var Roles = []Role{RoleOwner, RoleAdministrator, RoleManager, RoleViewer}

// Rank orders roles; an unknown role ranks 0 and outranks nobody.
func (r Role) Rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdministrator:
		return 3
	case RoleManager:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// ParseRole parses a role name, refusing unknown names with an EInvalid error
// that lists the valid ones.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", Errorf(EInvalid, "unknown role %q: use one of owner, administrator, manager, viewer", s)
	}
	return r, nil
}

// Resources of the permission catalogue.
const (
	ResAgents         = "agents"
	ResConfigs        = "configs" // also constants, aliases and config groups
	ResLabels         = "labels"
	ResReportingRules = "reporting-rules"
	ResHeartbeat      = "heartbeat"
	ResTokens         = "tokens"
	ResUsers          = "users"
	ResSettings       = "settings"
	ResAudit          = "audit"
	ResNotifications  = "notifications" // notification receivers, rules and the delivery log
	// ResAdvisories is security advisories: reading them needs agents:read
	// (exposure is a view of the fleet); advisories:write imports and
	// acknowledges them.
	ResAdvisories = "advisories"
)

// Actions of the permission catalogue; write means create, update and delete.
const (
	ActRead  = "read"
	ActWrite = "write"
)

// Permission is one resource:action pair, written "configs:read".
type Permission string

// Perm builds a Permission from its two halves.
func Perm(resource, action string) Permission { return Permission(resource + ":" + action) }

// Resource returns the part before the colon.
func (p Permission) Resource() string { r, _, _ := strings.Cut(string(p), ":"); return r }

// Action returns the part after the colon (without a scope).
func (p Permission) Action() string {
	_, a, _ := strings.Cut(string(p), ":")
	a, _, _ = strings.Cut(a, ":")
	return a
}

// Scope returns the object a scoped permission is limited to
// ("secrets:read:web" → "web"), "" for an unscoped one.
func (p Permission) Scope() string {
	parts := strings.SplitN(string(p), ":", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// Base returns the permission without its scope.
func (p Permission) Base() Permission {
	parts := strings.SplitN(string(p), ":", 3)
	if len(parts) < 3 {
		return p
	}
	return Permission(parts[0] + ":" + parts[1])
}

// scopable are the permissions a token may hold for one named object only
// (written "<resource>:<action>:<name>"): secrets:read on one secret set.
var scopable = map[Permission]func(string) error{
	Perm(ResSecrets, ActRead): CheckSecretSet,
}

// Catalogue is every permission a token can carry, in display order.
var Catalogue = []Permission{
	Perm(ResAgents, ActRead), Perm(ResAgents, ActWrite),
	Perm(ResConfigs, ActRead), Perm(ResConfigs, ActWrite),
	Perm(ResLabels, ActRead), Perm(ResLabels, ActWrite),
	Perm(ResReportingRules, ActRead), Perm(ResReportingRules, ActWrite),
	Perm(ResHeartbeat, ActRead), Perm(ResHeartbeat, ActWrite),
	Perm(ResTokens, ActRead), Perm(ResTokens, ActWrite),
	Perm(ResUsers, ActRead), Perm(ResUsers, ActWrite),
	Perm(ResSettings, ActRead), Perm(ResSettings, ActWrite),
	Perm(ResAudit, ActRead),
	Perm(ResNotifications, ActRead), Perm(ResNotifications, ActWrite),
	Perm(ResAdvisories, ActWrite),
	Perm(ResSecrets, ActRead), Perm(ResSecrets, ActWrite),
}

var catalogueIndex = func() map[Permission]int {
	m := make(map[Permission]int, len(Catalogue))
	for i, p := range Catalogue {
		m[p] = i
	}
	return m
}()

// Known reports whether p is in the catalogue, or is a scoped form of a
// scopable permission with a valid name.
func (p Permission) Known() bool {
	if _, ok := catalogueIndex[p]; ok {
		return true
	}
	check, ok := scopable[p.Base()]
	return ok && p.Scope() != "" && check(p.Scope()) == nil
}

// ParsePermissions parses and de-duplicates permission strings, refusing any
// that is not in the catalogue. resource:action is case-insensitive; the
// scope of a scoped permission (secrets:read:<set>) is kept as written.
func ParsePermissions(in []string) (PermissionSet, error) {
	set := PermissionSet{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		p := Permission(strings.ToLower(s))
		if parts := strings.SplitN(s, ":", 3); len(parts) == 3 {
			p = Permission(strings.ToLower(parts[0]+":"+parts[1]) + ":" + parts[2])
		}
		if !p.Known() {
			return nil, Errorf(EInvalid, "unknown permission %q: permissions are resource:action, e.g. configs:read, or secrets:read:<set> for one secret set (see the catalogue in the API documentation)", s)
		}
		set[p] = struct{}{}
	}
	return set, nil
}

// PermissionSet is a set of permissions.
type PermissionSet map[Permission]struct{}

// NewPermissionSet builds a set from a list.
func NewPermissionSet(ps ...Permission) PermissionSet {
	s := make(PermissionSet, len(ps))
	for _, p := range ps {
		s[p] = struct{}{}
	}
	return s
}

// Has reports whether the set holds p exactly.
func (s PermissionSet) Has(p Permission) bool { _, ok := s[p]; return ok }

// Covers reports whether the set grants p: holds it, or holds the
// unscoped permission of a scoped p (secrets:read covers secrets:read:web).
func (s PermissionSet) Covers(p Permission) bool {
	return s.Has(p) || (p.Scope() != "" && s.Has(p.Base()))
}

// CoversAnyScope reports whether the set grants p for at least one object:
// p itself or any scoped form of it (the route gate of a scoped
// permission; the handler then checks the object).
func (s PermissionSet) CoversAnyScope(p Permission) bool {
	if s.Covers(p) {
		return true
	}
	for q := range s {
		if q.Scope() != "" && q.Base() == p {
			return true
		}
	}
	return false
}

// Intersect returns what both sets grant: a scoped permission of one set
// is kept when the other holds it or its unscoped form.
func (s PermissionSet) Intersect(o PermissionSet) PermissionSet {
	out := PermissionSet{}
	for p := range s {
		if o.Covers(p) {
			out[p] = struct{}{}
		}
	}
	for p := range o {
		if s.Covers(p) {
			out[p] = struct{}{}
		}
	}
	return out
}

// Minus returns the permissions of s that o does not grant.
func (s PermissionSet) Minus(o PermissionSet) PermissionSet {
	out := PermissionSet{}
	for p := range s {
		if !o.Covers(p) {
			out[p] = struct{}{}
		}
	}
	return out
}

// List returns the set in catalogue order (unknown entries last, sorted).
func (s PermissionSet) List() []Permission {
	out := make([]Permission, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		ii, iok := catalogueIndex[out[i]]
		ji, jok := catalogueIndex[out[j]]
		switch {
		case iok && jok:
			return ii < ji
		case iok != jok:
			return iok
		}
		return out[i] < out[j]
	})
	return out
}

// Strings returns the set as sorted strings, the wire form.
func (s PermissionSet) Strings() []string {
	l := s.List()
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = string(p)
	}
	return out
}

var rolePerms = func() map[Role]PermissionSet {
	viewer := NewPermissionSet(
		Perm(ResAgents, ActRead), Perm(ResConfigs, ActRead), Perm(ResLabels, ActRead),
		Perm(ResReportingRules, ActRead), Perm(ResHeartbeat, ActRead),
	)
	manager := NewPermissionSet(
		Perm(ResAgents, ActWrite), Perm(ResConfigs, ActWrite), Perm(ResLabels, ActWrite),
		Perm(ResReportingRules, ActWrite), Perm(ResHeartbeat, ActWrite),
		Perm(ResTokens, ActRead), Perm(ResTokens, ActWrite),
		Perm(ResSecrets, ActRead), Perm(ResSecrets, ActWrite),
	)
	for p := range viewer {
		manager[p] = struct{}{}
	}
	admin := NewPermissionSet(
		Perm(ResUsers, ActRead), Perm(ResUsers, ActWrite),
		Perm(ResSettings, ActRead), Perm(ResSettings, ActWrite),
		Perm(ResAudit, ActRead),
		Perm(ResNotifications, ActRead), Perm(ResNotifications, ActWrite),
		Perm(ResAdvisories, ActWrite),
	)
	for p := range manager {
		admin[p] = struct{}{}
	}
	owner := PermissionSet{}
	for p := range admin {
		owner[p] = struct{}{}
	}
	return map[Role]PermissionSet{RoleViewer: viewer, RoleManager: manager, RoleAdministrator: admin, RoleOwner: owner}
}()

// RolePermissions returns (a copy of) what a role may do. Scope rules that a
// permission cannot express — managers see only their own tokens,
// administrators cannot act on administrators, only the owner transfers
// ownership — live in internal/auth's policy.
func (r Role) Permissions() PermissionSet {
	src := rolePerms[r]
	out := make(PermissionSet, len(src))
	for p := range src {
		out[p] = struct{}{}
	}
	return out
}

// CanHoldTokens reports whether users of this role may own API tokens.
func (r Role) CanHoldTokens() bool { return r.Rank() >= RoleManager.Rank() }

// MissingPermissionError is the 403 for a credential without p.
func MissingPermissionError(p Permission) *Error {
	return Errorf(EForbidden, "%s required", p).With("required", string(p))
}

// String implements fmt.Stringer.
func (r Role) String() string { return string(r) }

var _ fmt.Stringer = Role("")
