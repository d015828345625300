// Package bodylimit reads request bodies within a per-route limit, for the
// fiber apps of tcd. The apps run with StreamRequestBody, so fasthttp never
// allocates a body up front from the announced Content-Length (it reads at
// most a few KiB ahead); each route then either refuses the announced
// length at once (Check, before authentication) or reads the body
// incrementally, never past its limit (Read, after authentication). Bodies
// are read into memory owned by the request only (not into fasthttp's
// buffer pools, which keep their largest size for ever), so memory taken
// for a body goes back to the runtime once the request ends.
//
// A request whose body is refused or left unread gets its connection
// closed after the answer: the unread bytes are never parsed as a request.
package bodylimit

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

// localRead marks a request whose body Read has taken in.
const localRead = "tc.body.read"

// TooLarge is the error of a body over limit.
func TooLarge(n int64, limit int) error {
	if n < 0 {
		return tc.Errorf(tc.EPayloadTooLarge, "request body is larger than %d bytes, the most this endpoint takes", limit)
	}
	return tc.Errorf(tc.EPayloadTooLarge, "request body is %d bytes; this endpoint takes at most %d", n, limit)
}

// Check refuses a request that announces a body larger than limit, before
// anything of it is read (and before authentication: an anonymous client
// costs nothing more than its headers).
func Check(c *fiber.Ctx, limit int) error {
	if n := c.Request().Header.ContentLength(); n > limit {
		drain(c)
		return TooLarge(int64(n), limit)
	}
	return nil
}

// Draining bounds: what a refused body may still send before its
// connection closes.
const (
	drainMax  = 8 << 20
	drainTime = 2 * time.Second
)

// drain reads and discards, into a small fixed buffer, what a client still
// sends of a refused body — at most drainMax bytes for at most drainTime —
// and marks the connection to close after the answer. A client that is
// still writing its body when the connection closes may get a reset
// instead of the answer; a bounded drain lets an ordinary client finish
// and read the 413, while a client that sends nothing costs a goroutine
// for drainTime at most.
func drain(c *fiber.Ctx) {
	c.Context().SetConnectionClose()
	req := c.Request()
	if !req.IsBodyStream() {
		return
	}
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(drainTime))
	}
	_, _ = io.CopyN(io.Discard, req.BodyStream(), drainMax)
	c.Locals(localRead, true)
}

// Read takes in the body of the request, at most limit bytes, reading it
// from the connection as it arrives. The read is bounded by the listener's
// read timeout: a body that does not arrive in time ends the request (408)
// and its connection. A body that goes over limit is refused (413) without
// reading the rest.
func Read(c *fiber.Ctx, limit int) error {
	req := c.Request()
	if c.Locals(localRead) != nil {
		return nil
	}
	c.Locals(localRead, true)
	if !req.IsBodyStream() {
		if n := len(req.Body()); n > limit {
			return TooLarge(int64(n), limit)
		}
		return decode(c, limit)
	}
	if err := Check(c, limit); err != nil {
		return err
	}
	// The buffer starts at the announced length up to 64 KiB and grows
	// only with bytes that arrived: an announced length costs nothing.
	size := 512
	if n := req.Header.ContentLength(); n > size {
		size = min(n, 64<<10)
	}
	buf := make([]byte, 0, min(size, limit+1))
	r := io.LimitReader(req.BodyStream(), int64(limit)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			c.Context().SetConnectionClose()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return tc.Errorf(tc.ETimeout, "the request body did not arrive in time")
			}
			return tc.Errorf(tc.EInvalid, "reading the request body failed: %v", err)
		}
		if len(buf) > limit {
			drain(c)
			return TooLarge(-1, limit)
		}
	}
	req.SetBodyRaw(buf)
	return decode(c, limit)
}

// decode undoes a Content-Encoding of gzip or deflate within limit (the
// decoded size counts: a small compressed body may not inflate past it)
// and drops the header, so that later reads see the plain body and fiber
// does not inflate it again without a bound. Other encodings are refused.
func decode(c *fiber.Ctx, limit int) error {
	req := c.Request()
	enc := strings.ToLower(strings.TrimSpace(string(req.Header.Peek(fiber.HeaderContentEncoding))))
	if enc == "" || enc == "identity" {
		return nil
	}
	var (
		zr  io.Reader
		err error
	)
	raw := bytes.NewReader(req.Body())
	switch enc {
	case "gzip", "x-gzip":
		zr, err = gzip.NewReader(raw)
	case "deflate":
		zr, err = zlib.NewReader(raw)
	default:
		return tc.Errorf(tc.EInvalid, "unsupported Content-Encoding %q: send the body plain, gzip or deflate", enc)
	}
	if err != nil {
		return tc.Errorf(tc.EInvalid, "the %s body cannot be decoded: %v", enc, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return tc.Errorf(tc.EInvalid, "the %s body cannot be decoded: %v", enc, err)
	}
	if len(out) > limit {
		return tc.Errorf(tc.EPayloadTooLarge, "the decoded request body is larger than %d bytes, the most this endpoint takes", limit)
	}
	req.Header.Del(fiber.HeaderContentEncoding)
	req.SetBodyRaw(out)
	return nil
}

// Unread reports whether the request still has body bytes on the
// connection that nobody read (its answer must close the connection).
func Unread(c *fiber.Ctx) bool {
	return c.Request().IsBodyStream() && c.Locals(localRead) == nil && c.Request().Header.ContentLength() != 0
}
