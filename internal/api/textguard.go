package api

import (
	"bytes"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

// rejectBadText refuses a request whose decoded path holds invalid UTF-8 or
// control characters, or whose query holds invalid UTF-8 or a NUL. No ID,
// alias, name or filter may contain them, and PostgreSQL refuses such text
// outright (a NUL or an invalid byte sequence is an error, not a miss), so
// they are a 400 here rather than a 500 from the database. Other control
// characters stay allowed in query values: template parameters may carry
// line breaks, which rendering escapes.
func rejectBadText(c *fiber.Ctx) error {
	if bad([]byte(c.Path())) {
		return tc.Errorf(tc.EInvalid, "the path contains control characters or invalid UTF-8")
	}
	var field string
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if field == "" && (bad(k) || !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0) {
			field = string(bytes.ToValidUTF8(k, []byte("?")))
		}
	})
	if field != "" {
		return tc.Errorf(tc.EInvalid, "query parameter %q contains a NUL or invalid UTF-8", field).With("field", field)
	}
	return c.Next()
}

func bad(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	return bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
