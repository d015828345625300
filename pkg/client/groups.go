package client

import (
	"context"
	"net/http"

	"github.com/opentc/tc/pkg/tc"
)

// ListGroups lists config groups.
func (c *Client) ListGroups(ctx context.Context, f ConfigFilter) (tc.List[tc.ConfigGroup], error) {
	var out tc.List[tc.ConfigGroup]
	err := c.Do(ctx, http.MethodGet, "/api/config-groups", f.query(), nil, &out)
	return out, err
}

// GetGroup returns a config group by ID or alias.
func (c *Client) GetGroup(ctx context.Context, ref string) (tc.ConfigGroup, error) {
	var out tc.ConfigGroup
	err := c.Do(ctx, http.MethodGet, "/api/config-groups/"+esc(ref), nil, nil, &out)
	return out, err
}

// FindGroup returns a config group by ID, alias or exact name.
func (c *Client) FindGroup(ctx context.Context, ref string) (tc.ConfigGroup, error) {
	g, err := c.GetGroup(ctx, ref)
	if err == nil || tc.ErrorCode(err) != tc.ENotFound {
		return g, err
	}
	list, lerr := c.ListGroups(ctx, ConfigFilter{Name: ref})
	if lerr != nil {
		return tc.ConfigGroup{}, lerr
	}
	if len(list.Items) == 0 {
		return tc.ConfigGroup{}, err
	}
	return list.Items[0], nil
}

// CreateGroup creates a config group.
func (c *Client) CreateGroup(ctx context.Context, req tc.GroupRequest) (tc.ConfigGroup, error) {
	var out tc.ConfigGroup
	err := c.Do(ctx, http.MethodPost, "/api/config-groups", nil, req, &out)
	return out, err
}

// UpdateGroup changes a config group.
func (c *Client) UpdateGroup(ctx context.Context, ref string, req tc.UpdateGroupRequest) (tc.ConfigGroup, error) {
	var out tc.ConfigGroup
	err := c.Do(ctx, http.MethodPatch, "/api/config-groups/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteGroup deletes a config group (not its members).
func (c *Client) DeleteGroup(ctx context.Context, ref string) error {
	return c.Do(ctx, http.MethodDelete, "/api/config-groups/"+esc(ref), nil, nil, nil)
}

// SetGroupLabels assigns or removes labels on groups (bulk).
func (c *Client) SetGroupLabels(ctx context.Context, assign bool, req tc.BulkLabelsRequest) error {
	return c.Do(ctx, http.MethodPut, "/api/config-groups/bulk/labels/"+bulkVerb(assign), nil, req, nil)
}
