package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opentc/tc/pkg/tc"
)

// CreateToken creates an API token (POST /api/tokens). The response's Raw
// field holds the token value; it is never shown again.
func (c *Client) CreateToken(ctx context.Context, req tc.CreateTokenRequest) (tc.CreatedToken, error) {
	var out tc.CreatedToken
	err := c.Do(ctx, http.MethodPost, "/api/tokens", nil, req, &out)
	return out, err
}

// ListTokens lists tokens (GET /api/tokens); userRef filters by owner (ID or
// username; administrators and the owner only).
func (c *Client) ListTokens(ctx context.Context, userRef string, p tc.Page) (tc.List[tc.Token], error) {
	q := url.Values{}
	if userRef != "" {
		q.Set("userId", userRef)
	}
	var out tc.List[tc.Token]
	err := c.Do(ctx, http.MethodGet, "/api/tokens", pageQuery(p, q), nil, &out)
	return out, err
}

// GetToken returns one token (GET /api/tokens/{id}).
func (c *Client) GetToken(ctx context.Context, id string) (tc.Token, error) {
	var out tc.Token
	err := c.Do(ctx, http.MethodGet, "/api/tokens/"+esc(id), nil, nil, &out)
	return out, err
}

// RevokeToken revokes a token (POST /api/tokens/{id}/revoke).
func (c *Client) RevokeToken(ctx context.Context, id string) (tc.Token, error) {
	var out tc.Token
	err := c.Do(ctx, http.MethodPost, "/api/tokens/"+esc(id)+"/revoke", nil, nil, &out)
	return out, err
}

// DeleteToken deletes a token (DELETE /api/tokens/{id}).
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/tokens/"+esc(id), nil, nil, nil)
}

// ReassignToken gives a token to another user (POST /api/tokens/{id}/reassign).
func (c *Client) ReassignToken(ctx context.Context, id, userRef string) (tc.Token, error) {
	var out tc.Token
	err := c.Do(ctx, http.MethodPost, "/api/tokens/"+esc(id)+"/reassign", nil, tc.ReassignTokenRequest{UserID: userRef}, &out)
	return out, err
}

// TokenCapabilities returns what token creation allows (GET /api/tokens/capabilities).
func (c *Client) TokenCapabilities(ctx context.Context) (tc.TokenCapabilities, error) {
	var out tc.TokenCapabilities
	err := c.Do(ctx, http.MethodGet, "/api/tokens/capabilities", nil, nil, &out)
	return out, err
}
