// Package heartbeat is the listener Telegraf's outputs.heartbeat talks to. It
// is its own fiber app on its own port so fleet traffic never queues behind
// API requests.
package heartbeat

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// Server is the heartbeat listener.
type Server struct {
	app   *fiber.App
	ready func() bool
}

// New builds the heartbeat app. ready reports whether tcd finished starting.
func New(ready func() bool) *Server {
	s := &Server{ready: ready}
	s.app = fiber.New(fiber.Config{
		AppName:               "tcd-heartbeat",
		DisableStartupMessage: true,
		BodyLimit:             1 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	s.app.Use(recover.New())
	s.app.Get("/health", s.health)
	return s
}

// App returns the fiber app.
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) health(c *fiber.Ctx) error {
	if s.ready != nil && !s.ready() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "starting"})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}
