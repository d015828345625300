package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opentc/tc/pkg/tc"
)

// ListLabels lists labels sorted by name.
func (c *Client) ListLabels(ctx context.Context, search string, p tc.Page) (tc.List[tc.Label], error) {
	var out tc.List[tc.Label]
	q := url.Values{}
	if search != "" {
		q.Set("search", search)
	}
	err := c.Do(ctx, http.MethodGet, "/api/labels", pageQuery(p, q), nil, &out)
	return out, err
}

// GetLabel returns a label by ID or name.
func (c *Client) GetLabel(ctx context.Context, ref string) (tc.Label, error) {
	var out tc.Label
	err := c.Do(ctx, http.MethodGet, "/api/labels/"+esc(ref), nil, nil, &out)
	return out, err
}

// CreateLabel creates a label.
func (c *Client) CreateLabel(ctx context.Context, req tc.LabelRequest) (tc.Label, error) {
	var out tc.Label
	err := c.Do(ctx, http.MethodPost, "/api/labels", nil, req, &out)
	return out, err
}

// UpdateLabel changes a label.
func (c *Client) UpdateLabel(ctx context.Context, ref string, req tc.UpdateLabelRequest) (tc.Label, error) {
	var out tc.Label
	err := c.Do(ctx, http.MethodPatch, "/api/labels/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteLabel deletes a label everywhere.
func (c *Client) DeleteLabel(ctx context.Context, ref string) error {
	return c.Do(ctx, http.MethodDelete, "/api/labels/"+esc(ref), nil, nil, nil)
}
