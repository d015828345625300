package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/pkg/tc"
)

// NotifyAPI serves notification receivers, rules and the delivery log.
type NotifyAPI struct {
	svc *notify.Service
}

// NewNotifyAPI returns the notifications feature.
func NewNotifyAPI(svc *notify.Service) *NotifyAPI { return &NotifyAPI{svc: svc} }

// Routes implements Feature. They belong to no endpoint group: they can
// never be opened without credentials.
func (a *NotifyAPI) Routes() []Route {
	r, w := tc.Perm(tc.ResNotifications, tc.ActRead), tc.Perm(tc.ResNotifications, tc.ActWrite)
	return []Route{
		{Method: "GET", Path: "/api/notifications/receivers", Perm: r, Summary: "List notification receivers (secrets and header values are never returned)", Handler: a.listReceivers},
		{Method: "POST", Path: "/api/notifications/receivers", Perm: w, Summary: "Create a notification receiver", Handler: a.createReceiver},
		{Method: "GET", Path: "/api/notifications/receivers/:id", Perm: r, Summary: "Get a notification receiver by ID or name", Handler: a.getReceiver, Object: a.readReceiver, ObjectKind: "notification receiver"},
		{Method: "PATCH", Path: "/api/notifications/receivers/:id", Perm: w, Summary: "Change a notification receiver", Handler: a.updateReceiver, Object: a.readReceiver, ObjectKind: "notification receiver"},
		{Method: "DELETE", Path: "/api/notifications/receivers/:id", Perm: w, Summary: "Delete a notification receiver no rule uses", Handler: a.deleteReceiver, Object: a.readReceiver, ObjectKind: "notification receiver"},
		{Method: "POST", Path: "/api/notifications/receivers/:id/test", Perm: w, Summary: "Send a test notification to a receiver now", Handler: a.testReceiver},
		{Method: "GET", Path: "/api/notifications/rules", Perm: r, Summary: "List notification rules", Handler: a.listRules},
		{Method: "POST", Path: "/api/notifications/rules", Perm: w, Summary: "Create a notification rule", Handler: a.createRule},
		{Method: "GET", Path: "/api/notifications/rules/:id", Perm: r, Summary: "Get a notification rule by ID or name", Handler: a.getRule, Object: a.readRule, ObjectKind: "notification rule"},
		{Method: "PATCH", Path: "/api/notifications/rules/:id", Perm: w, Summary: "Change a notification rule", Handler: a.updateRule, Object: a.readRule, ObjectKind: "notification rule"},
		{Method: "DELETE", Path: "/api/notifications/rules/:id", Perm: w, Summary: "Delete a notification rule", Handler: a.deleteRule, Object: a.readRule, ObjectKind: "notification rule"},
		{Method: "GET", Path: "/api/notifications/log", Perm: r, Summary: "The delivery log, newest first (receiver, since, outcome; paging)", Handler: a.log},
	}
}

func (a *NotifyAPI) listReceivers(c *fiber.Ctx) error {
	out, err := a.svc.ListReceivers(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) getReceiver(c *fiber.Ctx) error {
	out, err := a.svc.GetReceiver(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) createReceiver(c *fiber.Ctx) error {
	var req tc.NotifyReceiverRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.CreateReceiver(ctx(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (a *NotifyAPI) updateReceiver(c *fiber.Ctx) error {
	var req tc.NotifyReceiverRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.UpdateReceiver(ctx(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) deleteReceiver(c *fiber.Ctx) error {
	if err := a.svc.DeleteReceiver(ctx(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *NotifyAPI) testReceiver(c *fiber.Ctx) error {
	out, err := a.svc.Test(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) listRules(c *fiber.Ctx) error {
	out, err := a.svc.ListRules(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) getRule(c *fiber.Ctx) error {
	out, err := a.svc.GetRule(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) createRule(c *fiber.Ctx) error {
	var req tc.NotifyRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.CreateRule(ctx(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (a *NotifyAPI) updateRule(c *fiber.Ctx) error {
	var req tc.NotifyRuleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := a.svc.UpdateRule(ctx(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) deleteRule(c *fiber.Ctx) error {
	if err := a.svc.DeleteRule(ctx(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *NotifyAPI) log(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := notify.LogFilter{Page: p, Receiver: c.Query("receiver"), Outcome: c.Query("outcome")}
	since, err := timeParam(c, "since")
	if err != nil {
		return err
	}
	if since != nil {
		f.Since = *since
	}
	out, err := a.svc.Log(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (a *NotifyAPI) readReceiver(c *fiber.Ctx) (any, error) {
	return a.svc.GetReceiver(ctx(c), c.Params("id"))
}

func (a *NotifyAPI) readRule(c *fiber.Ctx) (any, error) { return a.svc.GetRule(ctx(c), c.Params("id")) }
