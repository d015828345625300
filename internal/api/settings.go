package api

import (
	"encoding/json"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

func (s *Server) settingsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/settings", Perm: tc.Perm(tc.ResSettings, tc.ActRead), Summary: "Read the runtime settings", Handler: s.getSettings, Object: s.readSettings, ObjectKind: "settings"},
		{Method: "PATCH", Path: "/api/settings", Perm: tc.Perm(tc.ResSettings, tc.ActWrite), Summary: "Change runtime settings", Handler: s.patchSettings, Object: s.readSettings, ObjectKind: "settings"},
		{Method: "GET", Path: "/api/settings/public", Summary: "The public API and heartbeat URLs (any credential)", Handler: s.publicURLs},
	}
}

func (s *Server) getSettings(c *fiber.Ctx) error {
	out, err := s.auth.GetSettings(principal(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) patchSettings(c *fiber.Ctx) error {
	var req tc.SettingsPatch
	if err := decode(c, &req); err != nil {
		return err
	}
	// The audit entry names the settings the request changes.
	var fields map[string]json.RawMessage
	if json.Unmarshal(c.Body(), &fields) == nil && len(fields) > 0 {
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		c.Locals(localAuditDetail, "settings="+strings.Join(names, "+"))
	}
	out, err := s.auth.UpdateSettings(ctx(c), principal(c), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) publicURLs(c *fiber.Ctx) error {
	out, err := s.auth.PublicURLs(principal(c))
	if err != nil {
		return err
	}
	if out.HeartbeatURL == "" && s.deps.HeartbeatPort != nil {
		// Unset: the host the caller reached tcd by, on the heartbeat port.
		host := c.Hostname()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host != "" {
			out.HeartbeatURL = c.Protocol() + "://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(s.deps.HeartbeatPort()))
		}
	}
	return c.JSON(out)
}

func (s *Server) readSettings(c *fiber.Ctx) (any, error) { return s.auth.GetSettings(principal(c)) }
