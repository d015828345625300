package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

func (s *Server) setup(c *fiber.Ctx) error {
	var req tc.SetupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	c.Locals(localAuditActor, strings.ToLower(strings.TrimSpace(req.Username)))
	c.Locals(localAuditDetail, "owner="+truncate(strings.ToLower(strings.TrimSpace(req.Username)), 64))
	out, err := s.auth.Setup(ctx(c), req, s.meta(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) login(c *fiber.Ctx) error {
	var req tc.LoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	c.Locals(localAuditActor, truncate(strings.ToLower(strings.TrimSpace(req.Username)), 64))
	out, err := s.auth.Login(ctx(c), req, s.meta(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.auth.Logout(ctx(c), principal(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	out, err := s.auth.Me(ctx(c), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) updateMe(c *fiber.Ctx) error {
	var req tc.UpdateMeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.auth.UpdateMe(ctx(c), principal(c), req, s.meta(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) acceptInvite(c *fiber.Ctx) error {
	var req tc.CodeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.auth.AcceptInvite(ctx(c), req, s.meta(c))
	if err != nil {
		return err
	}
	c.Locals(localAuditActor, out.User.Username)
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) resetPassword(c *fiber.Ctx) error {
	var req tc.CodeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.auth.ResetPassword(ctx(c), req); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := store.UserFilter{Page: p, Search: c.Query("search")}
	if r := c.Query("role"); r != "" {
		role, err := tc.ParseRole(r)
		if err != nil {
			return err
		}
		f.Role = role
	}
	out, err := s.auth.ListUsers(ctx(c), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getUser(c *fiber.Ctx) error {
	out, err := s.auth.GetUser(ctx(c), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req tc.UpdateUserRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.auth.UpdateUser(ctx(c), principal(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	if err := s.auth.DeleteUser(ctx(c), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) createInvite(c *fiber.Ctx) error {
	var req tc.InviteRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := s.auth.CreateInvite(ctx(c), principal(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) listInvites(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.auth.ListInvites(ctx(c), principal(c), p)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) deleteInvite(c *fiber.Ctx) error {
	if err := s.auth.DeleteInvite(ctx(c), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) createPasswordReset(c *fiber.Ctx) error {
	var req tc.PasswordResetRequest
	if err := decodeOptional(c, &req); err != nil {
		return err
	}
	out, err := s.auth.CreatePasswordReset(ctx(c), principal(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) transferOwnership(c *fiber.Ctx) error {
	var req tc.TransferOwnershipRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	owner, prev, err := s.auth.TransferOwnership(ctx(c), principal(c), req.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"owner": owner, "previousOwner": prev})
}
