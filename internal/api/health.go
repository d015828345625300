package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/store"
)

func (s *Server) live(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) ready(c *fiber.Ctx) error {
	ok := s.deps.Ready == nil || s.deps.Ready()
	if ok {
		cx, cancel := context.WithTimeout(ctx(c), 2*time.Second)
		defer cancel()
		if err := s.deps.Store.Ping(cx); err != nil {
			ok = false
		} else if v, err := s.deps.Store.SchemaVersion(cx); err != nil || v != store.LatestSchemaVersion() {
			ok = false
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"ready": false})
	}
	return c.JSON(fiber.Map{"ready": true})
}

func (s *Server) leader(c *fiber.Ctx) error {
	if s.deps.Leader != nil && !s.deps.Leader() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"leader": false})
	}
	return c.JSON(fiber.Map{"leader": true})
}
