package api

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/pkg/tc"
)

// RolloutsAPI serves staged rollouts and who runs what.
type RolloutsAPI struct {
	svc *rollouts.Service
}

// NewRolloutsAPI returns the routes of svc.
func NewRolloutsAPI(svc *rollouts.Service) *RolloutsAPI { return &RolloutsAPI{svc: svc} }

// Routes implements Feature.
func (a *RolloutsAPI) Routes() []Route {
	read := tc.Perm(tc.ResConfigs, tc.ActRead)
	write := tc.Perm(tc.ResConfigs, tc.ActWrite)
	r := func(method, path string, perm tc.Permission, summary string, h fiber.Handler) Route {
		return Route{Method: method, Path: path, Group: GroupConfigs, Perm: perm, Summary: summary, Handler: h}
	}
	return []Route{
		r("GET", "/api/rollouts", read, "List rollouts, newest first (config, active=true, limit)", a.list),
		r("POST", "/api/rollouts", write, "Start a staged rollout of a config to a version (or of new TOML); queue=true waits behind a running one", a.start),
		r("GET", "/api/rollouts/:id", read, "A rollout (by ID, or the current/newest of a config) with per-stage progress and events", a.get),
		r("POST", "/api/rollouts/:id/pause", write, "Pause a running rollout", a.action(a.svc.Pause)),
		r("POST", "/api/rollouts/:id/resume", write, "Resume a paused rollout (a rolled-back stage gets the new version again)", a.action(a.svc.Resume)),
		r("POST", "/api/rollouts/:id/abort", write, "Abort a rollout: every agent is served the old version again", a.action(a.svc.Abort)),
		r("GET", "/api/configs/:id/serving", read, "Who runs what of a config: agents per version served and by derived state", a.configServing),
	}
}

func (a *RolloutsAPI) list(c *fiber.Ctx) error {
	active, err := boolQuery(c, "active")
	if err != nil {
		return err
	}
	limit := 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 || limit > tc.MaxLimit {
			return tc.Errorf(tc.EInvalid, "limit must be 0 to %d (got %q)", tc.MaxLimit, v).With("field", "limit")
		}
	}
	out, err := a.svc.List(ctx(c), c.Query("config"), active, limit)
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.Rollout]{Items: out, Total: len(out), Limit: len(out)})
}

func (a *RolloutsAPI) start(c *fiber.Ctx) error {
	var req tc.StartRolloutRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.Start(ctx(c), who(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (a *RolloutsAPI) get(c *fiber.Ctx) error {
	out, err := a.svc.Get(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *RolloutsAPI) action(fn func(ctx context.Context, who, ref, reason string) (tc.Rollout, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req tc.RolloutActionRequest
		if len(c.Body()) > 0 {
			if err := decode(c, &req); err != nil {
				return err
			}
		}
		if _, err := tc.CheckText("reason", req.Reason, tc.MaxNoteLen); err != nil {
			return err
		}
		out, err := fn(ctx(c), who(c), c.Params("id"), req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

func (a *RolloutsAPI) configServing(c *fiber.Ctx) error {
	out, err := a.svc.ConfigServing(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}
