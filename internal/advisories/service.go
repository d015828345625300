// Package advisories is tcd's exposure feature: it imports security
// advisories in the OSV format (from tcctl, or fetched periodically from a
// configured URL), keeps those about Telegraf and tcd, and matches them
// against the versions agents report — per advisory, per agent, and as
// metrics. Agents are grouped by the version string they report, so the
// work grows with the number of distinct versions, not with the fleet.
package advisories

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/osv"
	"github.com/opentc/tc/pkg/tc"
)

// FleetMatchHook is told of advisories that an import or a feed fetch made
// apply to the fleet: added or changed advisories that now affect at least
// one agent, did not before, and are not acknowledged or withdrawn. It
// runs after the import committed, on the importing goroutine, so it must
// not block (hand the event to a queue). It is the "new advisory matches
// the fleet" notification event.
type FleetMatchHook func(ctx context.Context, matched []tc.Advisory)

// Options configure a Service.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// OnFleetMatch, if set, receives the advisories that start to apply to
	// the fleet (see FleetMatchHook).
	OnFleetMatch FleetMatchHook
	// TCDVersion is this tcd's version, matched against advisories about
	// tcd itself ("dev" and other non-versions match none).
	TCDVersion string
}

// Service is the advisories feature.
type Service struct {
	st         *store.Store
	log        *slog.Logger
	now        func() time.Time
	tcdVersion string

	hookMu sync.Mutex
	hook   FleetMatchHook

	mu     sync.Mutex
	cat    *catalog
	gen    uint64
	loadMu sync.Mutex

	feed feedState
}

// New returns the advisories service on st.
func New(st *store.Store, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{st: st, log: o.Logger, now: o.Now, hook: o.OnFleetMatch, tcdVersion: o.TCDVersion}
}

// SetFleetMatchHook replaces the hook (nil: none).
func (s *Service) SetFleetMatchHook(h FleetMatchHook) {
	s.hookMu.Lock()
	s.hook = h
	s.hookMu.Unlock()
}

// Source values recorded with an advisory.
const (
	SourceImport = "import"
	sourceFeed   = "feed "
)

// Import stores the advisories about Telegraf and tcd found in data (an
// OSV document, a JSON array of them, or a zip archive of such files),
// all in one transaction: an entry already stored as given is left alone,
// one stored in a newer version (by its "modified" time) too, anything
// else is added or replaces the stored one (keeping its acknowledgement).
// A malformed file is an EInvalid error naming the JSON path of the
// problem, and nothing is stored. name prefixes error paths ("" for none).
func (s *Service) Import(ctx context.Context, name string, data []byte, source string) (tc.AdvisoryImportResult, error) {
	out := tc.AdvisoryImportResult{Added: []string{}, Updated: []string{}, Matching: []string{}}
	res, err := osv.Parse(name, data)
	if err != nil {
		return out, invalid(err)
	}
	entries, err := osv.Dedupe(res.Entries)
	if err != nil {
		return out, invalid(err)
	}
	out.Ignored = res.Ignored()
	if len(entries) == 0 {
		return out, nil
	}
	before, err := s.exposedIDs(ctx)
	if err != nil {
		return out, err
	}
	nowMs := s.now().UnixMilli()
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		out.Added, out.Updated, out.Unchanged, out.Stale = out.Added[:0], out.Updated[:0], 0, 0
		if err := tx.LockAdvisoryImports(ctx); err != nil {
			return err
		}
		stored, err := tx.AdvisoryVersions(ctx, ids)
		if err != nil {
			return err
		}
		for _, e := range entries {
			sum := sha256.Sum256(e.Document)
			row := store.AdvisoryRow{ID: e.ID, Summary: e.Summary, Severity: e.Level(), ModifiedMs: ms(e.Modified),
				WithdrawnMs: ms(e.Withdrawn), Document: string(e.Document), Digest: hex.EncodeToString(sum[:]),
				Source: source, CreatedMs: nowMs, UpdatedMs: nowMs}
			old, exists := stored[e.ID]
			switch {
			case !exists:
				if err := tx.InsertAdvisory(ctx, row); err != nil {
					return err
				}
				out.Added = append(out.Added, e.ID)
			case old.Digest == row.Digest:
				out.Unchanged++
			case old.ModifiedMs != nil && (row.ModifiedMs == nil || *row.ModifiedMs < *old.ModifiedMs):
				out.Stale++
			default:
				if err := tx.UpdateAdvisory(ctx, row); err != nil {
					return err
				}
				out.Updated = append(out.Updated, e.ID)
			}
		}
		if len(out.Added)+len(out.Updated) == 0 {
			return nil
		}
		return tx.PublishChange(ctx, store.TopicAdvisories)
	})
	if err != nil {
		return out, err
	}
	if len(out.Added)+len(out.Updated) == 0 {
		return out, nil
	}
	s.DropCache()
	matched, err := s.matching(ctx, append(append([]string{}, out.Added...), out.Updated...))
	if err != nil {
		return out, err
	}
	var fresh []tc.Advisory
	for _, a := range matched {
		out.Matching = append(out.Matching, a.ID)
		if !before[a.ID] && a.Acknowledgement == nil && a.Withdrawn == nil {
			fresh = append(fresh, a)
		}
	}
	sort.Strings(out.Matching)
	s.log.Info("advisories imported", "source", source, "added", len(out.Added), "updated", len(out.Updated),
		"unchanged", out.Unchanged, "stale", out.Stale, "ignored", out.Ignored, "matching", len(out.Matching))
	s.hookMu.Lock()
	hook := s.hook
	s.hookMu.Unlock()
	if hook != nil && len(fresh) > 0 {
		hook(ctx, fresh)
	}
	return out, nil
}

func invalid(err error) error {
	var pe *osv.Error
	if errors.As(err, &pe) {
		e := tc.Errorf(tc.EInvalid, "%s", pe.Error())
		if pe.Path != "" {
			e = e.With("path", pe.Path)
		}
		if pe.File != "" {
			e = e.With("file", pe.File)
		}
		return e
	}
	return tc.Errorf(tc.EInvalid, "%v", err)
}

func ms(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

// exposedIDs returns the advisories that apply to at least one agent now.
func (s *Service) exposedIDs(ctx context.Context) (map[string]bool, error) {
	c, counts, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for version := range counts {
		for _, h := range c.hits(version) {
			out[h.it.api.ID] = true
		}
	}
	return out, nil
}

// matching returns those of ids that apply to at least one agent.
func (s *Service) matching(ctx context.Context, ids []string) ([]tc.Advisory, error) {
	c, counts, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	x := c.expose(counts)
	var out []tc.Advisory
	for _, id := range ids {
		if it := c.byID[id]; it != nil && x.total[id] > 0 {
			out = append(out, x.apply(it))
		}
	}
	return out, nil
}

// snapshot returns the catalog and the fleet's agents by version string.
func (s *Service) snapshot(ctx context.Context) (*catalog, map[string]int, error) {
	c, err := s.catalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	counts, err := s.st.AgentVersionCounts(ctx)
	return c, counts, err
}

// ListOptions narrow List: All includes acknowledged and withdrawn
// advisories; Severity keeps those of at least that severity.
type ListOptions struct {
	All      bool
	Severity string
	tc.Page
}

// List returns advisories with the agents they apply to: those that apply
// to agents first, then by severity (highest first), newest first, by ID.
// By default acknowledged and withdrawn advisories are left out.
func (s *Service) List(ctx context.Context, o ListOptions) (tc.List[tc.Advisory], error) {
	out := tc.List[tc.Advisory]{Items: []tc.Advisory{}, Limit: o.Limit, Offset: o.Offset}
	if o.Severity != "" && !tc.ValidSeverity(o.Severity) {
		return out, tc.Errorf(tc.EInvalid, "unknown severity %q: use one of %s", o.Severity, strings.Join(tc.Severities, ", ")).With("field", "severity")
	}
	c, counts, err := s.snapshot(ctx)
	if err != nil {
		return out, err
	}
	x := c.expose(counts)
	var all []tc.Advisory
	for _, it := range c.items {
		if !o.All && (it.acked || it.withdrawn) {
			continue
		}
		if o.Severity != "" && it.rank < tc.SeverityRank(o.Severity) {
			continue
		}
		all = append(all, x.apply(it))
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if (a.AgentsAffected > 0) != (b.AgentsAffected > 0) {
			return a.AgentsAffected > 0
		}
		if ra, rb := tc.SeverityRank(a.Severity), tc.SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if pa, pb := a.Published, b.Published; pa != nil && pb != nil && !pa.Equal(*pb) {
			return pa.After(*pb)
		} else if (pa == nil) != (pb == nil) {
			return pa != nil
		}
		return a.ID < b.ID
	})
	out.Total = len(all)
	if o.Offset < len(all) {
		end := min(o.Offset+o.Limit, len(all))
		out.Items = all[o.Offset:end]
	}
	return out, nil
}

// Get returns one advisory with the agent versions it affects; ENotFound
// if there is no such advisory.
func (s *Service) Get(ctx context.Context, id string) (tc.Advisory, error) {
	c, counts, err := s.snapshot(ctx)
	if err != nil {
		return tc.Advisory{}, err
	}
	it := c.byID[id]
	if it == nil {
		return tc.Advisory{}, tc.Errorf(tc.ENotFound, "advisory %q not found: tcctl advisory list --all shows the imported ones", id)
	}
	return c.expose(counts).apply(it), nil
}

// Acknowledge records that by accepted the advisory (note says why; 1 to
// tc.AckNoteMax characters): it leaves the default views, agents' lists of
// advisories, the exposure filters and metrics. Acknowledging again
// replaces the note.
func (s *Service) Acknowledge(ctx context.Context, id, by, note string) (tc.Advisory, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return tc.Advisory{}, tc.Errorf(tc.EInvalid, "note is required: say why this advisory needs no action (e.g. \"inputs.example is not used\")").With("field", "note")
	case len([]rune(note)) > tc.AckNoteMax:
		return tc.Advisory{}, tc.Errorf(tc.EInvalid, "note is longer than %d characters", tc.AckNoteMax).With("field", "note")
	case strings.ContainsFunc(note, unicode.IsControl):
		return tc.Advisory{}, tc.Errorf(tc.EInvalid, "note must be one line without control characters").With("field", "note")
	}
	at := s.now().UnixMilli()
	return s.setAck(ctx, id, &at, by, note)
}

// Unacknowledge withdraws an acknowledgement (none is not an error).
func (s *Service) Unacknowledge(ctx context.Context, id string) (tc.Advisory, error) {
	return s.setAck(ctx, id, nil, "", "")
}

func (s *Service) setAck(ctx context.Context, id string, at *int64, by, note string) (tc.Advisory, error) {
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetAdvisoryAck(ctx, id, at, by, note); err != nil {
			return err
		}
		return tx.PublishChange(ctx, store.TopicAdvisories)
	})
	if err != nil {
		return tc.Advisory{}, err
	}
	s.DropCache()
	return s.Get(ctx, id)
}

// ExposedVersions implements agents.Exposure.
func (s *Service) ExposedVersions(ctx context.Context, advisory, minSeverity string) ([]string, error) {
	c, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	if advisory != "" && c.byID[advisory] == nil {
		return nil, tc.Errorf(tc.ENotFound, "advisory %q not found", advisory)
	}
	counts, err := s.st.AgentVersionCounts(ctx)
	if err != nil {
		return nil, err
	}
	min := tc.SeverityRank(minSeverity)
	out := []string{}
	for version := range counts {
		for _, h := range c.hits(version) {
			if advisory != "" && h.it.api.ID == advisory || advisory == "" && !h.it.acked && h.it.rank >= min {
				out = append(out, version)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// AgentAdvisories implements agents.Exposure.
func (s *Service) AgentAdvisories(ctx context.Context, versions []string) (map[string][]tc.AgentAdvisory, error) {
	c, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]tc.AgentAdvisory, len(versions))
	for _, v := range versions {
		var l []tc.AgentAdvisory
		for _, h := range c.hits(v) {
			if h.it.acked {
				continue
			}
			l = append(l, tc.AgentAdvisory{ID: h.it.api.ID, Severity: h.it.api.Severity, Summary: h.it.api.Summary, Fixed: h.fixed})
		}
		if l != nil {
			out[v] = l
		}
	}
	return out, nil
}

// ExposedBySeverity counts the agents to which an unacknowledged advisory
// applies, each under the highest severity among them (the metric
// tcd_agents_exposed{severity}).
func (s *Service) ExposedBySeverity(ctx context.Context) (map[string]int, error) {
	c, counts, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return c.expose(counts).bySeverity, nil
}
