package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// ListNotifyReceivers lists notification receivers by name.
func (c *Client) ListNotifyReceivers(ctx context.Context) (tc.List[tc.NotifyReceiver], error) {
	var out tc.List[tc.NotifyReceiver]
	err := c.Do(ctx, http.MethodGet, "/api/notifications/receivers", nil, nil, &out)
	return out, err
}

// GetNotifyReceiver returns a receiver by ID or name.
func (c *Client) GetNotifyReceiver(ctx context.Context, ref string) (tc.NotifyReceiver, error) {
	var out tc.NotifyReceiver
	err := c.Do(ctx, http.MethodGet, "/api/notifications/receivers/"+esc(ref), nil, nil, &out)
	return out, err
}

// CreateNotifyReceiver creates a receiver.
func (c *Client) CreateNotifyReceiver(ctx context.Context, req tc.NotifyReceiverRequest) (tc.NotifyReceiver, error) {
	var out tc.NotifyReceiver
	err := c.Do(ctx, http.MethodPost, "/api/notifications/receivers", nil, req, &out)
	return out, err
}

// UpdateNotifyReceiver changes a receiver.
func (c *Client) UpdateNotifyReceiver(ctx context.Context, ref string, req tc.NotifyReceiverRequest) (tc.NotifyReceiver, error) {
	var out tc.NotifyReceiver
	err := c.Do(ctx, http.MethodPatch, "/api/notifications/receivers/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteNotifyReceiver deletes a receiver no rule uses.
func (c *Client) DeleteNotifyReceiver(ctx context.Context, ref string) error {
	return c.Do(ctx, http.MethodDelete, "/api/notifications/receivers/"+esc(ref), nil, nil, nil)
}

// TestNotifyReceiver sends a test notification now and returns the attempt.
func (c *Client) TestNotifyReceiver(ctx context.Context, ref string) (tc.NotifyDelivery, error) {
	var out tc.NotifyDelivery
	err := c.Do(ctx, http.MethodPost, "/api/notifications/receivers/"+esc(ref)+"/test", nil, nil, &out)
	return out, err
}

// ListNotifyRules lists notification rules by name.
func (c *Client) ListNotifyRules(ctx context.Context) (tc.List[tc.NotifyRule], error) {
	var out tc.List[tc.NotifyRule]
	err := c.Do(ctx, http.MethodGet, "/api/notifications/rules", nil, nil, &out)
	return out, err
}

// GetNotifyRule returns a rule by ID or name.
func (c *Client) GetNotifyRule(ctx context.Context, ref string) (tc.NotifyRule, error) {
	var out tc.NotifyRule
	err := c.Do(ctx, http.MethodGet, "/api/notifications/rules/"+esc(ref), nil, nil, &out)
	return out, err
}

// CreateNotifyRule creates a rule.
func (c *Client) CreateNotifyRule(ctx context.Context, req tc.NotifyRuleRequest) (tc.NotifyRule, error) {
	var out tc.NotifyRule
	err := c.Do(ctx, http.MethodPost, "/api/notifications/rules", nil, req, &out)
	return out, err
}

// UpdateNotifyRule changes a rule.
func (c *Client) UpdateNotifyRule(ctx context.Context, ref string, req tc.NotifyRuleRequest) (tc.NotifyRule, error) {
	var out tc.NotifyRule
	err := c.Do(ctx, http.MethodPatch, "/api/notifications/rules/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteNotifyRule deletes a rule.
func (c *Client) DeleteNotifyRule(ctx context.Context, ref string) error {
	return c.Do(ctx, http.MethodDelete, "/api/notifications/rules/"+esc(ref), nil, nil, nil)
}

// NotifyLogFilter narrows the delivery log.
type NotifyLogFilter struct {
	Receiver string    // ID or name
	Since    time.Time // zero: all
	Outcome  string
	tc.Page
}

// NotifyLog returns delivery attempts, newest first.
func (c *Client) NotifyLog(ctx context.Context, f NotifyLogFilter) (tc.List[tc.NotifyDelivery], error) {
	q := url.Values{}
	if f.Receiver != "" {
		q.Set("receiver", f.Receiver)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Outcome != "" {
		q.Set("outcome", f.Outcome)
	}
	var out tc.List[tc.NotifyDelivery]
	err := c.Do(ctx, http.MethodGet, "/api/notifications/log", pageQuery(f.Page, q), nil, &out)
	return out, err
}
