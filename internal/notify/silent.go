package notify

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// not_reporting rules are evaluated over the silent fleet aggregated in
// SQL: one statement per evaluation counts the agents silent past each of
// the rules' minimum durations by the set of labels (and matching configs)
// the rules select or group by, encoded as a bit mask, with the earliest
// start. Rules then count groups from those few rows; the agents a
// notification names are read only when a group sends (silentItems).
//
// A large outage keeps the same agents silent tick after tick, and reading
// their labels was most of the cost (docs/performance.md, "Notifications"),
// so the leader keeps the last evaluation's aggregates in memory
// (silentCache) and the next statement reads labels only for the agents
// that crossed a threshold since then. Whether the rest is unchanged is
// decided exactly, in the same statement: every agent that is silent now
// with its current last heartbeat already silent at the previous
// evaluation was silent then (last_seen_ms only grows), so if as many of
// them are counted as the previous evaluation counted in all, with the
// same sum of last heartbeats, none left (reported again, was deleted) and
// none changed. What the statement cannot see starts from scratch: labels
// or reporting rules assigned to agents (fleet_changes, read just before
// the data, moved), reporting rules edited, labels renamed, rules changed
// (the cache key), silentFullEvery passed, a new leader, a restart (the
// cache is never the only copy: the groups are durable in notify_groups).

// silentFullEvery bounds how long the cache is carried forward.
const silentFullEvery = 10 * time.Minute

// silentAllMasksMax is how many silent agents the scheduler's tick reads
// every mask of (SilentSpec). Masks come from the row the scan reads
// (agents.label_set), so this bounds little more than the rows returned;
// with a label ID holding a comma they are primary-key look-ups in
// agent_labels, about 10 ms on SQLite and 80 ms on PostgreSQL.
const silentAllMasksMax = 10000

// maxSilentBits bounds the labels and config scopes a mask encodes; more
// and not_reporting rules read their agents row by row (loadFleet).
const maxSilentBits = 62

// silentAgg is the agents with one mask in one silent set.
type silentAgg struct {
	n, startMs int64
}

// silentSet is the agents silent past one minimum duration.
type silentSet struct {
	n, sumSeen int64
	byMask     map[int64]*silentAgg
}

// silentCache is the silent fleet at one evaluation.
type silentCache struct {
	key     string
	nowMs   int64
	version int64             // fleet_changes read before the data
	spec    *store.SilentSpec // ForS ascending; the label of each mask bit, then config scopes
	all     *store.SilentSpec // spec with AllMasks
	cfgBit  map[string]int64  // rule ID → the bit of its config scope
	sets    []silentSet       // by index into spec.ForS
}

// set returns the silent set of a rule's minimum duration.
func (c *silentCache) set(forS int64) *silentSet {
	i := sort.Search(len(c.spec.ForS), func(i int) bool { return c.spec.ForS[i] >= forS })
	return &c.sets[i]
}

// labelsOf decodes a mask into label IDs.
func (c *silentCache) labelsOf(mask int64) []string {
	var out []string
	for m := uint64(mask); m != 0; m &= m - 1 {
		if i := bits.TrailingZeros64(m); i < len(c.spec.Labels) {
			out = append(out, c.spec.Labels[i])
		}
	}
	return out
}

// Tick is what the scheduler's tick aggregated for the evaluation after
// it: the silent fleet as Spec (what SilentSpec returned) asked, at the
// evaluation's time against PrevMs. Rows is nil when the tick did not
// aggregate.
type Tick struct {
	Spec    *store.SilentSpec
	PrevMs  int64
	Rows    []store.SilentRow
	Version int64 // fleet_changes read before Rows (store.TickResult.SilentVersion)
}

// SilentSpec returns what the scheduler's next tick should aggregate for
// the next evaluation: the last evaluation's silent spec (nil before one).
//
// While few agents are silent the tick reads all their masks and its rows
// are the whole answer; once more than silentAllMasksMax are (a large
// outage), it reads only the masks of agents whose bucket grew and the
// evaluation carries the rest over.
func (s *Service) SilentSpec() *store.SilentSpec {
	c := s.silent.Load()
	switch {
	case c == nil:
		return nil
	case c.sets[0].n <= int64(s.silentAllMasksMax):
		return c.all
	}
	return c.spec
}

// observeSilent aggregates the silent fleet for the not_reporting rules
// among rules (e.silent), from tick's rows when they fit the cache, else
// with its own statement; it leaves e.silent nil when the rules need more
// mask bits than maxSilentBits (loadFleet then reads the agents).
func (s *Service) observeSilent(ctx context.Context, e *evalCtx, rules []ruleRow, tick *Tick) error {
	fset := map[int64]bool{}
	relevant := map[string]bool{}
	var cfgRules []*ruleRow
	for i := range rules {
		r := &rules[i]
		if r.Event != tc.EventAgentNotReporting {
			continue
		}
		fset[r.ForS] = true
		switch r.Scope {
		case tc.ScopeAgents:
			sel, err := ParseSelector(r.Selector)
			if err != nil {
				return err
			}
			if m, ok := sel.resolve(e.labels); ok {
				for _, lm := range m {
					for _, id := range lm.ids {
						relevant[id] = true
					}
				}
			}
		case tc.ScopeConfigs:
			cfgRules = append(cfgRules, r)
		}
		for id := range groupLabels(r.GroupBy, e.labels) {
			relevant[id] = true
		}
	}
	if len(fset) == 0 || s.rowsOnly {
		s.silent.Store(nil)
		return nil
	}
	spec := &store.SilentSpec{}
	c := &silentCache{spec: spec, cfgBit: map[string]int64{}, nowMs: e.nowMs}
	for f := range fset {
		spec.ForS = append(spec.ForS, f)
	}
	sort.Slice(spec.ForS, func(i, j int) bool { return spec.ForS[i] < spec.ForS[j] })
	for id := range relevant {
		spec.Labels = append(spec.Labels, id)
	}
	sort.Strings(spec.Labels)
	// Config scopes: one bit per rule, set when the agent runs one of the
	// configs (or groups) whose labels match.
	for _, r := range cfgRules {
		scope, err := s.scopeOf(ctx, e, r)
		if err != nil {
			return err
		}
		if scope.none {
			continue
		}
		c.cfgBit[r.ID] = 1 << (len(spec.Labels) + len(spec.ConfigScopes))
		spec.ConfigScopes = append(spec.ConfigScopes, scope.configs)
	}
	if len(spec.Labels)+len(spec.ConfigScopes) > maxSilentBits {
		s.silent.Store(nil)
		return nil
	}
	var rr []struct {
		ID                string
		NotReportingAfter int64
	}
	if err := s.st.Gorm(ctx).Raw("SELECT id, not_reporting_after FROM reporting_rules ORDER BY id").Scan(&rr).Error; err != nil {
		return err
	}
	var key strings.Builder
	fmt.Fprintf(&key, "%v|%v|%v|", spec.ForS, spec.ConfigScopes, rr)
	for _, id := range spec.Labels {
		fmt.Fprintf(&key, "%q=%q,", id, e.labels[id])
	}
	c.key = key.String()
	last := s.silent.Load()
	same := last != nil && last.key == c.key
	if same {
		c.spec, c.all, c.cfgBit = last.spec, last.all, last.cfgBit // equal (the key says so); the scheduler compares the pointers
	} else {
		all := *spec
		all.AllMasks = true
		c.all = &all
	}
	prev := last
	if !same || prev.nowMs >= e.nowMs || e.nowMs-prev.nowMs > silentFullEvery.Milliseconds() {
		prev = nil
	}
	var rows []store.SilentRow
	var err error
	tickRows := tick != nil && tick.Rows != nil
	switch {
	case same && tickRows && tick.Spec == last.all:
		rows, c.version, prev = tick.Rows, tick.Version, nil // the whole silent fleet
		s.silentStats.tickAll++
	case prev != nil && tickRows && tick.Spec == prev.spec && tick.PrevMs == prev.nowMs:
		rows, c.version = tick.Rows, tick.Version
		s.silentStats.tickCarried++
	case prev != nil:
		if rows, c.version, err = s.st.SilentFleet(ctx, c.spec, prev.nowMs, e.nowMs); err != nil {
			return err
		}
		s.silentStats.carried++
	}
	// Carried over only if no label or reporting rule was assigned since
	// the previous data were read, and the counts say none left.
	if prev != nil && (c.version != prev.version || !prev.carries(rows)) {
		prev, rows = nil, nil
		s.silentStats.carriedNot++
	}
	if rows == nil {
		if rows, c.version, err = s.st.SilentFleet(ctx, c.all, 0, e.nowMs); err != nil {
			return err
		}
		s.silentStats.full++
	}
	c.sets = make([]silentSet, len(c.spec.ForS))
	for j := range c.sets {
		set := &c.sets[j]
		set.byMask = map[int64]*silentAgg{}
		if prev != nil {
			old := &prev.sets[j]
			set.n, set.sumSeen = old.n, old.sumSeen
			for m, a := range old.byMask {
				cp := *a
				set.byMask[m] = &cp
			}
		}
		for _, row := range rows {
			// Bucket b means silent past ForS[b-1]: in set j when b > j;
			// already counted (prev) when it was so at prev's time.
			if row.BNow <= int64(j) || (prev != nil && row.BPrev > int64(j)) {
				continue
			}
			set.n += row.N
			set.sumSeen += row.SumSeen
			a := set.byMask[row.Mask]
			if a == nil {
				a = &silentAgg{startMs: row.MinStart}
				set.byMask[row.Mask] = a
			}
			a.n += row.N
			a.startMs = min(a.startMs, row.MinStart)
		}
	}
	s.silent.Store(c)
	e.silent = c
	return nil
}

// carries reports whether the cache still holds every agent it held, in
// each silent set (see the comment at the top of this file).
func (c *silentCache) carries(rows []store.SilentRow) bool {
	for j := range c.sets {
		var n, sum int64
		for _, row := range rows {
			if row.BPrev > int64(j) {
				n += row.N
				sum += row.SumSeen
			}
		}
		if n != c.sets[j].n || sum != c.sets[j].sumSeen {
			return false
		}
	}
	return true
}

// observeSilentRule counts a not_reporting rule's groups from the silent
// aggregates; the groups' agents are read when they send (silentItems).
func (s *Service) observeSilentRule(ctx context.Context, e *evalCtx, r *ruleRow) (map[string]*observed, error) {
	scope, err := s.scopeOf(ctx, e, r)
	if err != nil {
		return nil, err
	}
	g := newGrouper(r.GroupBy, e.labels)
	set := e.silent.set(r.ForS)
	masks := make([]int64, 0, len(set.byMask))
	for m := range set.byMask {
		masks = append(masks, m)
	}
	sort.Slice(masks, func(i, j int) bool { return masks[i] < masks[j] })
	for _, m := range masks {
		a := set.byMask[m]
		c := &candidate{labels: e.silent.labelsOf(m)}
		switch {
		case scope.none:
			continue
		case scope.configs != nil:
			if m&e.silent.cfgBit[r.ID] == 0 {
				continue
			}
		case !scope.match(c):
			continue
		}
		g.addN(c, a.n, a.startMs)
	}
	for _, o := range g.groups {
		o.lazy = true
	}
	return g.groups, nil
}

// silentItems reads the first MaxItems agents by ID of one group of a
// not_reporting rule.
func (s *Service) silentItems(ctx context.Context, e *evalCtx, r *ruleRow, value string, n int64) ([]tc.NotifyItem, error) {
	scope, err := s.scopeOf(ctx, e, r)
	if err != nil || scope.none {
		return nil, err
	}
	// The label conditions go inside a CASE on the silence, which needs the
	// reporting rule: SQLite would otherwise test them on every agent
	// before joining it.
	var where []string
	args := []any{e.nowMs, r.ForS}
	for _, m := range scope.labels {
		not := ""
		if !m.positive {
			not = "NOT "
		}
		where = append(where, not+"EXISTS (SELECT 1 FROM agent_labels x WHERE x.agent_id = a.id AND x.label_id IN ?)")
		args = append(args, m.ids)
	}
	if scope.configs != nil {
		var or []string
		for _, f := range scope.configs {
			or = append(or, instrSQL[s.st.Dialect()]+"(a.configurations, ?) > 0")
			args = append(args, f)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if r.GroupBy != "" {
		var all, these []string
		for id, v := range groupLabels(r.GroupBy, e.labels) {
			all = append(all, id)
			if v == value {
				these = append(these, id)
			}
		}
		switch {
		case value != "":
			where = append(where, "EXISTS (SELECT 1 FROM agent_labels y WHERE y.agent_id = a.id AND y.label_id IN ?)")
			args = append(args, these)
		case len(all) > 0:
			where = append(where, "NOT EXISTS (SELECT 1 FROM agent_labels y WHERE y.agent_id = a.id AND y.label_id IN ?)")
			args = append(args, all)
		}
	}
	// A large group is found at once walking the primary key in order; a
	// small one by a scan that keeps the first few (walking the key would
	// visit most of the fleet). IDs are ordered by their bytes, as Go
	// orders them: on PostgreSQL the key is in that order only under a
	// bytewise collation; "C" orders so and takes the scan.
	order := "a.id"
	switch {
	case n < silentWalkMin && s.st.Dialect() == store.Postgres:
		order = `a.id COLLATE "C"`
	case n < silentWalkMin:
		order = "+a.id"
	case s.st.Dialect() == store.Postgres:
		bytewise, err := s.bytewiseCollation(ctx)
		if err != nil {
			return nil, err
		}
		if !bytewise {
			order = `a.id COLLATE "C"`
		}
	}
	cond := "a.last_seen_ms < ? - (rr.not_reporting_after + ?) * 1000"
	if len(where) > 0 {
		cond = "CASE WHEN " + cond + " THEN " + strings.Join(where, " AND ") + " ELSE FALSE END"
	}
	var rows []struct{ ID, Hostname string }
	if err := s.st.Gorm(ctx).Raw(`SELECT a.id, a.hostname FROM agents a JOIN reporting_rules rr ON rr.id = a.reporting_rule_id
		WHERE `+cond+` ORDER BY `+order+` LIMIT ?`, append(args, MaxItems)...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	items := make([]tc.NotifyItem, 0, len(rows))
	for _, row := range rows {
		items = append(items, tc.NotifyItem{ID: row.ID, Name: row.Hostname})
	}
	return items, nil
}

// silentWalkMin is the group size from which silentItems walks the primary
// key on SQLite.
var silentWalkMin int64 = 5000

// instrSQL is the substring-position function of each engine.
var instrSQL = map[string]string{store.SQLite: "instr", store.Postgres: "strpos"}

// bytewiseCollation reports whether PostgreSQL's database collation orders
// text as its UTF-8 bytes.
func (s *Service) bytewiseCollation(ctx context.Context) (bool, error) {
	s.collMu.Lock()
	defer s.collMu.Unlock()
	if s.collation == "" {
		if err := s.st.Gorm(ctx).Raw("SELECT datcollate FROM pg_database WHERE datname = current_database()").Scan(&s.collation).Error; err != nil {
			return false, err
		}
	}
	switch strings.ToLower(strings.ReplaceAll(s.collation, "-", "")) {
	case "c", "posix", "c.utf8":
		return true, nil
	}
	return false, nil
}
