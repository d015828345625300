package api

import (
	"fmt"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/bodylimit"
	"github.com/opentc/tc/pkg/tc"
)

// Endpoint groups that --disable-auth-endpoints can open.
const (
	GroupAgents         = "agents"
	GroupConfigs        = "configs"
	GroupLabels         = "labels"
	GroupReportingRules = "reporting-rules"
	GroupHeartbeat      = "heartbeat"
)

// Groups lists every group that can be opened.
var Groups = []string{GroupAgents, GroupConfigs, GroupLabels, GroupReportingRules, GroupHeartbeat}

// GroupPermissions is what an anonymous caller may do in an opened group.
func GroupPermissions(g string) tc.PermissionSet {
	res := map[string]string{GroupAgents: tc.ResAgents, GroupConfigs: tc.ResConfigs, GroupLabels: tc.ResLabels,
		GroupReportingRules: tc.ResReportingRules, GroupHeartbeat: tc.ResHeartbeat}[g]
	if res == "" {
		return nil
	}
	return tc.NewPermissionSet(tc.Perm(res, tc.ActRead), tc.Perm(res, tc.ActWrite))
}

// PublicAllowlist is every route reachable without credentials, whatever
// the configuration. Nothing else is public; a test enforces it.
var PublicAllowlist = []string{
	"GET /health/live",
	"GET /health/ready",
	"GET /health/leader",
	"GET /metrics",
	"GET /api/openapi.json",
	"POST /api/auth/setup",
	"POST /api/auth/login",
	"POST /api/auth/login/local",
	"POST /api/auth/invites/accept",
	"POST /api/auth/password-reset",
}

// Route is one entry of the route table.
type Route struct {
	Method string
	Path   string
	// Public routes are on PublicAllowlist and skip authentication.
	Public bool
	// Group is the endpoint group ("" for routes that can never be opened).
	Group string
	// Perm is the permission the caller needs; "" means any authenticated
	// caller (for routes about the caller itself).
	Perm    tc.Permission
	Summary string
	Handler fiber.Handler
	// BodyLimit is the largest request body the route takes, in bytes
	// (0: the API's BodyLimit). Config uploads declare their own.
	BodyLimit int
	// Object, on the GET and the writes of one object whose service does
	// not check If-Match itself, reads the object: GET then answers it
	// with its ETag (replacing Handler) and writes honour If-Match (412).
	// ObjectKind names the kind in messages and serializes its writes.
	Object     objectReader
	ObjectKind string
}

const localPrincipal = "tc.principal"

func (s *Server) handle(r Route) {
	if r.Public && !isAllowlisted(r.Method, r.Path) {
		panic(fmt.Sprintf("route %s %s is marked public but is not on PublicAllowlist", r.Method, r.Path))
	}
	s.routes = append(s.routes, r)
	limit := r.BodyLimit
	if limit <= 0 {
		limit = BodyLimit
	}
	s.app.Add(r.Method, r.Path, announcedBody(limit), s.authenticate(r), readBody(limit), withObject(r))
}

// announcedBody refuses, before authentication and before any of it is
// read, a body whose announced Content-Length is over the route's limit.
func announcedBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := bodylimit.Check(c, limit); err != nil {
			return err
		}
		return c.Next()
	}
}

// readBody reads the body of an authenticated (or public) request
// incrementally, never past the route's limit (internal/bodylimit): the
// listener streams bodies, so nothing is allocated from the announced
// length.
func readBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := bodylimit.Read(c, limit); err != nil {
			return err
		}
		return c.Next()
	}
}

// maxBodyLimit is the largest body any route of the features takes.
func maxBodyLimit(features []Feature) int {
	max := BodyLimit
	for _, f := range features {
		for _, r := range f.Routes() {
			if r.BodyLimit > max {
				max = r.BodyLimit
			}
		}
	}
	return max
}

func isAllowlisted(method, path string) bool {
	for _, a := range PublicAllowlist {
		if a == method+" "+path {
			return true
		}
	}
	return false
}

// authenticate is the authentication middleware of one route. Credentials
// that are present are always verified; without credentials only public
// routes and opened groups pass (in an opened group, a header that carries
// no tcd credential counts as absent: auth.CarriesCredential). The route's
// permission is then required through the policy (403 naming it).
func (s *Server) authenticate(r Route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if r.Public {
			return c.Next()
		}
		var p *auth.Principal
		open := r.Group != "" && s.openGroups[r.Group]
		if h := c.Get(fiber.HeaderAuthorization); h != "" && !(open && !auth.CarriesCredential(h)) {
			var err error
			if p, err = s.auth.Authenticate(ctx(c), h); err != nil {
				return err
			}
		} else if open {
			p = auth.AnonymousPrincipal(s.openPerms)
		} else {
			return tc.Errorf(tc.EUnauthorized, "authentication required: send Authorization: Bearer <token> (log in with tcctl login or create an API token)")
		}
		c.Locals(localPrincipal, p)
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead:
			// The serving paths stay allocation-free.
		default:
			// Services that record who made a change read it from the
			// context (config history names the token).
			c.SetUserContext(auth.WithPrincipal(c.UserContext(), p))
		}
		if r.Perm != "" {
			if err := auth.Require(p, r.Perm); err != nil {
				return err
			}
		} else if err := auth.RequireUser(p); err != nil {
			return err
		}
		return c.Next()
	}
}

func (s *Server) registerRoutes() {
	for _, r := range s.identityRoutes() {
		s.handle(r)
	}
	for _, r := range s.tokenRoutes() {
		s.handle(r)
	}
	for _, r := range s.settingsRoutes() {
		s.handle(r)
	}
	if s.deps.Audit != nil {
		for _, r := range s.auditRoutes() {
			s.handle(r)
		}
	}
	s.handle(Route{Method: "GET", Path: "/api/openapi.json", Public: true, Summary: "This OpenAPI 3 document", Handler: s.openapiDoc})
	if s.deps.Metrics != nil {
		h := s.deps.Metrics.FiberHandler()
		s.handle(Route{Method: "GET", Path: "/metrics", Public: !s.deps.MetricsAuth, Perm: tc.Perm(tc.ResAgents, tc.ActRead),
			Summary: "Prometheus metrics (public unless --metrics-auth)", Handler: h})
	}
	for _, f := range s.deps.Features {
		for _, r := range f.Routes() {
			s.handle(r)
		}
	}
	sort.SliceStable(s.routes, func(i, j int) bool { return s.routes[i].Path < s.routes[j].Path })
}

func (s *Server) identityRoutes() []Route {
	usersRead := tc.Perm(tc.ResUsers, tc.ActRead)
	usersWrite := tc.Perm(tc.ResUsers, tc.ActWrite)
	return []Route{
		{Method: "GET", Path: "/health/live", Public: true, Summary: "Liveness probe", Handler: s.live},
		{Method: "GET", Path: "/health/ready", Public: true, Summary: "Readiness probe (database reachable, migrations done)", Handler: s.ready},
		{Method: "GET", Path: "/health/leader", Public: true, Summary: "200 on the leader node", Handler: s.leader},

		{Method: "POST", Path: "/api/auth/setup", Public: true, Summary: "Create the owner while none exists", Handler: s.setup},
		{Method: "POST", Path: "/api/auth/login", Public: true, Summary: "Start a session", Handler: s.login},
		{Method: "POST", Path: "/api/auth/login/local", Public: true, Summary: "Start a session (Telegraf Controller path)", Handler: s.login},
		{Method: "POST", Path: "/api/auth/invites/accept", Public: true, Summary: "Accept an invite", Handler: s.acceptInvite},
		{Method: "POST", Path: "/api/auth/password-reset", Public: true, Summary: "Redeem a password-reset code", Handler: s.resetPassword},
		{Method: "POST", Path: "/api/auth/logout", Summary: "End the caller's session", Handler: s.logout},
		{Method: "GET", Path: "/api/auth/me", Summary: "Describe the caller", Handler: s.me},
		{Method: "PATCH", Path: "/api/auth/me", Summary: "Change the caller's email or password", Handler: s.updateMe},

		{Method: "GET", Path: "/api/users", Perm: usersRead, Summary: "List users", Handler: s.listUsers},
		{Method: "POST", Path: "/api/users/invites", Perm: usersWrite, Summary: "Invite a user", Handler: s.createInvite},
		{Method: "GET", Path: "/api/users/invites", Perm: usersRead, Summary: "List pending invites", Handler: s.listInvites},
		{Method: "DELETE", Path: "/api/users/invites/:id", Perm: usersWrite, Summary: "Withdraw an invite", Handler: s.deleteInvite},
		{Method: "POST", Path: "/api/users/transfer-ownership", Perm: usersWrite, Summary: "Transfer ownership to an administrator", Handler: s.transferOwnership},
		{Method: "GET", Path: "/api/users/:id", Perm: usersRead, Summary: "Get a user by ID or username", Handler: s.getUser, Object: s.readUser, ObjectKind: "user"},
		{Method: "PATCH", Path: "/api/users/:id", Perm: usersWrite, Summary: "Change a user's role, email or disabled flag", Handler: s.updateUser, Object: s.readUser, ObjectKind: "user"},
		{Method: "DELETE", Path: "/api/users/:id", Perm: usersWrite, Summary: "Delete a user", Handler: s.deleteUser, Object: s.readUser, ObjectKind: "user"},
		{Method: "POST", Path: "/api/users/:id/password-reset", Perm: usersWrite, Summary: "Issue a password-reset code", Handler: s.createPasswordReset},
	}
}

func (s *Server) readUser(c *fiber.Ctx) (any, error) {
	return s.auth.GetUser(ctx(c), principal(c), c.Params("id"))
}
