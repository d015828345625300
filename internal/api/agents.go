package api

import (
	"github.com/opentc/tc/internal/precond"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// AgentsAPI serves agents, their heartbeat data and reporting rules.
type AgentsAPI struct {
	svc *agents.Service
}

// NewAgentsAPI returns the agents feature.
func NewAgentsAPI(svc *agents.Service) *AgentsAPI { return &AgentsAPI{svc: svc} }

// Routes implements Feature.
func (a *AgentsAPI) Routes() []Route {
	ar, aw := tc.Perm(tc.ResAgents, tc.ActRead), tc.Perm(tc.ResAgents, tc.ActWrite)
	hr := tc.Perm(tc.ResHeartbeat, tc.ActRead)
	rr, rw := tc.Perm(tc.ResReportingRules, tc.ActRead), tc.Perm(tc.ResReportingRules, tc.ActWrite)
	g, h, r := GroupAgents, GroupHeartbeat, GroupReportingRules
	return []Route{
		{Method: "GET", Path: "/api/agents", Group: g, Perm: ar, Summary: "List agents (filters status (several: any), label (repeated: all), search, config, configState, reportingRule, exposed, severity, advisory; sort, order; paging)", Handler: a.list},
		{Method: "GET", Path: "/api/agents/summary", Group: g, Perm: ar, Summary: "Fleet summary: totals by status and version, last-reported buckets", Handler: a.summary},
		{Method: "POST", Path: "/api/agents/bulk/delete", Group: g, Perm: aw, Summary: "Delete agents", Handler: a.bulkDelete},
		{Method: "PUT", Path: "/api/agents/bulk/reporting-rule", Group: g, Perm: aw, Summary: "Assign a reporting rule to agents", Handler: a.bulkRule},
		{Method: "PUT", Path: "/api/agents/bulk/labels/assign", Group: g, Perm: aw, Summary: "Assign labels to agents", Handler: a.bulkLabels(true)},
		{Method: "PUT", Path: "/api/agents/bulk/labels/remove", Group: g, Perm: aw, Summary: "Remove labels from agents", Handler: a.bulkLabels(false)},
		{Method: "GET", Path: "/api/agents/:id", Group: g, Perm: ar, Summary: "Get an agent", Handler: a.get},
		{Method: "DELETE", Path: "/api/agents/:id", Group: g, Perm: aw, Summary: "Delete an agent (its next heartbeat creates it again)", Handler: a.delete},
		{Method: "PUT", Path: "/api/agents/:id/reporting-rule", Group: g, Perm: aw, Summary: "Assign a reporting rule to an agent", Handler: a.setRule},
		{Method: "PUT", Path: "/api/agents/:id/labels/:labelId", Group: g, Perm: aw, Summary: "Assign a label to an agent", Handler: a.label(true)},
		{Method: "DELETE", Path: "/api/agents/:id/labels/:labelId", Group: g, Perm: aw, Summary: "Remove a label from an agent", Handler: a.label(false)},
		{Method: "GET", Path: "/api/agents/:id/heartbeats", Group: h, Perm: hr, Summary: "An agent's statistics history (from, to, limit)", Handler: a.heartbeats},
		{Method: "GET", Path: "/api/agents/:id/logs", Group: h, Perm: hr, Summary: "The logs of an agent's latest heartbeat", Handler: a.logs},

		{Method: "GET", Path: "/api/reporting-rules", Group: r, Perm: rr, Summary: "List reporting rules", Handler: a.rules},
		{Method: "POST", Path: "/api/reporting-rules", Group: r, Perm: rw, Summary: "Create a reporting rule", Handler: a.createRule},
		{Method: "GET", Path: "/api/reporting-rules/:id", Group: r, Perm: rr, Summary: "Get a reporting rule by ID or name", Handler: a.rule},
		{Method: "PATCH", Path: "/api/reporting-rules/:id", Group: r, Perm: rw, Summary: "Change a reporting rule", Handler: a.updateRule},
		{Method: "DELETE", Path: "/api/reporting-rules/:id", Group: r, Perm: rw, Summary: "Delete a reporting rule (its agents move to the default)", Handler: a.deleteRule},
		{Method: "POST", Path: "/api/reporting-rules/:id/default", Group: r, Perm: rw, Summary: "Make a reporting rule the default", Handler: a.setDefault},
	}
}

func agentFilter(c *fiber.Ctx) (agents.Filter, error) {
	p, err := page(c)
	if err != nil {
		return agents.Filter{}, err
	}
	f := agents.Filter{Page: p, Search: c.Query("search"), ConfigID: c.Query("config"), ReportingRule: c.Query("reportingRule"), Sort: c.Query("sort", "id"), ConfigState: c.Query("configState"),
		Statuses: splitMulti(c, "status"), LabelIDs: queryMulti(c, "label")}
	f.ExposureFilter = store.ExposureFilter{Exposed: strings.ToLower(c.Query("exposed")), Severity: strings.ToLower(c.Query("severity")), Advisory: c.Query("advisory")}
	if !contains(store.AgentSortKeys(), f.Sort) {
		return f, tc.Errorf(tc.EInvalid, "unknown sort %q: use one of %s", f.Sort, strings.Join(store.AgentSortKeys(), ", ")).With("field", "sort")
	}
	switch o := strings.ToLower(c.Query("order", "asc")); o {
	case "asc":
	case "desc":
		f.Desc = true
	default:
		return f, tc.Errorf(tc.EInvalid, "order must be asc or desc (got %q)", o).With("field", "order")
	}
	return f, nil
}

// queryMulti returns every non-empty value of a repeated query parameter.
func queryMulti(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Context().QueryArgs().PeekMulti(name) {
		if s := strings.TrimSpace(string(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// splitMulti is queryMulti with comma-separated values split as well
// (status=ok,warn&status=fail).
func splitMulti(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range queryMulti(c, name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *AgentsAPI) list(c *fiber.Ctx) error {
	f, err := agentFilter(c)
	if err != nil {
		return err
	}
	out, err := a.svc.List(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) summary(c *fiber.Ctx) error {
	f, err := agentFilter(c)
	if err != nil {
		return err
	}
	out, err := a.svc.Summary(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) get(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.Get(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) delete(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteOne(ctx(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *AgentsAPI) bulkDelete(c *fiber.Ctx) error {
	var req tc.IDsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.Delete(ctx(c), req.IDs)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) setRule(c *fiber.Ctx) error {
	var req tc.AgentRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if len(req.IDs) > 0 {
		return tc.Errorf(tc.EInvalid, "ids belongs to PUT /api/agents/bulk/reporting-rule").With("field", "ids")
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.SetRuleOne(ctx(c), id, req.RuleID)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) bulkRule(c *fiber.Ctx) error {
	var req tc.AgentRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.SetRule(ctx(c), req.IDs, req.RuleID)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) label(assign bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathParam(c, "id")
		if err != nil {
			return err
		}
		label, err := pathParam(c, "labelId")
		if err != nil {
			return err
		}
		if err := a.svc.LabelOne(ctx(c), id, label, assign); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (a *AgentsAPI) bulkLabels(assign bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req tc.BulkLabelsRequest
		if err := decode(c, &req); err != nil {
			return err
		}
		out, err := a.svc.Labels(ctx(c), req.IDs, req.LabelIDs, assign)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// timeParam accepts epoch milliseconds or RFC 3339.
func timeParam(c *fiber.Ctx, name string) (*time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, tc.Errorf(tc.EInvalid, "%s must be epoch milliseconds or an RFC 3339 time (got %q)", name, v).With("field", name)
	}
	return &t, nil
}

func (a *AgentsAPI) heartbeats(c *fiber.Ctx) error {
	from, err := timeParam(c, "from")
	if err != nil {
		return err
	}
	to, err := timeParam(c, "to")
	if err != nil {
		return err
	}
	limit := 200
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return tc.Errorf(tc.EInvalid, "limit must be a whole number from 1 to 5000 (got %q)", v).With("field", "limit")
		}
		limit = n
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.Heartbeats(ctx(c), id, from, to, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out, "total": len(out), "limit": limit, "offset": 0})
}

func (a *AgentsAPI) logs(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.Logs(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) rules(c *fiber.Ctx) error {
	out, err := a.svc.Rules(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AgentsAPI) rule(c *fiber.Ctx) error {
	out, err := a.svc.Rule(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Rule(out), out)
}

func (a *AgentsAPI) createRule(c *fiber.Ctx) error {
	var req tc.ReportingRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.CreateRule(ctx(c), req)
	if err != nil {
		return err
	}
	return tagged(c.Status(fiber.StatusCreated), precond.Rule(out), out)
}

func (a *AgentsAPI) updateRule(c *fiber.Ctx) error {
	var req tc.ReportingRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.UpdateRule(ctx(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return tagged(c, precond.Rule(out), out)
}

func (a *AgentsAPI) deleteRule(c *fiber.Ctx) error {
	moved, err := a.svc.DeleteRule(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"movedAgents": moved})
}

func (a *AgentsAPI) setDefault(c *fiber.Ctx) error {
	out, err := a.svc.SetDefaultRule(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Rule(out), out)
}
