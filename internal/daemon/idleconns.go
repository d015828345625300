package daemon

import (
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// closeSilentConns makes app's server close a connection on which no
// request ever began — a client opened it and sent nothing within the read
// timeout — without writing an answer.
//
// fasthttp closes an idle keep-alive connection silently once it has
// served a request on it, but on a connection's first request it hands
// the read timeout to the error handler, and fiber answers it ("Request
// Timeout", which tcd's envelope turned into a 400). HTTP clients open
// connections ahead of need (Go's Transport keeps the spare one it dialed
// while another connection freed up): such a connection is idle as far as
// the client knows, and an answer nobody asked for arrives on it ("Go:
// Unsolicited response received on idle HTTP channel"). A request that did
// begin and then stalled still gets its answer.
//
// readTimeout, if positive, replaces the server's read and idle timeouts
// (tests).
func closeSilentConns(app *fiber.App, readTimeout time.Duration) {
	srv := app.Server()
	if readTimeout > 0 {
		srv.ReadTimeout, srv.IdleTimeout = readTimeout, readTimeout
	}
	next := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		// Nothing was read: the error is the connection's own (a
		// partly read request comes wrapped) and no header was parsed.
		if _, ok := err.(net.Error); ok && len(ctx.Request.Header.RawHeaders()) == 0 {
			_ = ctx.Conn().Close()
			return
		}
		next(ctx, err)
	}
}
