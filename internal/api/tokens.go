package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

func (s *Server) tokenRoutes() []Route {
	read := tc.Perm(tc.ResTokens, tc.ActRead)
	write := tc.Perm(tc.ResTokens, tc.ActWrite)
	return []Route{
		{Method: "GET", Path: "/api/tokens", Perm: read, Summary: "List API tokens (own; administrators: all, ?userId=)", Handler: s.listTokens},
		{Method: "POST", Path: "/api/tokens", Perm: write, Summary: "Create an API token (the raw value is returned once)", Handler: s.createToken},
		{Method: "GET", Path: "/api/tokens/capabilities", Summary: "What token creation allows", Handler: s.tokenCapabilities},
		{Method: "GET", Path: "/api/tokens/:id", Perm: read, Summary: "Get an API token", Handler: s.getToken, Object: s.readToken, ObjectKind: "token"},
		{Method: "POST", Path: "/api/tokens/:id/revoke", Perm: write, Summary: "Revoke an API token", Handler: s.revokeToken},
		{Method: "DELETE", Path: "/api/tokens/:id", Perm: write, Summary: "Delete an API token", Handler: s.deleteToken, Object: s.readToken, ObjectKind: "token"},
		{Method: "POST", Path: "/api/tokens/:id/reassign", Perm: write, Summary: "Give an API token to another user", Handler: s.reassignToken},
	}
}

func (s *Server) listTokens(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.auth.ListTokens(ctx(c), principal(c), c.Query("userId"), p)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) createToken(c *fiber.Ctx) error {
	var req tc.CreateTokenRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.auth.CreateToken(ctx(c), principal(c), req)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) tokenCapabilities(c *fiber.Ctx) error {
	out, err := s.auth.TokenCapabilities(principal(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getToken(c *fiber.Ctx) error {
	out, err := s.auth.GetToken(ctx(c), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) revokeToken(c *fiber.Ctx) error {
	out, err := s.auth.RevokeToken(ctx(c), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) deleteToken(c *fiber.Ctx) error {
	if err := s.auth.DeleteToken(ctx(c), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) reassignToken(c *fiber.Ctx) error {
	var req tc.ReassignTokenRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	// The audit entry names both users: the one asked for, and once done
	// the one the token came from.
	c.Locals(localAuditDetail, "to="+req.UserID)
	out, prev, err := s.auth.ReassignToken(ctx(c), principal(c), c.Params("id"), req.UserID)
	if err != nil {
		return err
	}
	c.Locals(localAuditDetail, "from="+prev.ID+" ("+prev.Username+"),to="+out.UserID+" ("+out.Username+")")
	return c.JSON(out)
}

func (s *Server) readToken(c *fiber.Ctx) (any, error) {
	return s.auth.GetToken(ctx(c), principal(c), c.Params("id"))
}
