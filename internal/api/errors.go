package api

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/bodylimit"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// errorHandler is the one place where errors become HTTP responses: the
// JSON envelope {"code","message",…} with the status of tc.StatusForCode.
// Internal errors are logged with the request id; the caller sees only
// "internal error" and that id.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var (
		te *tc.Error
		fe *fiber.Error
	)
	switch {
	case errors.As(err, &te):
	case errors.As(err, &fe):
		te = fiberError(c, fe)
	case store.IsUnavailable(err):
		s.log.Warn("database unavailable", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		te = tc.Errorf(tc.EUnavailable, "the database is unavailable; retry shortly")
		te.RetryAfter = 5
	default:
		rid := requestID(c)
		s.log.Error("internal error", "request_id", rid, "method", c.Method(), "path", c.Path(), "err", err)
		te = tc.Errorf(tc.EInternal, "internal error (request id %s)", rid)
	}
	return writeError(c, te)
}

func writeError(c *fiber.Ctx, te *tc.Error) error {
	if bodylimit.Unread(c) {
		// The body is still on the connection: close it after the answer.
		c.Context().SetConnectionClose()
	}
	body := make(map[string]any, len(te.Details)+2)
	for k, v := range te.Details {
		body[k] = v
	}
	body["code"] = te.Code
	body["message"] = te.Message
	if te.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(te.RetryAfter))
	}
	if te.Code == tc.EUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="tcd"`)
	}
	return c.Status(tc.StatusForCode(te.Code)).JSON(body)
}

func fiberError(c *fiber.Ctx, fe *fiber.Error) *tc.Error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return tc.Errorf(tc.ENotFound, "no such endpoint: %s %s", c.Method(), c.Path())
	case fiber.StatusMethodNotAllowed:
		return tc.Errorf(tc.EInvalid, "method %s is not allowed on %s", c.Method(), c.Path())
	case fiber.StatusRequestEntityTooLarge:
		return tc.Errorf(tc.EPayloadTooLarge, "request body is too large")
	case fiber.StatusBadRequest:
		return tc.Errorf(tc.EInvalid, "bad request: %s", fe.Message)
	case fiber.StatusUnsupportedMediaType:
		return tc.Errorf(tc.EInvalid, "unsupported content type: send application/json")
	}
	if fe.Code >= 500 {
		slog.Default().Error("server error", "status", fe.Code, "message", fe.Message)
		return tc.Errorf(tc.EInternal, "internal error")
	}
	return &tc.Error{Code: tc.CodeForStatus(fe.Code), Message: fe.Message}
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals("requestid").(string); ok {
		return v
	}
	return ""
}
