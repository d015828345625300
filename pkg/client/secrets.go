package client

import (
	"context"
	"net/http"

	"github.com/opentc/tc/pkg/tc"
)

// ListSecretSets lists every secret set.
func (c *Client) ListSecretSets(ctx context.Context) ([]tc.SecretSet, error) {
	var out tc.List[tc.SecretSet]
	err := c.Do(ctx, http.MethodGet, "/api/secret-sets", nil, nil, &out)
	return out.Items, err
}

// ListSecrets lists a set's secrets: names, versions, authors (never values).
func (c *Client) ListSecrets(ctx context.Context, set string) ([]tc.Secret, error) {
	var out tc.List[tc.Secret]
	err := c.Do(ctx, http.MethodGet, "/api/secret-sets/"+esc(set)+"/secrets", nil, nil, &out)
	return out.Items, err
}

// SetSecret creates or replaces a secret; the value is sent in the body,
// never in the URL.
func (c *Client) SetSecret(ctx context.Context, set, name, value string) (tc.Secret, error) {
	var out tc.Secret
	err := c.Do(ctx, http.MethodPut, "/api/secret-sets/"+esc(set)+"/secrets/"+esc(name), nil, tc.SetSecretRequest{Value: value}, &out)
	return out, err
}

// DeleteSecret deletes one secret.
func (c *Client) DeleteSecret(ctx context.Context, set, name string) error {
	return c.Do(ctx, http.MethodDelete, "/api/secret-sets/"+esc(set)+"/secrets/"+esc(name), nil, nil, nil)
}

// DeleteSecretSet deletes a set and every secret in it.
func (c *Client) DeleteSecretSet(ctx context.Context, set string) error {
	return c.Do(ctx, http.MethodDelete, "/api/secret-sets/"+esc(set), nil, nil, nil)
}

// SetSecretCipher sets a set's transit cipher; with AES the answer holds
// the new key and IV (shown this once).
func (c *Client) SetSecretCipher(ctx context.Context, set, cipher string) (tc.SecretCipher, error) {
	var out tc.SecretCipher
	err := c.Do(ctx, http.MethodPut, "/api/secret-sets/"+esc(set)+"/cipher", nil, tc.SecretCipherRequest{Cipher: cipher}, &out)
	return out, err
}

// SecretValues fetches a set's values as Telegraf does (an API token with
// secrets:read on the set).
func (c *Client) SecretValues(ctx context.Context, set string) (map[string]string, error) {
	var out map[string]string
	err := c.Do(ctx, http.MethodGet, "/api/secret-sets/"+esc(set)+"/values", nil, nil, &out)
	return out, err
}
