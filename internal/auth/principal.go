package auth

import (
	"context"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	// UserID, Username and Role describe the user behind the credential; they
	// are empty for an anonymous caller admitted to an opened endpoint group.
	UserID   string
	Username string
	Role     tc.Role
	// Credential is tc.CredentialSession, tc.CredentialToken or tc.CredentialNone.
	Credential string
	// SessionID or TokenID identifies the credential.
	SessionID string
	TokenID   string
	// TokenDescription is the API token's description (for the audit log
	// and config history).
	TokenDescription string
	// ExpiresAt is the credential's expiry (nil = never).
	ExpiresAt *time.Time
	// Permissions are the effective permissions: the role's for a session,
	// token ∩ role for a token, the opened groups' for an anonymous caller.
	Permissions tc.PermissionSet
}

// Anonymous reports whether no credential was presented.
func (p *Principal) Anonymous() bool {
	return p == nil || p.Credential == tc.CredentialNone || p.UserID == ""
}

// Can reports whether the principal holds perm (or, for a scoped perm, its
// unscoped form).
func (p *Principal) Can(perm tc.Permission) bool { return p != nil && p.Permissions.Covers(perm) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p, for services that record who made
// a change (config versions name the token of a token-authenticated push).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal WithPrincipal put in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Actor names the principal for logs and audit ("alice", "token:<id>", "anonymous").
func (p *Principal) Actor() string {
	switch {
	case p == nil || p.Anonymous():
		return "anonymous"
	case p.Credential == tc.CredentialToken:
		return p.Username + " (token " + p.TokenID + ")"
	}
	return p.Username
}
