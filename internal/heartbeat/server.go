// Package heartbeat is the listener Telegraf's outputs.heartbeat talks to. It
// is its own fiber app on its own port so fleet traffic never queues behind
// API requests. Authentication goes through the same verification function
// as the API (auth.Service.Authenticate) and answers with Telegraf
// Controller's exact texts.
package heartbeat

import (
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/bodylimit"
	"github.com/opentc/tc/internal/metrics"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// MsgForbidden is the 403 text of a token without heartbeat:write.
const MsgForbidden = "Insufficient permissions: heartbeat:write required"

// Deps are what the listener needs.
type Deps struct {
	Auth   *auth.Service
	Agents *agents.Service
	Logger *slog.Logger
	// Open: the heartbeat group is opened by --disable-auth-endpoints.
	Open bool
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []*net.IPNet
	Ready          func() bool
	// Metrics, if set, counts heartbeats and times requests.
	Metrics *metrics.Metrics
}

// Server is the heartbeat listener.
type Server struct {
	app    *fiber.App
	deps   Deps
	fields *fieldNotes
}

// New builds the heartbeat app.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{deps: d, fields: newFieldNotes()}
	s.app = fiber.New(fiber.Config{
		AppName:               "tcd-heartbeat",
		DisableStartupMessage: true,
		// Bodies are streamed: fasthttp never allocates the announced
		// length; the handler refuses an announced length over the limit
		// before authentication and reads the body incrementally within
		// agents.MaxBodyBytes after it (internal/bodylimit).
		StreamRequestBody: true,
		BodyLimit:         agents.MaxBodyBytes,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorHandler:      s.errorHandler,
	})
	s.app.Use(recover.New())
	if d.Metrics != nil {
		s.app.Use(d.Metrics.Middleware("heartbeat"))
	}
	s.app.Get("/health", s.health)
	s.app.Post("/agents/heartbeat", s.heartbeat)
	s.app.Post("/heartbeat", s.heartbeat) // the architecture diagram's path
	s.app.Use(func(c *fiber.Ctx) error {
		return tc.Errorf(tc.ENotFound, "no such endpoint: %s %s (heartbeats go to POST /agents/heartbeat)", c.Method(), c.Path())
	})
	return s
}

// App returns the fiber app.
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) health(c *fiber.Ctx) error {
	if s.deps.Ready != nil && !s.deps.Ready() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "starting"})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) heartbeat(c *fiber.Ctx) error {
	if err := bodylimit.Check(c, agents.MaxBodyBytes); err != nil {
		return err
	}
	if h := c.Get(fiber.HeaderAuthorization); !s.deps.Open || auth.CarriesCredential(h) {
		p, err := s.deps.Auth.Authenticate(c.UserContext(), h)
		if err != nil {
			if tc.IsCode(err, tc.EUnauthorized) {
				s.deps.Logger.Info("heartbeat auth rejected", "reason", tc.ErrorMessage(err), "hint", tokenHint(h), "ip", c.IP())
			}
			return err
		}
		if !p.Can(tc.Perm(tc.ResHeartbeat, tc.ActWrite)) {
			s.deps.Logger.Info("heartbeat auth rejected", "reason", MsgForbidden, "token_id", p.TokenID, "hint", tokenHint(h))
			return tc.Errorf(tc.EForbidden, MsgForbidden)
		}
	}
	if err := bodylimit.Read(c, agents.MaxBodyBytes); err != nil {
		return err
	}
	hb, err := agents.Decode(c.Request().Body())
	if err != nil {
		return err
	}
	if err := s.deps.Agents.Ingest(c.UserContext(), hb, s.clientIP(c)); err != nil {
		return err
	}
	if s.deps.Metrics != nil {
		s.deps.Metrics.HeartbeatsAccepted.Inc()
	}
	if hb.Unknown != nil || hb.Dropped != nil {
		s.fields.note(hb, s.deps.Metrics, s.deps.Logger)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(heartbeatOK)
}

// heartbeatOK is the answer to every stored heartbeat, encoded once.
var heartbeatOK = []byte(`{"status":"ok"}`)

func tokenHint(h string) string {
	raw, _ := auth.ParseAuthorization(h)
	return auth.Hint(raw)
}

// clientIP is the peer address; X-Forwarded-For counts only when the peer
// is a trusted proxy (then its left-most address is the client).
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if xff := c.Get(fiber.HeaderXForwardedFor); xff != "" && trusted(peer, s.deps.TrustedProxies) {
		first := strings.TrimSpace(strings.Split(xff, ",")[0])
		if ip := net.ParseIP(first); ip != nil {
			return ip.String()
		}
	}
	return peer.String()
}

func trusted(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// errorHandler answers with the API's envelope; 401/403 messages are
// Telegraf Controller's exact texts.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var (
		te *tc.Error
		fe *fiber.Error
	)
	switch {
	case errors.As(err, &te):
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			te = tc.Errorf(tc.EPayloadTooLarge, "heartbeat body larger than %d bytes", agents.MaxBodyBytes)
		case fiber.StatusMethodNotAllowed, fiber.StatusNotFound:
			te = tc.Errorf(tc.ENotFound, "no such endpoint: %s %s", c.Method(), c.Path())
		default:
			te = &tc.Error{Code: tc.CodeForStatus(fe.Code), Message: fe.Message}
		}
	case store.IsUnavailable(err):
		te = tc.Errorf(tc.EUnavailable, "the database is unavailable; send the heartbeat again")
		te.RetryAfter = 5
	default:
		s.deps.Logger.Error("heartbeat failed", "err", err)
		te = tc.Errorf(tc.EInternal, "internal error")
	}
	if bodylimit.Unread(c) {
		c.Context().SetConnectionClose()
	}
	if te.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(te.RetryAfter))
	}
	if s.deps.Metrics != nil && c.Method() == fiber.MethodPost && (c.Path() == "/agents/heartbeat" || c.Path() == "/heartbeat") {
		s.deps.Metrics.HeartbeatsRejected.WithLabelValues(rejectReason(te.Code)).Inc()
	}
	return c.Status(tc.StatusForCode(te.Code)).JSON(fiber.Map{"code": te.Code, "message": te.Message})
}

func rejectReason(code string) string {
	switch code {
	case tc.EUnauthorized:
		return "unauthorized"
	case tc.EForbidden:
		return "forbidden"
	case tc.EInvalid:
		return "invalid"
	case tc.EPayloadTooLarge:
		return "too_large"
	case tc.EUnavailable:
		return "unavailable"
	}
	return "internal"
}
