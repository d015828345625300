package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opentc/tc/pkg/tc"
)

// Health is the body of the health endpoints.
type Health struct {
	Status string `json:"status,omitempty"`
	Ready  *bool  `json:"ready,omitempty"`
	Leader *bool  `json:"leader,omitempty"`
}

// Ready calls GET /health/ready.
func (c *Client) Ready(ctx context.Context) (Health, error) {
	var h Health
	err := c.Do(ctx, http.MethodGet, "/health/ready", nil, nil, &h)
	return h, err
}

// Setup creates the owner (POST /api/auth/setup) and returns its session.
func (c *Client) Setup(ctx context.Context, req tc.SetupRequest) (tc.LoginResponse, error) {
	var out tc.LoginResponse
	err := c.Do(ctx, http.MethodPost, "/api/auth/setup", nil, req, &out)
	return out, err
}

// Login starts a session (POST /api/auth/login).
func (c *Client) Login(ctx context.Context, req tc.LoginRequest) (tc.LoginResponse, error) {
	var out tc.LoginResponse
	err := c.Do(ctx, http.MethodPost, "/api/auth/login", nil, req, &out)
	return out, err
}

// Logout ends the caller's session (POST /api/auth/logout).
func (c *Client) Logout(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, "/api/auth/logout", nil, nil, nil)
}

// Me returns the caller (GET /api/auth/me).
func (c *Client) Me(ctx context.Context) (tc.Me, error) {
	var out tc.Me
	err := c.Do(ctx, http.MethodGet, "/api/auth/me", nil, nil, &out)
	return out, err
}

// UpdateMe changes the caller's email or password (PATCH /api/auth/me).
func (c *Client) UpdateMe(ctx context.Context, req tc.UpdateMeRequest) (tc.User, error) {
	var out tc.User
	err := c.Do(ctx, http.MethodPatch, "/api/auth/me", nil, req, &out)
	return out, err
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role   string
	Search string
	tc.Page
}

// ListUsers lists users (GET /api/users).
func (c *Client) ListUsers(ctx context.Context, f UserFilter) (tc.List[tc.User], error) {
	q := url.Values{}
	if f.Role != "" {
		q.Set("role", f.Role)
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	var out tc.List[tc.User]
	err := c.Do(ctx, http.MethodGet, "/api/users", pageQuery(f.Page, q), nil, &out)
	return out, err
}

// GetUser returns one user by ID or username (GET /api/users/{idOrUsername}).
func (c *Client) GetUser(ctx context.Context, idOrUsername string) (tc.User, error) {
	var out tc.User
	err := c.Do(ctx, http.MethodGet, "/api/users/"+esc(idOrUsername), nil, nil, &out)
	return out, err
}

// UpdateUser changes a user's role, email or disabled flag (PATCH /api/users/{idOrUsername}).
func (c *Client) UpdateUser(ctx context.Context, idOrUsername string, req tc.UpdateUserRequest) (tc.User, error) {
	var out tc.User
	err := c.Do(ctx, http.MethodPatch, "/api/users/"+esc(idOrUsername), nil, req, &out)
	return out, err
}

// DeleteUser deletes a user (DELETE /api/users/{idOrUsername}).
func (c *Client) DeleteUser(ctx context.Context, idOrUsername string) error {
	return c.Do(ctx, http.MethodDelete, "/api/users/"+esc(idOrUsername), nil, nil, nil)
}

// CreateInvite invites a user (POST /api/users/invites); the response holds the one-time code.
func (c *Client) CreateInvite(ctx context.Context, req tc.InviteRequest) (tc.Invite, error) {
	var out tc.Invite
	err := c.Do(ctx, http.MethodPost, "/api/users/invites", nil, req, &out)
	return out, err
}

// ListInvites lists pending invites (GET /api/users/invites).
func (c *Client) ListInvites(ctx context.Context, p tc.Page) (tc.List[tc.Invite], error) {
	var out tc.List[tc.Invite]
	err := c.Do(ctx, http.MethodGet, "/api/users/invites", pageQuery(p, nil), nil, &out)
	return out, err
}

// DeleteInvite withdraws a pending invite (DELETE /api/users/invites/{id}).
func (c *Client) DeleteInvite(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/users/invites/"+esc(id), nil, nil, nil)
}

// AcceptInvite redeems an invite code and returns the new user's session
// (POST /api/auth/invites/accept).
func (c *Client) AcceptInvite(ctx context.Context, req tc.CodeRequest) (tc.LoginResponse, error) {
	var out tc.LoginResponse
	err := c.Do(ctx, http.MethodPost, "/api/auth/invites/accept", nil, req, &out)
	return out, err
}

// CreatePasswordReset returns a one-time reset code for a user
// (POST /api/users/{idOrUsername}/password-reset).
func (c *Client) CreatePasswordReset(ctx context.Context, idOrUsername string, req tc.PasswordResetRequest) (tc.PasswordReset, error) {
	var out tc.PasswordReset
	err := c.Do(ctx, http.MethodPost, "/api/users/"+esc(idOrUsername)+"/password-reset", nil, req, &out)
	return out, err
}

// ResetPassword redeems a reset code (POST /api/auth/password-reset).
func (c *Client) ResetPassword(ctx context.Context, req tc.CodeRequest) error {
	return c.Do(ctx, http.MethodPost, "/api/auth/password-reset", nil, req, nil)
}

// TransferResult is the answer to an ownership transfer.
type TransferResult struct {
	Owner         tc.User `json:"owner"`
	PreviousOwner tc.User `json:"previousOwner"`
}

// TransferOwnership makes an active administrator the owner
// (POST /api/users/transfer-ownership).
func (c *Client) TransferOwnership(ctx context.Context, userIDOrUsername string) (TransferResult, error) {
	var out TransferResult
	err := c.Do(ctx, http.MethodPost, "/api/users/transfer-ownership", nil, tc.TransferOwnershipRequest{UserID: userIDOrUsername}, &out)
	return out, err
}

// Settings returns the runtime settings (GET /api/settings).
func (c *Client) Settings(ctx context.Context) (tc.Settings, error) {
	var out tc.Settings
	err := c.Do(ctx, http.MethodGet, "/api/settings", nil, nil, &out)
	return out, err
}

// UpdateSettings changes settings (PATCH /api/settings).
func (c *Client) UpdateSettings(ctx context.Context, req tc.SettingsPatch) (tc.Settings, error) {
	var out tc.Settings
	err := c.Do(ctx, http.MethodPatch, "/api/settings", nil, req, &out)
	return out, err
}

// PublicURLs returns the public API and heartbeat URLs (GET /api/settings/public).
func (c *Client) PublicURLs(ctx context.Context) (tc.PublicURLs, error) {
	var out tc.PublicURLs
	err := c.Do(ctx, http.MethodGet, "/api/settings/public", nil, nil, &out)
	return out, err
}
