// Package api is tcd's HTTP API on fiber: the route table (with the public
// allowlist and each route's endpoint group and permission), the
// authentication middleware, strict decoding and the one error→HTTP mapping.
// Handlers parse, decode, call one service method and respond.
package api

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/opentc/tc/internal/audit"
	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/metrics"
	"github.com/opentc/tc/internal/precond"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// BodyLimit is the largest request body the API accepts.
const BodyLimit = 1 << 20

// Deps are what the API needs.
type Deps struct {
	Store  *store.Store
	Auth   *auth.Service
	Logger *slog.Logger
	// OpenGroups are the endpoint groups opened by --disable-auth-endpoints.
	OpenGroups []string
	// Ready reports whether startup finished (migrations, bootstrap).
	Ready func() bool
	// Leader reports whether this node is the leader.
	Leader func() bool
	// Audit records every write.
	Audit *audit.Service
	// Metrics, if set, is served at GET /metrics and times every request.
	Metrics *metrics.Metrics
	// MetricsAuth requires a credential with agents:read for /metrics.
	MetricsAuth bool
	// Features add route sets of their own (configs, agents, …), each
	// defined in this package in a file of its own.
	Features []Feature
	// HeartbeatPort, if set, returns the heartbeat listener's port: GET
	// /api/settings/public derives the heartbeat URL from it and the
	// request's host while the heartbeatUrl setting is empty.
	HeartbeatPort func() int
	// TrustedProxies may name the client in X-Forwarded-For (clientip.go).
	TrustedProxies []*net.IPNet
	// AuthRatePerMinute and AuthRateBurst limit, per client address, the
	// requests to login, setup, invite acceptance and password reset
	// (ratelimit.go); 0 per minute turns the limit off.
	AuthRatePerMinute float64
	AuthRateBurst     int
	// AuthRefusalDelay holds a refused request back before its 429 (0 =
	// DefaultAuthRefusalDelay, negative = none).
	AuthRefusalDelay time.Duration
	// Now is the clock of the limiter (default time.Now).
	Now func() time.Time
}

// Feature is a set of routes backed by a service of its own. Its routes go
// through the same authentication middleware and policy as every other.
type Feature interface {
	Routes() []Route
}

// Server is the API application.
type Server struct {
	app        *fiber.App
	deps       Deps
	auth       *auth.Service
	log        *slog.Logger
	openPerms  tc.PermissionSet
	openGroups map[string]bool
	routes     []Route
	openapi    openapiCache
	authLimit  *authLimiter
}

// New builds the API app with every route registered.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{deps: d, auth: d.Auth, log: d.Logger, openGroups: map[string]bool{}, openPerms: tc.PermissionSet{},
		authLimit: newAuthLimiter(d.AuthRatePerMinute, d.AuthRateBurst, d.AuthRefusalDelay, d.Now)}
	for _, g := range d.OpenGroups {
		s.openGroups[g] = true
		for p := range GroupPermissions(g) {
			s.openPerms[p] = struct{}{}
		}
	}
	s.app = fiber.New(fiber.Config{
		AppName: "tcd",
		// Bodies are streamed: fasthttp reads at most a few KiB ahead and
		// never allocates the announced length; each route reads its body
		// within its own limit (routes.go, internal/bodylimit). BodyLimit
		// is then only the size up to which fasthttp reads a body ahead.
		StreamRequestBody: true,
		BodyLimit:         maxBodyLimit(d.Features),
		// 16 KiB of request line and headers (fasthttp's default is 4):
		// config URLs carry template parameters in the query, and a longer
		// request gets a 431 answer instead of a reset connection.
		ReadBufferSize:        16 << 10,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		UnescapePath:          true,
		Immutable:             true,
	})
	s.app.Use(recover.New())
	s.app.Use(requestid.New())
	s.app.Use(rejectBadText)
	s.app.Use("/api/agents", rawAgentPaths)
	if d.Metrics != nil {
		s.app.Use(d.Metrics.Middleware("api"))
	}
	s.app.Use(s.limitAuth)
	if d.Audit != nil {
		s.app.Use(s.auditMiddleware)
	}
	s.registerRoutes()
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return s
}

// App returns the fiber app (to serve it, or to enumerate routes in tests).
func (s *Server) App() *fiber.App { return s.app }

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

// principal returns the caller set by the authentication middleware. A
// route that reaches a handler without one is a programming error, and is
// refused rather than allowed.
func principal(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(localPrincipal).(*auth.Principal)
	return p
}

// ctx is the request's context; on writes it carries the If-Match header,
// which the update routes of configs, config groups, constants, aliases,
// labels and reporting rules enforce inside their transaction (412).
func ctx(c *fiber.Ctx) context.Context {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.UserContext()
	}
	return precond.WithIfMatch(c.UserContext(), c.Get(fiber.HeaderIfMatch))
}

// tagged answers v with its ETag (see internal/precond).
func tagged(c *fiber.Ctx, etag string, v any) error {
	c.Set(fiber.HeaderETag, etag)
	return c.JSON(v)
}

func (s *Server) meta(c *fiber.Ctx) auth.RequestMeta {
	return auth.RequestMeta{IP: s.clientIP(c).String(), UserAgent: c.Get(fiber.HeaderUserAgent), Loopback: s.loopback(c)}
}
