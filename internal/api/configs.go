package api

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/precond"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// ConfigsFeature serves configurations, versions, rendering, config
// groups, constants, aliases and labels.
type ConfigsFeature struct {
	svc *configs.Service
}

// NewConfigsFeature returns the routes of svc.
func NewConfigsFeature(svc *configs.Service) *ConfigsFeature { return &ConfigsFeature{svc: svc} }

// Routes implements Feature. Bulk routes come before /:id routes, which
// would match them too (IDs and aliases can never be "bulk").
func (f *ConfigsFeature) Routes() []Route {
	read := tc.Perm(tc.ResConfigs, tc.ActRead)
	write := tc.Perm(tc.ResConfigs, tc.ActWrite)
	lread := tc.Perm(tc.ResLabels, tc.ActRead)
	lwrite := tc.Perm(tc.ResLabels, tc.ActWrite)
	cfg := func(method, path string, perm tc.Permission, summary string, h fiber.Handler) Route {
		return Route{Method: method, Path: path, Group: GroupConfigs, Perm: perm, Summary: summary, Handler: h}
	}
	// Routes that carry a template take the template limit twice over (JSON
	// escapes quotes and line breaks) plus room for the other fields.
	upload := func(r Route) Route {
		r.BodyLimit = 2*f.svc.Limits().MaxTOMLBytes + BodyLimit
		return r
	}
	lbl := func(method, path string, perm tc.Permission, summary string, h fiber.Handler) Route {
		return Route{Method: method, Path: path, Group: GroupLabels, Perm: perm, Summary: summary, Handler: h}
	}
	toml := f.serveTOML("config", "id")
	groupTOML := f.serveTOML("group", "id")
	aliasTOML := f.serveTOML("alias", "alias")
	return []Route{
		cfg("PUT", "/api/configs/bulk/labels/assign", write, "Assign labels to many configs", f.bulkLabels(configs.KindConfig, true)),
		cfg("PUT", "/api/configs/bulk/labels/remove", write, "Remove labels from many configs", f.bulkLabels(configs.KindConfig, false)),
		cfg("GET", "/api/configs", read, "List configs (search, label, name, sort, order, paging)", f.listConfigs),
		upload(cfg("POST", "/api/configs", write, "Create a config (version 1)", f.createConfig)),
		cfg("GET", "/api/configs/:id", read, "Get a config by ID or alias", f.getConfig),
		upload(cfg("PATCH", "/api/configs/:id", write, "Change a config's name, description or TOML (a TOML change is a new version)", f.updateConfig)),
		upload(cfg("PUT", "/api/configs/:id", write, "Same as PATCH (Telegraf Controller accepts both)", f.updateConfig)),
		cfg("DELETE", "/api/configs/:id", write, "Delete a config (409 while reporting agents use it, unless force=true)", f.deleteConfig),
		cfg("GET", "/api/configs/:id/toml", read, "Rendered TOML of a config", toml),
		cfg("HEAD", "/api/configs/:id/toml", read, "Headers of the rendered TOML (Last-Modified)", toml),
		cfg("GET", "/api/configs/:id/versions", read, "List a config's versions, newest first", f.listVersions),
		cfg("DELETE", "/api/configs/:id/versions", write, "Prune versions before=N (never the current one)", f.pruneVersions),
		cfg("GET", "/api/configs/:id/versions/:n", read, "Get one version", f.getVersion),
		cfg("PATCH", "/api/configs/:id/versions/:n", write, "Edit a version's note", f.setVersionNote),
		cfg("GET", "/api/configs/:id/diff", read, "Unified diff between versions from and to", f.diff),
		cfg("POST", "/api/configs/:id/rollback", write, "Make an earlier version current (as a new version)", f.rollback),
		cfg("PUT", "/api/configs/:id/labels/:labelId", write, "Assign a label to a config", f.oneLabel(configs.KindConfig, true)),
		cfg("POST", "/api/configs/:id/assign/:labelId", write, "Assign a label to a config (Telegraf Controller path)", f.oneLabel(configs.KindConfig, true)),
		cfg("DELETE", "/api/configs/:id/labels/:labelId", write, "Remove a label from a config", f.oneLabel(configs.KindConfig, false)),

		cfg("PUT", "/api/config-groups/bulk/labels/assign", write, "Assign labels to many config groups", f.bulkLabels(configs.KindGroup, true)),
		cfg("PUT", "/api/config-groups/bulk/labels/remove", write, "Remove labels from many config groups", f.bulkLabels(configs.KindGroup, false)),
		cfg("GET", "/api/config-groups", read, "List config groups", f.listGroups),
		cfg("POST", "/api/config-groups", write, "Create a config group with ordered members", f.createGroup),
		cfg("GET", "/api/config-groups/:id", read, "Get a config group by ID or alias", f.getGroup),
		cfg("PATCH", "/api/config-groups/:id", write, "Change a config group's name, description or members", f.updateGroup),
		cfg("DELETE", "/api/config-groups/:id", write, "Delete a config group (not its members)", f.deleteGroup),
		cfg("GET", "/api/config-groups/:id/toml", read, "Rendered TOML of a config group", groupTOML),
		cfg("HEAD", "/api/config-groups/:id/toml", read, "Headers of a config group's rendered TOML", groupTOML),
		cfg("PUT", "/api/config-groups/:id/labels/:labelId", write, "Assign a label to a config group", f.oneLabel(configs.KindGroup, true)),
		cfg("POST", "/api/config-groups/:id/assign/:labelId", write, "Assign a label to a config group (Telegraf Controller path)", f.oneLabel(configs.KindGroup, true)),
		cfg("DELETE", "/api/config-groups/:id/labels/:labelId", write, "Remove a label from a config group", f.oneLabel(configs.KindGroup, false)),

		cfg("GET", "/c/:alias", read, "Rendered TOML of the config or group an alias names", aliasTOML),
		cfg("HEAD", "/c/:alias", read, "Headers of the rendered TOML behind an alias", aliasTOML),
		cfg("GET", "/api/aliases", read, "List aliases", f.listAliases),
		cfg("GET", "/api/aliases/:alias", read, "Get an alias", f.getAlias),
		cfg("PUT", "/api/aliases/:alias", write, "Point an alias at a config or group (transfer=true moves it)", f.putAlias),
		cfg("DELETE", "/api/aliases/:alias", write, "Delete an alias", f.deleteAlias),

		cfg("GET", "/api/constants", read, "List constants", f.listConstants),
		cfg("POST", "/api/constants", write, "Create a constant", f.createConstant),
		cfg("GET", "/api/constants/:name", read, "Get a constant", f.getConstant),
		cfg("PUT", "/api/constants/:name", write, "Create or change a constant", f.putConstant),
		cfg("PATCH", "/api/constants/:name", write, "Change a constant", f.putConstant),
		cfg("DELETE", "/api/constants/:name", write, "Delete an unreferenced constant", f.deleteConstant),

		// Config as code: the route needs configs:read; the handler then
		// requires what the kinds involved need (auth.CanUseResources).
		{Method: "GET", Path: "/api/resources", Perm: read, Summary: "Export the configuration as resources (kind repeated, label)", Handler: f.exportResources},
		upload(Route{Method: "POST", Path: "/api/apply", Perm: read, Summary: "Apply resources: validate all, then change all in one transaction (dryRun, prune, selector, note, diff)", Handler: f.apply}),

		lbl("GET", "/api/labels", lread, "List labels", f.listLabels),
		lbl("POST", "/api/labels", lwrite, "Create a label", f.createLabel),
		lbl("GET", "/api/labels/:id", lread, "Get a label by ID or name", f.getLabel),
		lbl("PATCH", "/api/labels/:id", lwrite, "Change a label", f.updateLabel),
		lbl("DELETE", "/api/labels/:id", lwrite, "Delete a label everywhere", f.deleteLabel),
	}
}

func who(c *fiber.Ctx) string {
	if p := principal(c); p != nil {
		return p.Username
	}
	return ""
}

func configFilter(c *fiber.Ctx) (configs.ConfigFilter, error) {
	p, err := page(c)
	if err != nil {
		return configs.ConfigFilter{}, err
	}
	f := configs.ConfigFilter{Search: c.Query("search"), Labels: queryMulti(c, "label"), Name: c.Query("name"), Sort: c.Query("sort"), Page: p}
	switch c.Query("order") {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, tc.Errorf(tc.EInvalid, "order must be asc or desc (got %q)", c.Query("order")).With("field", "order")
	}
	return f, nil
}

func intParam(c *fiber.Ctx, v, field string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, tc.Errorf(tc.EInvalid, "%s must be a version number (1 or more), got %q", field, v).With("field", field)
	}
	return n, nil
}

func (f *ConfigsFeature) listConfigs(c *fiber.Ctx) error {
	flt, err := configFilter(c)
	if err != nil {
		return err
	}
	out, err := f.svc.ListConfigs(ctx(c), flt)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) createConfig(c *fiber.Ctx) error {
	var req tc.CreateConfigRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.CreateConfig(ctx(c), who(c), req)
	if err != nil {
		return err
	}
	return tagged(c.Status(fiber.StatusCreated), precond.Config(out), out)
}

func (f *ConfigsFeature) getConfig(c *fiber.Ctx) error {
	out, err := f.svc.GetConfig(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Config(out), out)
}

func (f *ConfigsFeature) updateConfig(c *fiber.Ctx) error {
	var req tc.UpdateConfigRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.UpdateConfig(ctx(c), who(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return tagged(c, precond.Config(out), out)
}

func (f *ConfigsFeature) deleteConfig(c *fiber.Ctx) error {
	force, err := boolQuery(c, "force")
	if err != nil {
		return err
	}
	if err := f.svc.DeleteConfig(ctx(c), c.Params("id"), force); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	v := c.Query(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, tc.Errorf(tc.EInvalid, "%s must be true or false (got %q)", name, v).With("field", name)
	}
	return b, nil
}

func (f *ConfigsFeature) listVersions(c *fiber.Ctx) error {
	out, err := f.svc.Versions(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.ConfigVersion]{Items: out, Total: len(out), Limit: len(out)})
}

func (f *ConfigsFeature) getVersion(c *fiber.Ctx) error {
	n, err := intParam(c, c.Params("n"), "version")
	if err != nil {
		return err
	}
	out, err := f.svc.Version(ctx(c), c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) setVersionNote(c *fiber.Ctx) error {
	n, err := intParam(c, c.Params("n"), "version")
	if err != nil {
		return err
	}
	var req tc.VersionNoteRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.SetVersionNote(ctx(c), c.Params("id"), n, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) pruneVersions(c *fiber.Ctx) error {
	n, err := intParam(c, c.Query("before"), "before")
	if err != nil {
		return err
	}
	out, err := f.svc.Prune(ctx(c), c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) diff(c *fiber.Ctx) error {
	from, err := intParam(c, c.Query("from"), "from")
	if err != nil {
		return err
	}
	to, err := intParam(c, c.Query("to"), "to")
	if err != nil {
		return err
	}
	out, err := f.svc.Diff(ctx(c), c.Params("id"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) rollback(c *fiber.Ctx) error {
	var req tc.RollbackRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.Rollback(ctx(c), who(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) oneLabel(kind string, assign bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := tc.BulkLabelsRequest{IDs: []string{c.Params("id")}, LabelIDs: []string{c.Params("labelId")}}
		if err := f.svc.SetLabels(ctx(c), kind, assign, req); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (f *ConfigsFeature) bulkLabels(kind string, assign bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req tc.BulkLabelsRequest
		if err := decode(c, &req); err != nil {
			return err
		}
		if err := f.svc.SetLabels(ctx(c), kind, assign, req); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// serveTOML answers GET and HEAD of a TOML URL from the render cache.
func (f *ConfigsFeature) serveTOML(kind, param string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		qb, err := pollQuery(c.Request().URI().QueryString())
		if err != nil {
			return tc.Errorf(tc.EInvalid, "malformed query string: %v", err)
		}
		defer qb.release()
		q := qb.q
		agent := q.Get(f.svc.AgentParam())
		// A HEAD, or a GET that may be answered 304, can be answered from
		// the headers the cache keeps beyond the bodies.
		head := c.Method() == fiber.MethodHead || c.Get(fiber.HeaderIfNoneMatch) != "" || c.Get(fiber.HeaderIfModifiedSince) != ""
		r, err := f.svc.Serve(ctx(c), kind, c.Params(param), q, agent, head)
		if err != nil {
			return err
		}
		if r.Headers() && c.Method() != fiber.MethodHead && !notModified(c, r) {
			if r, err = f.svc.Serve(ctx(c), kind, c.Params(param), q, agent, false); err != nil {
				return err
			}
		}
		if err := writeTOML(c, r); err != nil {
			return err
		}
		code := c.Response().StatusCode()
		if code == fiber.StatusNotModified {
			f.svc.NoteNotModified()
		}
		// Who runs what: recorded in memory, written in batches later.
		f.svc.NoteServed(agent, r, code == fiber.StatusOK && c.Method() == fiber.MethodGet)
		return nil
	}
}

// queryBuf is a parsed query of a TOML route; the pooled ones are reused
// across requests, so an agent's poll is parsed without allocating a map
// or slices.
type queryBuf struct {
	q      url.Values
	vals   [8]string
	pooled bool
}

var queryBufs = sync.Pool{New: func() any { return &queryBuf{q: make(url.Values, 8), pooled: true} }}

// pollQuery parses a TOML route's raw query as url.ParseQuery does. A
// query without escapes ('%', '+') or semicolons (what agents send) is
// split in place: keys and values are substrings of one copy of raw, in a
// pooled map that release returns (the map must not be used after it;
// the strings may). Any other query goes through url.ParseQuery, with its
// errors.
func pollQuery(raw []byte) (*queryBuf, error) {
	if bytes.ContainsAny(raw, "%+;") {
		q, err := url.ParseQuery(string(raw))
		return &queryBuf{q: q}, err
	}
	b := queryBufs.Get().(*queryBuf)
	n := 0
	for rest := string(raw); rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if vs, ok := b.q[k]; ok || n == len(b.vals) {
			b.q[k] = append(vs, v)
			continue
		}
		b.vals[n] = v
		b.q[k] = b.vals[n : n+1 : n+1]
		n++
	}
	return b, nil
}

func (b *queryBuf) release() {
	if b.pooled {
		clear(b.q)
		clear(b.vals[:])
		queryBufs.Put(b)
	}
}

// writeTOML sends a rendering with Last-Modified and ETag, answering
// If-None-Match / If-Modified-Since with 304. Accept naming
// application/octet-stream (and no TOML type) gets a download.
func writeTOML(c *fiber.Ctx, r *configs.Rendered) error {
	c.Set(fiber.HeaderLastModified, r.HTTPLastModified())
	c.Set(fiber.HeaderETag, r.ETag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	if notModified(c, r) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	accept := c.Get(fiber.HeaderAccept)
	if containsFold(accept, "application/octet-stream") && !containsFold(accept, "toml") {
		c.Set(fiber.HeaderContentType, "application/octet-stream")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+downloadName(r.Name)+`.toml"`)
	} else {
		c.Set(fiber.HeaderContentType, "text/x-toml; charset=utf-8")
	}
	if r.Headers() {
		// A HEAD answered from the headers the cache kept: the length the
		// body has (fasthttp keeps a set length when it sends no body).
		c.Status(fiber.StatusOK).Response().Header.SetContentLength(r.ContentLength())
		return nil
	}
	return c.Status(fiber.StatusOK).Send(r.Body)
}

func notModified(c *fiber.Ctx, r *configs.Rendered) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == r.ETag {
				return true
			}
		}
		return false
	}
	if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !r.LastModified.After(t) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains sub (ASCII, lower case) in any
// case, without allocating (it runs on every agent's poll).
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// downloadName keeps a config name safe inside a quoted header value.
func downloadName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, name)
}

func (f *ConfigsFeature) listGroups(c *fiber.Ctx) error {
	flt, err := configFilter(c)
	if err != nil {
		return err
	}
	out, err := f.svc.ListGroups(ctx(c), flt)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) createGroup(c *fiber.Ctx) error {
	var req tc.GroupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.CreateGroup(ctx(c), req)
	if err != nil {
		return err
	}
	return tagged(c.Status(fiber.StatusCreated), precond.Group(out), out)
}

func (f *ConfigsFeature) getGroup(c *fiber.Ctx) error {
	out, err := f.svc.GetGroup(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Group(out), out)
}

func (f *ConfigsFeature) updateGroup(c *fiber.Ctx) error {
	var req tc.UpdateGroupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.UpdateGroup(ctx(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return tagged(c, precond.Group(out), out)
}

func (f *ConfigsFeature) deleteGroup(c *fiber.Ctx) error {
	if err := f.svc.DeleteGroup(ctx(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (f *ConfigsFeature) listAliases(c *fiber.Ctx) error {
	out, err := f.svc.ListAliases(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.Alias]{Items: out, Total: len(out), Limit: len(out)})
}

func (f *ConfigsFeature) getAlias(c *fiber.Ctx) error {
	out, err := f.svc.GetAlias(ctx(c), c.Params("alias"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Alias(out), out)
}

func (f *ConfigsFeature) putAlias(c *fiber.Ctx) error {
	var req tc.AliasRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.PutAlias(ctx(c), c.Params("alias"), req)
	if err != nil {
		return err
	}
	return tagged(c, precond.Alias(out), out)
}

func (f *ConfigsFeature) deleteAlias(c *fiber.Ctx) error {
	if err := f.svc.DeleteAlias(ctx(c), c.Params("alias")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (f *ConfigsFeature) listConstants(c *fiber.Ctx) error {
	out, err := f.svc.ListConstants(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(tc.List[tc.Constant]{Items: out, Total: len(out), Limit: len(out)})
}

func (f *ConfigsFeature) getConstant(c *fiber.Ctx) error {
	out, err := f.svc.GetConstant(ctx(c), c.Params("name"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Constant(out), out)
}

func (f *ConfigsFeature) createConstant(c *fiber.Ctx) error {
	var req tc.ConstantRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, _, err := f.svc.SetConstant(ctx(c), req.Name, req.Value, true)
	if err != nil {
		return err
	}
	return tagged(c.Status(fiber.StatusCreated), precond.Constant(out), out)
}

func (f *ConfigsFeature) putConstant(c *fiber.Ctx) error {
	var req tc.ConstantRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Name != "" && req.Name != c.Params("name") {
		return tc.Errorf(tc.EInvalid, "constant names cannot change: the body names %q, the path %q", req.Name, c.Params("name")).With("field", "name")
	}
	out, created, err := f.svc.SetConstant(ctx(c), c.Params("name"), req.Value, false)
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return tagged(c, precond.Constant(out), out)
}

func (f *ConfigsFeature) deleteConstant(c *fiber.Ctx) error {
	if err := f.svc.DeleteConstant(ctx(c), c.Params("name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (f *ConfigsFeature) listLabels(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	out, err := f.svc.ListLabels(ctx(c), c.Query("search"), p)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (f *ConfigsFeature) createLabel(c *fiber.Ctx) error {
	var req tc.LabelRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.CreateLabel(ctx(c), req)
	if err != nil {
		return err
	}
	return tagged(c.Status(fiber.StatusCreated), precond.Label(out), out)
}

func (f *ConfigsFeature) getLabel(c *fiber.Ctx) error {
	out, err := f.svc.GetLabel(ctx(c), c.Params("id"))
	if err != nil {
		return err
	}
	return tagged(c, precond.Label(out), out)
}

func (f *ConfigsFeature) updateLabel(c *fiber.Ctx) error {
	var req tc.UpdateLabelRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := f.svc.UpdateLabel(ctx(c), c.Params("id"), req)
	if err != nil {
		return err
	}
	return tagged(c, precond.Label(out), out)
}

func (f *ConfigsFeature) deleteLabel(c *fiber.Ctx) error {
	if err := f.svc.DeleteLabel(ctx(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (f *ConfigsFeature) exportResources(c *fiber.Ctx) error {
	kinds := queryMulti(c, "kind")
	check := kinds
	if len(check) == 0 {
		check = tc.ResourceKinds
	}
	if err := auth.CanUseResources(principal(c), check, false); err != nil {
		return err
	}
	// Secret sets (names only) go to callers who may list secret names.
	secretNames := auth.CanUseResources(principal(c), []string{tc.KindSecretSet}, false) == nil
	out, err := f.svc.Export(ctx(c), kinds, c.Query("label"), secretNames)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// apply runs POST /api/apply. The audit log gets, besides the request's
// own entry, one entry per changed resource carrying the apply's ID and
// note (see auditMiddleware and localAuditExtra).
func (f *ConfigsFeature) apply(c *fiber.Ctx) error {
	var req tc.ApplyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	kinds := map[string]bool{}
	for _, r := range req.Resources {
		kinds[r.Kind] = true
	}
	if req.Prune {
		for _, k := range req.PruneKinds {
			kinds[k] = true
		}
	}
	list := make([]string, 0, len(kinds))
	for k := range kinds {
		list = append(list, k)
	}
	if err := auth.CanUseResources(principal(c), list, !req.DryRun); err != nil {
		return err
	}
	id := store.NewID()
	c.Locals(localAuditDetail, "apply="+id)
	out, err := f.svc.Apply(ctx(c), who(c), id, req)
	if err != nil {
		return err
	}
	if !out.DryRun {
		var extra []auditExtra
		for _, ch := range out.Changes {
			if ch.Action == tc.ActionUnchanged {
				continue
			}
			target := "apply=" + id + ",kind=" + ch.Kind + ",name=" + ch.Name
			if req.Note != "" {
				target += ",note=" + req.Note
			}
			extra = append(extra, auditExtra{Action: "APPLY " + ch.Action + " " + ch.Kind, Target: target})
		}
		c.Locals(localAuditExtra, extra)
	}
	c.Set("X-Apply-Id", id)
	return c.JSON(out)
}
