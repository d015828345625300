package api

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// localAuditActor lets a public handler (login, setup) name the account a
// request was about, for the audit entry.
const localAuditActor = "tc.audit.actor"

// localAuditDetail lets a handler add to the entry's target what the path
// does not say (a reassign's previous and new owner).
const localAuditDetail = "tc.audit.detail"

// auditMiddleware records every write (any method but GET, HEAD and
// OPTIONS) to a registered route, whatever its outcome: who (credential and
// token), what (method and route), on what (path parameters), the outcome
// and status, from where. Reads are not recorded.
func (s *Server) auditMiddleware(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if err := c.Next(); err != nil {
		// Answer now so the entry holds the status sent.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			return herr
		}
	}
	r := c.Route()
	if r == nil || r.Path == "/" || r.Path == "" {
		return nil // no such endpoint: nothing was written
	}
	status := c.Response().StatusCode()
	e := tc.AuditEntry{Actor: "anonymous", Credential: tc.CredentialNone, Action: c.Method() + " " + r.Path,
		Status: status, IP: s.clientIP(c).String(), UserAgent: truncate(c.Get(fiber.HeaderUserAgent), 256)}
	if p := principal(c); p != nil && !p.Anonymous() {
		e.Actor, e.ActorID, e.Credential, e.TokenID = p.Username, p.UserID, p.Credential, p.TokenID
		e.TokenDescription = truncate(p.TokenDescription, 256)
	}
	if a, ok := c.Locals(localAuditActor).(string); ok && a != "" {
		e.Actor = a
	}
	switch {
	case status < 400:
		e.Outcome = tc.OutcomeSuccess
	case status == fiber.StatusUnauthorized || status == fiber.StatusForbidden:
		e.Outcome = tc.OutcomeDenied
	default:
		e.Outcome = tc.OutcomeFailure
	}
	params := make([]string, 0, len(r.Params))
	for _, name := range r.Params {
		params = append(params, name+"="+c.Params(name))
	}
	sort.Strings(params)
	if d, ok := c.Locals(localAuditDetail).(string); ok && d != "" {
		params = append(params, d)
	}
	e.Target = truncate(strings.Join(params, ","), 512)
	// A request that changed several objects (an apply) adds one entry
	// per object, with the same who, outcome and where.
	if extra, ok := c.Locals(localAuditExtra).([]auditExtra); ok && len(extra) > 0 {
		all := []tc.AuditEntry{e}
		for _, x := range extra {
			e2 := e
			e2.Action, e2.Target = x.Action, truncate(x.Target, 512)
			all = append(all, e2)
		}
		s.deps.Audit.RecordAll(ctx(c), all)
		return nil
	}
	s.deps.Audit.Record(ctx(c), e)
	return nil
}

// localAuditExtra lets a handler that changed several objects list them:
// each becomes an audit entry of its own (after the request's entry).
const localAuditExtra = "tc.audit.extra"

// auditExtra is one more audit entry of a request.
type auditExtra struct {
	Action, Target string
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Server) auditRoutes() []Route {
	return []Route{{Method: "GET", Path: "/api/audit", Perm: tc.Perm(tc.ResAudit, tc.ActRead),
		Summary: "Read the audit log (from, to, actor, action, outcome, order, afterSeq; paging)", Handler: s.listAudit}}
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Page: p, Actor: c.Query("actor"), Action: c.Query("action"), Outcome: c.Query("outcome")}
	for name, dst := range map[string]*int64{"from": &f.FromUs, "to": &f.ToUs} {
		t, err := timeParam(c, name)
		if err != nil {
			return err
		}
		if t != nil {
			*dst = t.UnixMicro()
		}
	}
	if v := c.Query("afterSeq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return tc.Errorf(tc.EInvalid, "afterSeq must be a whole number (got %q)", v).With("field", "afterSeq")
		}
		f.AfterSeq = n
	}
	switch o := strings.ToLower(c.Query("order", "desc")); o {
	case "desc":
	case "asc":
		f.Ascending = true
	default:
		return tc.Errorf(tc.EInvalid, "order must be asc or desc (got %q)", o).With("field", "order")
	}
	out, err := s.deps.Audit.List(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}
