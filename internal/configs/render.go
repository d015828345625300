package configs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
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
	return s.rendered(ctx, targetConfig, ref, query)
}

// RenderGroup renders /api/config-groups/{idOrAlias}/toml.
func (s *Service) RenderGroup(ctx context.Context, ref string, query url.Values) (*Rendered, error) {
	return s.rendered(ctx, targetGroup, ref, query)
}

// RenderAlias renders /c/{alias}: the config or group the alias names.
func (s *Service) RenderAlias(ctx context.Context, alias string, query url.Values) (*Rendered, error) {
	return s.rendered(ctx, targetAlias, alias, query)
}

// rendered is the hot path: a cache hit touches neither the database nor
// the template. Only infrastructure errors are returned as error; those are
// not cached.
func (s *Service) rendered(ctx context.Context, kind, ref string, query url.Values) (*Rendered, error) {
	key := kind + "\x00" + ref + "\x00" + render.CanonicalQuery(query)
	r, gen, ok := s.cache.get(key)
	if ok {
		s.stats.hits.Add(1)
		return r, r.Err
	}
	s.stats.misses.Add(1)
	r, err := s.renderUncached(ctx, kind, ref, query)
	if err != nil {
		if tc.ErrorCode(err) == tc.EInternal {
			return nil, err
		}
		r = &Rendered{Err: err}
	}
	s.cache.put(gen, key, r)
	return r, r.Err
}

func (s *Service) renderUncached(ctx context.Context, kind, ref string, query url.Values) (*Rendered, error) {
	switch kind {
	case targetConfig:
		row, err := resolveConfig(ctx, s.st, ref)
		if err != nil {
			return nil, err
		}
		return s.renderConfigRow(ctx, row, query)
	case targetGroup:
		g, err := resolveGroup(ctx, s.st, ref)
		if err != nil {
			return nil, err
		}
		return s.renderGroupRow(ctx, g, query)
	}
	a, err := s.st.AliasByName(ctx, ref)
	if err != nil {
		return nil, err
	}
	if a.GroupID != nil {
		g, err := s.st.GroupByID(ctx, *a.GroupID)
		if err != nil {
			return nil, err
		}
		return s.renderGroupRow(ctx, g, query)
	}
	row, err := s.st.ConfigByID(ctx, *a.ConfigID)
	if err != nil {
		return nil, err
	}
	return s.renderConfigRow(ctx, row, query)
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

func (s *Service) renderConfigRow(ctx context.Context, row *store.ConfigRow, query url.Values) (*Rendered, error) {
	consts, err := s.constants(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.renderQuery(row.TOML, consts, query, s.checks.MaxRenderBytes)
	if err != nil {
		return nil, renderError(row.Name, err)
	}
	r := newRendered(row.Name, out, row.LastModified)
	r.Kind, r.TargetID, r.Version = KindConfig, row.ID, row.Version
	return r, nil
}

func (s *Service) renderGroupRow(ctx context.Context, g *store.GroupRow, query url.Values) (*Rendered, error) {
	members, err := s.st.GroupMembers(ctx, []string{g.ID})
	if err != nil {
		return nil, err
	}
	rows, err := s.st.ConfigsByIDs(ctx, members[g.ID])
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.ConfigRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	consts, err := s.constants(ctx)
	if err != nil {
		return nil, err
	}
	var (
		sections         []render.Section
		missing, undefnd = map[string]bool{}, map[string]bool{}
		total            int
	)
	for _, id := range members[g.ID] {
		row := byID[id]
		if row == nil {
			continue
		}
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
	sum := sha256.Sum256([]byte(body))
	return &Rendered{Body: []byte(body), ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, LastModified: lmTime(lm), Name: name}
}

// CacheLen reports the number of cached renderings (for tests and metrics).
func (s *Service) CacheLen() int { return s.cache.len() }

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
