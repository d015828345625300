package advisories

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/osv"
	"github.com/opentc/tc/pkg/tc"
)

// maxMemo bounds the per-version match cache: agents choose their version
// strings, so a hostile fleet could report any number of them. Versions
// beyond it are matched on every use (a few microseconds each).
const maxMemo = 10_000

// item is one stored advisory, parsed and compiled.
type item struct {
	api       tc.Advisory  // without exposure (AgentsAffected, Versions)
	matcher   *osv.Matcher // Telegraf's ranges: what agents are matched against
	rank      int
	acked     bool
	withdrawn bool
}

// hit is an advisory that applies to a version, with the version that
// fixes it there.
type hit struct {
	it    *item
	fixed string
}

// catalog is every stored advisory in memory, with the advisories that
// apply to each agent version string worked out once. It is rebuilt after
// any change (here, or on another node: the cluster bus drops it).
type catalog struct {
	items []*item
	byID  map[string]*item

	mu   sync.Mutex
	memo map[string][]hit
}

// buildCatalog compiles the stored advisories; tcdVersion (this tcd's, if
// it parses) decides TCDAffected of advisories about tcd.
func buildCatalog(rows []store.AdvisoryRow, tcdVersion string, warn func(id string, err error)) *catalog {
	self, selfOK := AgentVersion(tcdVersion)
	c := &catalog{byID: make(map[string]*item, len(rows)), memo: map[string][]hit{}}
	for _, r := range rows {
		res, err := osv.Parse("", []byte(r.Document))
		if err != nil || len(res.Entries) != 1 {
			warn(r.ID, err)
			continue
		}
		e := res.Entries[0]
		it := &item{api: toAPI(r, &e), matcher: e.Matcher(osv.TelegrafModule), rank: tc.SeverityRank(r.Severity),
			acked: r.AckedMs != nil, withdrawn: r.WithdrawnMs != nil}
		if selfOK && !it.withdrawn {
			it.api.TCDAffected, _ = e.Matcher(osv.TCModule).Match(self)
		}
		c.items = append(c.items, it)
		c.byID[r.ID] = it
	}
	return c
}

// hits returns the advisories (acknowledged ones included, withdrawn ones
// not) that apply to agents reporting version, most severe first.
func (c *catalog) hits(version string) []hit {
	c.mu.Lock()
	h, ok := c.memo[version]
	c.mu.Unlock()
	if ok {
		return h
	}
	var out []hit
	if v, ok := AgentVersion(version); ok {
		for _, it := range c.items {
			if it.withdrawn {
				continue
			}
			if affected, fixed := it.matcher.Match(v); affected {
				out = append(out, hit{it, fixed})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].it.rank > out[j].it.rank })
	c.mu.Lock()
	if len(c.memo) < maxMemo {
		c.memo[version] = out
	}
	c.mu.Unlock()
	return out
}

func msPtr(ms *int64) *time.Time {
	if ms == nil {
		return nil
	}
	t := time.UnixMilli(*ms).UTC()
	return &t
}

// toAPI is the wire form of a stored advisory, without its exposure.
func toAPI(r store.AdvisoryRow, e *osv.Entry) tc.Advisory {
	a := tc.Advisory{ID: r.ID, Summary: e.Summary, Details: e.Details, Aliases: e.Aliases, Severity: r.Severity,
		Scores: []tc.AdvisoryScore{}, Affected: []tc.AffectedPackage{}, References: []string{}, Fixed: e.FixedVersions(),
		Published: e.Published, Modified: e.Modified, Withdrawn: msPtr(r.WithdrawnMs), Versions: []tc.ExposedVersion{},
		Source: r.Source, CreatedAt: time.UnixMilli(r.CreatedMs).UTC(), UpdatedAt: time.UnixMilli(r.UpdatedMs).UTC()}
	if a.Aliases == nil {
		a.Aliases = []string{}
	}
	for _, s := range e.Scores() {
		a.Scores = append(a.Scores, tc.AdvisoryScore{Type: s.Type, Score: s.Score})
	}
	for _, ref := range e.References {
		a.References = append(a.References, ref.URL)
	}
	for _, af := range e.TrackedAffected() {
		p := tc.AffectedPackage{Ecosystem: af.Ecosystem, Name: af.Name, Ranges: []tc.AffectedRange{}, Versions: af.Versions}
		if p.Versions == nil {
			p.Versions = []string{}
		}
		for _, rg := range af.Ranges {
			ar := tc.AffectedRange{Type: rg.Type, Events: make([]tc.RangeEvent, len(rg.Events))}
			for i, ev := range rg.Events {
				ar.Events[i] = tc.RangeEvent{Introduced: ev.Introduced, Fixed: ev.Fixed, LastAffected: ev.LastAffected, Limit: ev.Limit}
			}
			p.Ranges = append(p.Ranges, ar)
		}
		a.Affected = append(a.Affected, p)
	}
	if r.AckedMs != nil {
		a.Acknowledgement = &tc.Acknowledgement{At: time.UnixMilli(*r.AckedMs).UTC(), By: r.AckedBy, Note: r.AckNote}
	}
	return a
}

// exposure is the fleet against the catalog at one moment: for each
// advisory, how many agents of each version it affects.
type exposure struct {
	byAdvisory map[string][]tc.ExposedVersion
	total      map[string]int
	bySeverity map[string]int // agents by the highest severity of the unacknowledged advisories that apply
}

func (c *catalog) expose(counts map[string]int) exposure {
	x := exposure{byAdvisory: map[string][]tc.ExposedVersion{}, total: map[string]int{}, bySeverity: map[string]int{}}
	for version, n := range counts {
		worst := -1
		worstLevel := ""
		for _, h := range c.hits(version) {
			id := h.it.api.ID
			x.byAdvisory[id] = append(x.byAdvisory[id], tc.ExposedVersion{Version: version, Agents: n, Fixed: h.fixed})
			x.total[id] += n
			if !h.it.acked && h.it.rank > worst {
				worst, worstLevel = h.it.rank, h.it.api.Severity
			}
		}
		if worst >= 0 {
			x.bySeverity[worstLevel] += n
		}
	}
	for _, vs := range x.byAdvisory {
		sort.Slice(vs, func(i, j int) bool {
			if vs[i].Agents != vs[j].Agents {
				return vs[i].Agents > vs[j].Agents
			}
			return vs[i].Version < vs[j].Version
		})
	}
	return x
}

// apply returns the item's advisory with its exposure filled in.
func (x exposure) apply(it *item) tc.Advisory {
	a := it.api
	a.AgentsAffected = x.total[a.ID]
	if vs := x.byAdvisory[a.ID]; vs != nil {
		a.Versions = vs
	}
	return a
}

// catalog returns the catalog, loading it from the store when needed.
func (s *Service) catalog(ctx context.Context) (*catalog, error) {
	s.mu.Lock()
	c, gen := s.cat, s.gen
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	c, gen = s.cat, s.gen
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	rows, err := s.st.AdvisoryRows(ctx)
	if err != nil {
		return nil, err
	}
	c = buildCatalog(rows, s.tcdVersion, func(id string, err error) {
		s.log.Error("a stored advisory cannot be read; it is left out", "advisory", id, "err", err)
	})
	s.mu.Lock()
	if s.gen == gen { // no change since the rows were read
		s.cat = c
	}
	s.mu.Unlock()
	return c, nil
}

// DropCache forgets the catalog (advisories changed, here or on another
// node); the next use reloads it.
func (s *Service) DropCache() {
	s.mu.Lock()
	s.cat = nil
	s.gen++
	s.mu.Unlock()
}
