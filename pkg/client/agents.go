package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// AgentFilter narrows ListAgents and AgentSummary.
type AgentFilter struct {
	Status        string
	Label         string // label ID or name
	Search        string // in ID, hostname and IP
	Config        string // config or group ID or alias
	ReportingRule string // rule ID or name
	Sort          string // id, hostname, status, lastSeenAt, createdAt, version, ip
	Desc          bool
	// Exposed keeps agents to which an unacknowledged advisory of at least
	// Severity ("" for any) applies; Advisory keeps those one advisory
	// (ID) applies to.
	Exposed  bool
	Severity string
	Advisory string
	tc.Page
}

func (f AgentFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "label": f.Label, "search": f.Search, "config": f.Config,
		"reportingRule": f.ReportingRule, "sort": f.Sort, "severity": f.Severity, "advisory": f.Advisory} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Desc {
		q.Set("order", "desc")
	}
	if f.Exposed {
		q.Set("exposed", "true")
	}
	return pageQuery(f.Page, q)
}

// agentSegment is an agent ID as one path segment of /api/agents/{id}. Any
// ID is addressable: it is percent-encoded (url.PathEscape: "/" → %2F,
// "%" → %25, "?" → %3F, " " → %20, non-ASCII bytes), the dots of "." and
// ".." are encoded too (a URL's dot segments may be resolved away on the
// way), and so is the first letter of an ID that names a fixed route of
// the API ("summary", "bulk"): tcd routes agent paths as sent, so an
// encoded segment always means an agent.
func agentSegment(id string) string {
	e := url.PathEscape(id)
	switch {
	case strings.Trim(id, ".") == "":
		e = strings.ReplaceAll(e, ".", "%2E")
	case strings.EqualFold(id, "summary") || strings.EqualFold(id, "bulk"):
		e = fmt.Sprintf("%%%02X", id[0]) + e[1:]
	}
	return e
}

// AgentSegment is agentSegment for callers that build agent paths
// themselves (tcctl's generic verbs).
func AgentSegment(id string) string { return agentSegment(id) }

// agentPath is /api/agents/{id} followed by rest; an empty ID (no agent
// has one) is an error rather than the agent list.
func agentPath(id, rest string) (string, error) {
	if id == "" {
		return "", tc.Errorf(tc.EInvalid, "the agent ID is empty: name an agent (tcctl agent list shows them)")
	}
	return "/api/agents/" + agentSegment(id) + rest, nil
}

// ListAgents lists agents (GET /api/agents).
func (c *Client) ListAgents(ctx context.Context, f AgentFilter) (tc.List[tc.Agent], error) {
	var out tc.List[tc.Agent]
	err := c.Do(ctx, http.MethodGet, "/api/agents", f.query(), nil, &out)
	return out, err
}

// AgentSummary returns the fleet summary (GET /api/agents/summary).
func (c *Client) AgentSummary(ctx context.Context, f AgentFilter) (tc.AgentSummary, error) {
	var out tc.AgentSummary
	err := c.Do(ctx, http.MethodGet, "/api/agents/summary", f.query(), nil, &out)
	return out, err
}

// GetAgent returns one agent (GET /api/agents/{id}).
func (c *Client) GetAgent(ctx context.Context, id string) (tc.Agent, error) {
	var out tc.Agent
	p, err := agentPath(id, "")
	if err == nil {
		err = c.Do(ctx, http.MethodGet, p, nil, nil, &out)
	}
	return out, err
}

// DeleteAgent deletes one agent (DELETE /api/agents/{id}).
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	p, err := agentPath(id, "")
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodDelete, p, nil, nil, nil)
}

// DeleteAgents deletes several agents (POST /api/agents/bulk/delete).
func (c *Client) DeleteAgents(ctx context.Context, ids []string) (tc.BulkResult, error) {
	var out tc.BulkResult
	err := c.Do(ctx, http.MethodPost, "/api/agents/bulk/delete", nil, tc.IDsRequest{IDs: ids}, &out)
	return out, err
}

// SetAgentRule assigns a reporting rule (ID or name) to one agent.
func (c *Client) SetAgentRule(ctx context.Context, id, rule string) (tc.Agent, error) {
	var out tc.Agent
	p, err := agentPath(id, "/reporting-rule")
	if err == nil {
		err = c.Do(ctx, http.MethodPut, p, nil, tc.AgentRuleRequest{RuleID: rule}, &out)
	}
	return out, err
}

// SetAgentsRule assigns a reporting rule to several agents.
func (c *Client) SetAgentsRule(ctx context.Context, ids []string, rule string) (tc.BulkResult, error) {
	var out tc.BulkResult
	err := c.Do(ctx, http.MethodPut, "/api/agents/bulk/reporting-rule", nil, tc.AgentRuleRequest{IDs: ids, RuleID: rule}, &out)
	return out, err
}

// SetAgentLabels assigns (or removes) labels on agents.
func (c *Client) SetAgentLabels(ctx context.Context, assign bool, ids, labels []string) (tc.BulkResult, error) {
	verb := "remove"
	if assign {
		verb = "assign"
	}
	var out tc.BulkResult
	err := c.Do(ctx, http.MethodPut, "/api/agents/bulk/labels/"+verb, nil, tc.BulkLabelsRequest{IDs: ids, LabelIDs: labels}, &out)
	return out, err
}

// AgentHeartbeats returns an agent's statistics history: one record per
// minute in which it sent heartbeats, with the sums of their counters.
func (c *Client) AgentHeartbeats(ctx context.Context, id string, from, to *time.Time, limit int) (tc.List[tc.HeartbeatRecord], error) {
	q := url.Values{}
	if from != nil {
		q.Set("from", strconv.FormatInt(from.UnixMilli(), 10))
	}
	if to != nil {
		q.Set("to", strconv.FormatInt(to.UnixMilli(), 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out tc.List[tc.HeartbeatRecord]
	p, err := agentPath(id, "/heartbeats")
	if err == nil {
		err = c.Do(ctx, http.MethodGet, p, q, nil, &out)
	}
	return out, err
}

// AgentLogs returns the logs of an agent's latest heartbeat.
func (c *Client) AgentLogs(ctx context.Context, id string) (tc.AgentLogs, error) {
	var out tc.AgentLogs
	p, err := agentPath(id, "/logs")
	if err == nil {
		err = c.Do(ctx, http.MethodGet, p, nil, nil, &out)
	}
	return out, err
}

// ListRules lists reporting rules.
func (c *Client) ListRules(ctx context.Context) (tc.List[tc.ReportingRule], error) {
	var out tc.List[tc.ReportingRule]
	err := c.Do(ctx, http.MethodGet, "/api/reporting-rules", nil, nil, &out)
	return out, err
}

// GetRule returns a reporting rule by ID or name.
func (c *Client) GetRule(ctx context.Context, ref string) (tc.ReportingRule, error) {
	var out tc.ReportingRule
	err := c.Do(ctx, http.MethodGet, "/api/reporting-rules/"+esc(ref), nil, nil, &out)
	return out, err
}

// CreateRule creates a reporting rule.
func (c *Client) CreateRule(ctx context.Context, req tc.ReportingRuleRequest) (tc.ReportingRule, error) {
	var out tc.ReportingRule
	err := c.Do(ctx, http.MethodPost, "/api/reporting-rules", nil, req, &out)
	return out, err
}

// UpdateRule changes a reporting rule.
func (c *Client) UpdateRule(ctx context.Context, ref string, req tc.ReportingRuleRequest) (tc.ReportingRule, error) {
	var out tc.ReportingRule
	err := c.Do(ctx, http.MethodPatch, "/api/reporting-rules/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteRule deletes a reporting rule; its agents move to the default. It
// returns how many agents moved.
func (c *Client) DeleteRule(ctx context.Context, ref string) (int, error) {
	var out struct {
		MovedAgents int `json:"movedAgents"`
	}
	err := c.Do(ctx, http.MethodDelete, "/api/reporting-rules/"+esc(ref), nil, nil, &out)
	return out.MovedAgents, err
}

// SetDefaultRule makes a rule the default for new agents.
func (c *Client) SetDefaultRule(ctx context.Context, ref string) (tc.ReportingRule, error) {
	var out tc.ReportingRule
	err := c.Do(ctx, http.MethodPost, "/api/reporting-rules/"+esc(ref)+"/default", nil, nil, &out)
	return out, err
}
