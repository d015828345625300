package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/opentc/tc/pkg/tc"
)

// AdvisoryFilter narrows ListAdvisories: All includes acknowledged and
// withdrawn advisories; Severity keeps those of at least that severity.
type AdvisoryFilter struct {
	All      bool
	Severity string
	tc.Page
}

// ListAdvisories lists advisories with the agents they apply to (GET
// /api/advisories).
func (c *Client) ListAdvisories(ctx context.Context, f AdvisoryFilter) (tc.List[tc.Advisory], error) {
	q := url.Values{}
	if f.All {
		q.Set("all", "true")
	}
	if f.Severity != "" {
		q.Set("severity", f.Severity)
	}
	var out tc.List[tc.Advisory]
	err := c.Do(ctx, http.MethodGet, "/api/advisories", pageQuery(f.Page, q), nil, &out)
	return out, err
}

// GetAdvisory returns one advisory (GET /api/advisories/{id}).
func (c *Client) GetAdvisory(ctx context.Context, id string) (tc.Advisory, error) {
	var out tc.Advisory
	err := c.Do(ctx, http.MethodGet, "/api/advisories/"+esc(id), nil, nil, &out)
	return out, err
}

// ImportAdvisories imports OSV entries, each one JSON document, in one
// transaction (POST /api/advisories/import).
func (c *Client) ImportAdvisories(ctx context.Context, entries []json.RawMessage) (tc.AdvisoryImportResult, error) {
	if entries == nil {
		entries = []json.RawMessage{}
	}
	var out tc.AdvisoryImportResult
	err := c.Do(ctx, http.MethodPost, "/api/advisories/import", nil, entries, &out)
	return out, err
}

// AcknowledgeAdvisory acknowledges an advisory with a note saying why it
// needs no action (PUT /api/advisories/{id}/acknowledgement).
func (c *Client) AcknowledgeAdvisory(ctx context.Context, id, note string) (tc.Advisory, error) {
	var out tc.Advisory
	err := c.Do(ctx, http.MethodPut, "/api/advisories/"+esc(id)+"/acknowledgement", nil, tc.AcknowledgeRequest{Note: note}, &out)
	return out, err
}

// UnacknowledgeAdvisory withdraws an acknowledgement (DELETE
// /api/advisories/{id}/acknowledgement).
func (c *Client) UnacknowledgeAdvisory(ctx context.Context, id string) (tc.Advisory, error) {
	var out tc.Advisory
	err := c.Do(ctx, http.MethodDelete, "/api/advisories/"+esc(id)+"/acknowledgement", nil, nil, &out)
	return out, err
}
