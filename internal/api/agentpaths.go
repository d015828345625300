package api

import (
	"bytes"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

// Agent IDs are whatever Telegraf sends (instance_id: a hostname, a path,
// any text), so /api/agents/{id}… must address IDs holding "/", "%", "+",
// "?", spaces, non-ASCII text, "." or "..". The API app decodes paths
// before routing (UnescapePath), which turns an ID's %2F into a path
// separator and its "+" into a space. For /api/agents/… the router
// therefore sees the path as sent instead, and the agent handlers decode
// their parameters themselves (pathParam): one path segment is one ID,
// whatever it holds, and a percent-encoded segment never matches a fixed
// route ("%73ummary" is the agent "summary", not the summary).

// rawAgentPaths routes /api/agents/… on the path as sent.
func rawAgentPaths(c *fiber.Ctx) error {
	raw := c.Context().URI().PathOriginal()
	if bytes.ContainsAny(raw, "%+") {
		// The router decodes the path once more: escape what decoding
		// would change, so that it sees raw as is.
		esc := make([]byte, 0, len(raw)+16)
		for _, b := range raw {
			switch b {
			case '%':
				esc = append(esc, "%25"...)
			case '+':
				esc = append(esc, "%2B"...)
			default:
				esc = append(esc, b)
			}
		}
		c.Path(string(esc))
	}
	return c.Next()
}

// pathParam is an agent route's path parameter, percent-decoded.
func pathParam(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", tc.Errorf(tc.EInvalid, "the %s in the path is not valid percent-encoding: escape %% as %%25", name).With("field", name)
	}
	return v, nil
}
