package api

import (
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address a request came from: the peer's, or — when the
// peer is one of the trusted proxies (--trusted-proxies) — the right-most
// address of X-Forwarded-For that is not itself a trusted proxy (the
// left-most ones can be written by the client; each trusted proxy appends
// the address it saw).
func (s *Server) clientIP(c *fiber.Ctx) net.IP {
	peer := c.Context().RemoteIP()
	if !s.trustedProxy(peer) {
		return peer
	}
	xff := c.Get(fiber.HeaderXForwardedFor)
	if xff == "" {
		return peer
	}
	parts := strings.Split(xff, ",")
	client := peer
	for i := len(parts) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(parts[i]))
		if ip == nil {
			break // a malformed entry: trust nothing left of it
		}
		client = ip
		if !s.trustedProxy(ip) {
			break
		}
	}
	return client
}

func (s *Server) trustedProxy(ip net.IP) bool {
	for _, n := range s.deps.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// loopback reports whether a request certainly comes from this host: its
// client address is a loopback one, and it was not forwarded by a proxy
// tcd does not trust (a reverse proxy on the same host that is not listed in
// --trusted-proxies connects from 127.0.0.1 on behalf of anybody).
func (s *Server) loopback(c *fiber.Ctx) bool {
	if !s.clientIP(c).IsLoopback() {
		return false
	}
	if s.trustedProxy(c.Context().RemoteIP()) {
		return true
	}
	for _, h := range []string{fiber.HeaderXForwardedFor, "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
		if c.Get(h) != "" {
			return false
		}
	}
	return true
}
