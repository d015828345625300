package configs

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Target kinds of a TOML URL.
const (
	targetConfig = "c" // /api/configs/{idOrAlias}/toml
	targetGroup  = "g" // /api/config-groups/{idOrAlias}/toml
	targetAlias  = "a" // /c/{alias}
)

// RenderConfig renders /api/configs/{idOrAlias}/toml for query. Errors are
// in the result's Err (not_found; invalid with "missing" or "undefined").
func (s *Service) RenderConfig(ctx context.Context, ref string, query url.Values) (*Rendered, error) {
	return s.rendered(ctx, targetConfig, ref, query, false)
}

// RenderGroup renders /api/config-groups/{idOrAlias}/toml.
func (s *Service) RenderGroup(ctx context.Context, ref string, query url.Values) (*Rendered, error) {
	return s.rendered(ctx, targetGroup, ref, query, false)
}

// RenderAlias renders /c/{alias}: the config or group the alias names.
func (s *Service) RenderAlias(ctx context.Context, alias string, query url.Values) (*Rendered, error) {
	return s.rendered(ctx, targetAlias, alias, query, false)
}

// targetKind of a rollout's version of a config: ref is the config ID.
const targetVersion = "v"

// targetGroupVersions is a group rendered with some members at the version
// a rollout routes an agent to: ref is the group ID followed, per routed
// member, by "\x00ID\x00version\x00lastModified" (see groupRoute). The
// ref is part of the cache key, so agents served different member versions
// never share a rendering or a kept ETag.
const targetGroupVersions = "r"

// targetKey names what a TOML URL renders: the kind and ref of the URL, or
// for a rollout's version of a config (targetVersion) the config ID, the
// version and the Last-Modified it is served with.
type targetKey struct {
	kind, ref string
	v         int
	lm        int64
}

// source is what a target's renderings are made of in one generation of
// the render cache: the templates and constants read from the database (no
// write can change them without ending the generation) and the names of
// the query parameters those templates reference. A rendering is a
// function of the source and of the query restricted to those names
// (render.QueryNames), so it is cached under that restriction: agents that
// differ only in parameters the templates do not use (agent_id, most
// often) share one rendering, and a rendering that does differ per agent
// costs no database read.
type source struct {
	prefix  string   // cache-key prefix of the target's renderings
	names   []string // query parameters the templates reference, sorted
	err     error    // the target does not resolve (not_found …), cached like a body
	row     *store.ConfigRow
	group   *store.GroupRow
	members []*store.ConfigRow // a group's members in order
	consts  map[string]string
	size    int
	// proto holds the headers its renderings share (name, Last-Modified,
	// kind, target, version): set by the render cache at the first
	// rendering it stores, under its lock.
	proto *Rendered
}

// key is the cache key of the rendering of query; appendKey appends it to
// dst (a lookup without allocating).
func (src *source) appendKey(dst []byte, query url.Values) []byte {
	return render.AppendCanonicalSubset(dst, src.prefix, query, src.names)
}

func (src *source) key(query url.Values) string {
	return render.CanonicalSubset(src.prefix, query, src.names)
}

// rendered is the hot path: a cache hit touches neither the database nor
// the template. Only infrastructure errors are returned as error; those are
// not cached.
func (s *Service) rendered(ctx context.Context, kind, ref string, query url.Values, head bool) (*Rendered, error) {
	return s.renderTarget(ctx, targetKey{kind: kind, ref: ref}, nil, query, head)
}

// renderTarget renders a target for query, from the cache if it can. row,
// for a version, is the config's current row if the caller has it. With
// head the answer may carry headers only (Rendered.Headers).
func (s *Service) renderTarget(ctx context.Context, tk targetKey, row *store.ConfigRow, query url.Values, head bool) (*Rendered, error) {
	src, r, gen := s.cache.lookup(tk, query, head)
	if r != nil {
		s.stats.hits.Add(1)
		return r, r.Err
	}
	if src == nil {
		var err error
		if src, err = s.loadSource(ctx, tk, row); err != nil {
			return nil, err
		}
		s.cache.putSource(gen, tk, src)
	}
	return s.renderMiss(src, gen, query)
}

// renderMiss renders src for query and caches the rendering (if gen is
// still the cache's generation).
func (s *Service) renderMiss(src *source, gen uint64, query url.Values) (*Rendered, error) {
	s.stats.misses.Add(1)
	r, err := s.renderSource(src, query)
	if err != nil {
		if tc.ErrorCode(err) == tc.EInternal {
			return nil, err
		}
		r = &Rendered{Err: err}
	}
	s.cache.put(gen, src, src.key(query), r)
	return r, r.Err
}

// loadSource reads what a target is rendered from. A target that does not
// resolve gives a source holding the error; only infrastructure errors are
// returned.
func (s *Service) loadSource(ctx context.Context, tk targetKey, row *store.ConfigRow) (*source, error) {
	src := &source{prefix: tk.kind + "\x00" + tk.ref + "\x00"}
	if tk.kind == targetVersion {
		src.prefix = targetVersion + "\x00" + tk.ref + "\x00" + strconv.Itoa(tk.v) + "\x00" + strconv.FormatInt(tk.lm, 10) + "\x00"
	}
	err := s.resolveSource(ctx, tk, row, src)
	if err == nil {
		src.consts, err = s.constants(ctx)
	}
	if err != nil {
		if tc.ErrorCode(err) == tc.EInternal {
			return nil, err
		}
		return &source{prefix: src.prefix, err: err, size: len(src.prefix) + 256}, nil
	}
	src.size = len(src.prefix) + 256
	for k, v := range src.consts {
		src.size += len(k) + len(v)
	}
	if src.row != nil {
		src.names = render.QueryNames(src.row.TOML)
		src.size += len(src.row.TOML)
		return src, nil
	}
	for _, m := range src.members {
		src.names = append(src.names, render.QueryNames(m.TOML)...)
		src.size += len(m.TOML) + 256
	}
	sort.Strings(src.names)
	src.names = slices.Compact(src.names)
	return src, nil
}

func (s *Service) resolveSource(ctx context.Context, tk targetKey, row *store.ConfigRow, src *source) error {
	var err error
	switch tk.kind {
	case targetVersion:
		if row == nil {
			if row, err = s.st.ConfigByID(ctx, tk.ref); err != nil {
				return err
			}
		}
		toml, err := s.versionTOML(ctx, tk.ref, tk.v)
		if err != nil {
			return err
		}
		vr := *row
		vr.TOML, vr.Version, vr.LastModified = toml, tk.v, tk.lm
		src.row = &vr
		return nil
	case targetConfig:
		src.row, err = resolveConfig(ctx, s.st, tk.ref)
		return err
	case targetGroup:
		if src.group, err = resolveGroup(ctx, s.st, tk.ref); err != nil {
			return err
		}
		return s.loadMembers(ctx, src)
	case targetGroupVersions:
		return s.resolveGroupVersions(ctx, tk.ref, src)
	}
	a, err := s.st.AliasByName(ctx, tk.ref)
	if err != nil {
		return err
	}
	if a.GroupID != nil {
		if src.group, err = s.st.GroupByID(ctx, *a.GroupID); err != nil {
			return err
		}
		return s.loadMembers(ctx, src)
	}
	src.row, err = s.st.ConfigByID(ctx, *a.ConfigID)
	return err
}

func (s *Service) loadMembers(ctx context.Context, src *source) error {
	g := src.group
	members, err := s.st.GroupMembers(ctx, []string{g.ID})
	if err != nil {
		return err
	}
	rows, err := s.st.ConfigsByIDs(ctx, members[g.ID])
	if err != nil {
		return err
	}
	byID := make(map[string]*store.ConfigRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	for _, id := range members[g.ID] {
		if row := byID[id]; row != nil {
			src.members = append(src.members, row)
		}
	}
	return nil
}

func (s *Service) constants(ctx context.Context) (map[string]string, error) {
	rows, err := s.st.ListConstants(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, c := range rows {
		m[c.Name] = c.Value
	}
	return m, nil
}

// renderSource renders a source for query: a pure function of both.
func (s *Service) renderSource(src *source, query url.Values) (*Rendered, error) {
	switch {
	case src.err != nil:
		return nil, src.err
	case src.row != nil:
		return s.renderConfigRow(src.row, src.consts, query)
	}
	return s.renderGroupRow(src.group, src.members, src.consts, query)
}

func (s *Service) renderConfigRow(row *store.ConfigRow, consts map[string]string, query url.Values) (*Rendered, error) {
	out, err := s.renderQuery(row.TOML, consts, query, s.checks.MaxRenderBytes)
	if err != nil {
		return nil, renderError(row.Name, err)
	}
	r := newRendered(row.Name, out, row.LastModified)
	r.Kind, r.TargetID, r.Version = KindConfig, row.ID, row.Version
	return r, nil
}

func (s *Service) renderGroupRow(g *store.GroupRow, members []*store.ConfigRow, consts map[string]string, query url.Values) (*Rendered, error) {
	var (
		sections         []render.Section
		missing, undefnd = map[string]bool{}, map[string]bool{}
		total            int
	)
	for _, row := range members {
		// Each member gets what is left of the group's budget, so a fetch
		// never builds more than the limit.
		budget := s.checks.MaxRenderBytes - total
		if budget <= 0 {
			return nil, renderError(g.Name, &render.TooLargeError{Limit: s.checks.MaxRenderBytes})
		}
		out, err := s.renderQuery(row.TOML, consts, query, budget)
		var me *render.MissingParamsError
		var ue *render.UndefinedConstantsError
		var te *render.TooLargeError
		switch {
		case errors.As(err, &me):
			for _, n := range me.Names {
				missing[n] = true
			}
		case errors.As(err, &ue):
			for _, n := range ue.Names {
				undefnd[n] = true
			}
		case errors.As(err, &te):
			return nil, renderError(g.Name, &render.TooLargeError{Limit: s.checks.MaxRenderBytes})
		case err != nil:
			return nil, renderError(g.Name+" (member "+row.Name+")", err)
		}
		total += len(out)
		sections = append(sections, render.Section{Name: row.Name, ID: row.ID, TOML: out})
	}
	if len(undefnd) > 0 {
		return nil, renderError(g.Name, &render.UndefinedConstantsError{Names: sortedKeys(undefnd)})
	}
	if len(missing) > 0 {
		return nil, renderError(g.Name, &render.MissingParamsError{Names: sortedKeys(missing)})
	}
	doc := render.Group(g.Name, sections)
	if len(doc) > s.checks.MaxRenderBytes {
		return nil, renderError(g.Name, &render.TooLargeError{Limit: s.checks.MaxRenderBytes})
	}
	r := newRendered(g.Name, doc, g.LastModified)
	r.Kind, r.TargetID = KindGroup, g.ID
	r.Members = make([]MemberVersion, len(members))
	for i, m := range members {
		r.Members[i] = MemberVersion{ID: m.ID, Version: m.Version, LastModified: m.LastModified}
	}
	return r, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func renderError(name string, err error) error {
	var me *render.MissingParamsError
	var ue *render.UndefinedConstantsError
	var ve *render.ValueError
	var te *render.TooLargeError
	switch {
	case errors.As(err, &me):
		return tc.Errorf(tc.EInvalid, "%q needs the query parameters %v: add them to the URL, e.g. ?%s=…", name, me.Names, me.Names[0]).With("missing", me.Names)
	case errors.As(err, &ue):
		return tc.Errorf(tc.EInvalid, "%q references undefined constants %v: define them with tcctl constant set", name, ue.Names).With("undefined", ue.Names)
	case errors.As(err, &ve):
		return tc.Errorf(tc.EInvalid, "%q: %s", name, ve.Error()).With("parameter", ve.Name).With("line", ve.Line).With("column", ve.Column)
	case errors.As(err, &te):
		return tc.Errorf(tc.EInvalid, "%q would render to more than %d bytes, the rendered-size limit: shorten the parameter values", name, te.Limit)
	}
	return err
}

func newRendered(name, body string, lm int64) *Rendered {
	full := sha256.Sum256([]byte(body))
	var sum [16]byte
	copy(sum[:], full[:16])
	t := lmTime(lm)
	return &Rendered{Body: []byte(body), ETag: etagOf(sum), sum: sum, LastModified: t, lmHTTP: t.Format(http.TimeFormat), Name: name}
}

// CacheLen reports the number of cached renderings (for tests and metrics).
func (s *Service) CacheLen() int { return s.cache.len() }

// CacheETags reports the number of renderings whose headers the cache
// keeps (beyond the bodies, to answer HEAD).
func (s *Service) CacheETags() int { return s.cache.headsLen() }

// renderStats counts the TOML endpoints' work for the metrics.
type renderStats struct {
	hits, misses, notModified atomic.Int64
}

// NoteNotModified counts a 304 answered from a rendering.
func (s *Service) NoteNotModified() { s.stats.notModified.Add(1) }

// RenderStats returns how many renderings came from the cache, how many
// were rendered, and how many requests were answered 304.
func (s *Service) RenderStats() (hits, misses, notModified int64) {
	return s.stats.hits.Load(), s.stats.misses.Load(), s.stats.notModified.Load()
}
