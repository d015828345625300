package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/opentc/tc/pkg/tc"
)

// StartRollout starts (or queues) a staged rollout.
func (c *Client) StartRollout(ctx context.Context, req tc.StartRolloutRequest) (tc.Rollout, error) {
	var out tc.Rollout
	err := c.Do(ctx, "POST", "/api/rollouts", nil, req, &out)
	return out, err
}

// GetRollout returns a rollout by ID, or the current (else newest) rollout
// of a config.
func (c *Client) GetRollout(ctx context.Context, ref string) (tc.Rollout, error) {
	var out tc.Rollout
	err := c.Do(ctx, "GET", "/api/rollouts/"+url.PathEscape(ref), nil, nil, &out)
	return out, err
}

// ListRollouts lists rollouts, newest first (config "" for all).
func (c *Client) ListRollouts(ctx context.Context, config string, active bool, limit int) (tc.List[tc.Rollout], error) {
	q := url.Values{}
	if config != "" {
		q.Set("config", config)
	}
	if active {
		q.Set("active", "true")
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out tc.List[tc.Rollout]
	err := c.Do(ctx, "GET", "/api/rollouts", q, nil, &out)
	return out, err
}

// RolloutAction pauses, resumes or aborts a rollout (action: pause, resume, abort).
func (c *Client) RolloutAction(ctx context.Context, ref, action, reason string) (tc.Rollout, error) {
	var out tc.Rollout
	err := c.Do(ctx, "POST", "/api/rollouts/"+url.PathEscape(ref)+"/"+action, nil, tc.RolloutActionRequest{Reason: reason}, &out)
	return out, err
}

// ConfigServing returns who runs which version of a config.
func (c *Client) ConfigServing(ctx context.Context, ref string) (tc.ConfigServing, error) {
	var out tc.ConfigServing
	err := c.Do(ctx, "GET", "/api/configs/"+url.PathEscape(ref)+"/serving", nil, nil, &out)
	return out, err
}
