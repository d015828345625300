package api

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/advisories"
	"github.com/opentc/tc/pkg/tc"
)

// AdvisoriesAPI serves security advisories and the agents they apply to.
// Reading needs agents:read: exposure is a view of the fleet that agents'
// versions already reveal. Importing and acknowledging needs
// advisories:write (administrators and the owner).
type AdvisoriesAPI struct {
	svc *advisories.Service
}

// NewAdvisoriesAPI returns the advisories feature.
func NewAdvisoriesAPI(svc *advisories.Service) *AdvisoriesAPI { return &AdvisoriesAPI{svc: svc} }

// Routes implements Feature. None is in an endpoint group: advisories
// always need credentials.
func (a *AdvisoriesAPI) Routes() []Route {
	ar, aw := tc.Perm(tc.ResAgents, tc.ActRead), tc.Perm(tc.ResAdvisories, tc.ActWrite)
	return []Route{
		{Method: "GET", Path: "/api/advisories", Perm: ar, Summary: "List advisories with the agents they apply to (all, severity; paging)", Handler: a.list},
		{Method: "POST", Path: "/api/advisories/import", Perm: aw, Summary: "Import OSV advisories: a document, a JSON array of them, or a zip archive of such files", Handler: a.importOSV},
		{Method: "GET", Path: "/api/advisories/:id", Perm: ar, Summary: "Get an advisory with the agent versions it affects", Handler: a.get},
		{Method: "PUT", Path: "/api/advisories/:id/acknowledgement", Perm: aw, Summary: "Acknowledge an advisory (note): it leaves the default views", Handler: a.acknowledge},
		{Method: "DELETE", Path: "/api/advisories/:id/acknowledgement", Perm: aw, Summary: "Withdraw an advisory's acknowledgement", Handler: a.unacknowledge},
	}
}

func (a *AdvisoriesAPI) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	o := advisories.ListOptions{Page: p, Severity: strings.ToLower(c.Query("severity"))}
	switch v := strings.ToLower(c.Query("all", "false")); v {
	case "true":
		o.All = true
	case "false":
	default:
		return tc.Errorf(tc.EInvalid, "all must be true or false (got %q)", v).With("field", "all")
	}
	out, err := a.svc.List(ctx(c), o)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AdvisoriesAPI) get(c *fiber.Ctx) error {
	out, err := a.svc.Get(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// importOSV takes the file as the body, whatever its Content-Type (a zip
// archive is recognised by its first bytes).
func (a *AdvisoriesAPI) importOSV(c *fiber.Ctx) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return tc.Errorf(tc.EInvalid, "request body is empty: send an OSV document, a JSON array of them, or a zip archive")
	}
	out, err := a.svc.Import(ctx(c), "", body, advisories.SourceImport)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AdvisoriesAPI) acknowledge(c *fiber.Ctx) error {
	var req tc.AcknowledgeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p := principal(c)
	if p == nil {
		return tc.Errorf(tc.EUnauthorized, "authentication required")
	}
	out, err := a.svc.Acknowledge(ctx(c), c.Params("id"), p.Actor(), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *AdvisoriesAPI) unacknowledge(c *fiber.Ctx) error {
	out, err := a.svc.Unacknowledge(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}
