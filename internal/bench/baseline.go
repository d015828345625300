package bench

import (
	"net"

	"github.com/gofiber/fiber/v2"
)

// BaselineTOML is what the baseline endpoint serves for a config: about the
// size of a small real agent config.
const BaselineTOML = `[agent]
  interval = "10s"
  flush_interval = "10s"
  hostname = "host-0000001"

[[inputs.cpu]]
  percpu = true
  totalcpu = true

[[inputs.mem]]

[[outputs.file]]
  files = ["stdout"]
  data_format = "influx"
`

// Baseline is a minimal fiber app on 127.0.0.1 answering the same routes as
// tcd without doing any work: what this machine can do at all, with the
// same HTTP stack and the same load generator beside it.
type Baseline struct {
	app *fiber.App
	ln  net.Listener
}

// StartBaseline listens on a free loopback port.
func StartBaseline() (*Baseline, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	ok := []byte(`{"status":"ok"}`)
	hb := func(c *fiber.Ctx) error {
		_ = c.Body()
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(ok)
	}
	app.Post("/agents/heartbeat", hb)
	app.Get("/api/configs/:id/toml", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/toml; charset=utf-8")
		c.Set(fiber.HeaderETag, `"baseline"`)
		return c.SendString(BaselineTOML)
	})
	go func() { _ = app.Listener(ln) }()
	return &Baseline{app: app, ln: ln}, nil
}

// URL is the baseline's base URL.
func (b *Baseline) URL() string { return "http://" + b.ln.Addr().String() }

// Close stops the baseline.
func (b *Baseline) Close() error { return b.app.Shutdown() }
