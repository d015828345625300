package api

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/audit"
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
//
// The request runs in one transaction (store.RequestTx: it begins at the
// request's first write), and the entry is appended to it last, with the
// status answered: the change and its entry commit together. If the entry
// cannot be written, nothing of the request is committed and the answer is
// 500 instead.
func (s *Server) auditMiddleware(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	var rt *store.RequestTx
	if s.deps.Store != nil {
		var rctx context.Context
		rctx, rt = s.deps.Store.BeginRequest(ctx(c))
		c.SetUserContext(rctx)
		defer rt.Rollback() // a no-op once finished
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
	e := s.auditEntry(c, r)
	// A request that changed several objects (an apply) adds one entry
	// per object, with the same who, outcome and where, in the same
	// transaction.
	var more []tc.AuditEntry
	if extra, ok := c.Locals(localAuditExtra).([]auditExtra); ok && e.Outcome == tc.OutcomeSuccess {
		for _, x := range extra {
			e2 := e
			e2.Action, e2.Target = x.Action, truncate(x.Target, 512)
			more = append(more, e2)
		}
	}
	if rt == nil {
		_ = s.deps.Audit.Record(ctx(c), e)
		for _, e2 := range more {
			_ = s.deps.Audit.Record(ctx(c), e2)
		}
		return nil
	}
	if e.Outcome != tc.OutcomeSuccess {
		// A refused or failed request leaves nothing half-written: what it
		// wrote is rolled back, and its entry recorded on its own.
		rt.Rollback()
		_ = s.deps.Audit.Record(store.Detached(ctx(c)), e)
		return nil
	}
	err := rt.Finish(ctx(c), func(tx *store.Store) error {
		if err := s.deps.Audit.Append(ctx(c), tx, e); err != nil {
			return err
		}
		for _, e2 := range more {
			if err := s.deps.Audit.Append(ctx(c), tx, e2); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return nil
	}
	// Nothing of the request was committed: say so, and record the
	// failure on its own if the log takes it now.
	rid := requestID(c)
	s.log.Error("the audit entry could not be written: the request was rolled back", "request_id", rid, "action", e.Action, "target", e.Target, "err", err)
	c.Response().Reset()
	if rid != "" {
		c.Set(fiber.HeaderXRequestID, rid)
	}
	_ = writeError(c, tc.Errorf(tc.EInternal, "nothing was changed: the audit entry of this request could not be written (request id %s)", rid))
	e.Status, e.Outcome = fiber.StatusInternalServerError, tc.OutcomeFailure
	_ = s.deps.Audit.Record(store.Detached(context.WithoutCancel(ctx(c))), e)
	return nil
}

// auditEntry describes the request answered on c.
func (s *Server) auditEntry(c *fiber.Ctx, r *fiber.Route) tc.AuditEntry {
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
	if id := createdID(c, r); id != "" {
		params = append(params, id)
	}
	if d, ok := c.Locals(localAuditDetail).(string); ok && d != "" {
		params = append(params, d)
	}
	e.Target = truncate(strings.Join(params, ","), 512)
	return e
}

// createdID names what a 201 answer created: "id=" its JSON "id", or
// "name=" its "name" for objects named by their name (constants), so that
// the entry of a create names its target as the entry of a change does; ""
// when the route's path already names it or the answer has neither.
func createdID(c *fiber.Ctx, r *fiber.Route) string {
	if c.Response().StatusCode() != fiber.StatusCreated || slices.Contains(r.Params, "id") || slices.Contains(r.Params, "name") {
		return ""
	}
	var out struct {
		ID   any    `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(c.Response().Body(), &out) != nil {
		return ""
	}
	switch v := out.ID.(type) {
	case string:
		return "id=" + v
	case float64:
		return "id=" + strconv.FormatFloat(v, 'f', -1, 64)
	}
	if out.Name != "" {
		return "name=" + out.Name
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Server) auditRoutes() []Route {
	return []Route{{Method: "GET", Path: "/api/audit", Perm: tc.Perm(tc.ResAudit, tc.ActRead),
		Summary: "Read the audit log (from, to, actor, action, outcome, order, afterSeq; paging)", Handler: s.listAudit},
		{Method: "GET", Path: "/api/audit/verify", Perm: tc.Perm(tc.ResAudit, tc.ActRead),
			Summary: "Verify the keyed audit chain with tcd's key (head=SEQ:HASH: also that the log still reaches a head tcd logged)", Handler: s.verifyAudit}}
}

func (s *Server) verifyAudit(c *fiber.Ctx) error {
	var head *audit.Head
	if v := c.Query("head"); v != "" {
		h, err := audit.ParseHead(v)
		if err != nil {
			return err
		}
		head = &h
	}
	rep, err := s.deps.Audit.Verify(ctx(c), head)
	if err != nil {
		return err
	}
	return c.JSON(rep)
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

// localAuditExtra lets a handler that changed several objects list them:
// each becomes an audit entry of its own (after the request's entry).
const localAuditExtra = "tc.audit.extra"

// auditExtra is one more audit entry of a request.
type auditExtra struct {
	Action, Target string
}
