package client

import (
	"context"
	"net/http"

	"github.com/opentc/tc/pkg/tc"
)

// ListConstants lists every constant.
func (c *Client) ListConstants(ctx context.Context) ([]tc.Constant, error) {
	var out tc.List[tc.Constant]
	err := c.Do(ctx, http.MethodGet, "/api/constants", nil, nil, &out)
	return out.Items, err
}

// GetConstant returns one constant.
func (c *Client) GetConstant(ctx context.Context, name string) (tc.Constant, error) {
	var out tc.Constant
	err := c.Do(ctx, http.MethodGet, "/api/constants/"+esc(name), nil, nil, &out)
	return out, err
}

// SetConstant creates or changes a constant (PUT /api/constants/{name}).
func (c *Client) SetConstant(ctx context.Context, name, value string) (tc.Constant, error) {
	var out tc.Constant
	err := c.Do(ctx, http.MethodPut, "/api/constants/"+esc(name), nil, tc.ConstantRequest{Value: value}, &out)
	return out, err
}

// DeleteConstant deletes an unreferenced constant.
func (c *Client) DeleteConstant(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, "/api/constants/"+esc(name), nil, nil, nil)
}
