package notify

import (
	"context"
	"sort"
	"strings"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Agent rules are evaluated over one read of the fleet per evaluation: a
// single set-based statement selects the agents any enabled rule could
// count (the union of their conditions: silent past the shortest
// threshold, reporting fail or warn, running an unmanaged configuration,
// first seen recently), with the labels rules select or group by. Each
// rule then filters that set in memory. In the steady state the set is a
// small part of the fleet, so the cost is one scan of the agents table
// whatever the number of rules (docs/performance.md, "Notifications").

// candidate is one agent some rule could count.
type candidate struct {
	id, hostname  string
	lastSeen      int64
	created       int64
	nra           int64 // its reporting rule's not_reporting_after (s)
	status        string
	unmanaged     bool
	configuration string   // only when a rule is scoped to configs
	labels        []string // the label IDs rules select or group by
}

// fleet is the candidates of one evaluation.
type fleet struct {
	agents []*candidate
}

// loadFleet reads the candidates of the agent rules among rules.
func (s *Service) loadFleet(ctx context.Context, e *evalCtx, rules []ruleRow) (*fleet, error) {
	f := &fleet{}
	var preds []string
	var args []any
	minFor, statuses, unmanaged, configs := int64(-1), []string{}, false, false
	minCreated := int64(-1)
	relevant := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		if !strings.HasPrefix(r.Event, "agent.") {
			continue
		}
		switch r.Event {
		case tc.EventAgentNotReporting:
			if e.silent != nil {
				continue // aggregated in SQL (silent.go)
			}
			if minFor < 0 || r.ForS < minFor {
				minFor = r.ForS
			}
		case tc.EventAgentFail:
			statuses = append(statuses, tc.StatusFail)
		case tc.EventAgentWarn:
			statuses = append(statuses, tc.StatusWarn)
		case tc.EventAgentUnmanagedConfig:
			unmanaged = true
		case tc.EventAgentNew:
			from := newAgentsFrom(r)
			if minCreated < 0 || from < minCreated {
				minCreated = from
			}
		}
		configs = configs || r.Scope == tc.ScopeConfigs
		if r.Scope == tc.ScopeAgents {
			sel, err := ParseSelector(r.Selector)
			if err != nil {
				return nil, err
			}
			if m, ok := sel.resolve(e.labels); ok {
				for _, lm := range m {
					for _, id := range lm.ids {
						relevant[id] = true
					}
				}
			}
		}
		for id := range groupLabels(r.GroupBy, e.labels) {
			relevant[id] = true
		}
	}
	if minFor >= 0 {
		preds = append(preds, "a.last_seen_ms < ? - (rr.not_reporting_after + ?) * 1000")
		args = append(args, e.nowMs, minFor)
	}
	// Each of the other conditions is found through its own index
	// (migration 43): the partial ones match only with these literal
	// predicates, and each rule checks its own condition in memory.
	var ids []string
	if len(statuses) > 0 {
		ids = append(ids, "SELECT id FROM agents WHERE reported_status IN ('fail', 'warn')")
	}
	unmanagedExpr := unmanagedSQL[s.st.Dialect()]
	if unmanaged {
		ids = append(ids, "SELECT id FROM agents a WHERE "+unmanagedExpr)
	}
	if minCreated >= 0 {
		ids = append(ids, "SELECT id FROM agents WHERE created_ms >= ?")
		args = append(args, minCreated)
	}
	var candidates []string
	if len(ids) > 0 && len(preds) == 0 {
		// The candidates first, then their rows by primary key: in one
		// statement PostgreSQL guesses these conditions match a third of
		// the fleet and plans for that.
		if err := s.st.Gorm(ctx).Raw(strings.Join(ids, " UNION "), args...).Scan(&candidates).Error; err != nil {
			return nil, err
		}
		if len(candidates) == 0 {
			return f, nil
		}
		args = nil
	} else if len(ids) > 0 {
		preds = append(preds, "a.id IN ("+strings.Join(ids, " UNION ")+")")
	}
	if len(preds) == 0 && candidates == nil {
		return f, nil
	}
	cols := "a.id, a.hostname, a.last_seen_ms, a.created_ms, a.reported_status, rr.not_reporting_after AS nra"
	if unmanaged {
		cols += ", CASE WHEN " + unmanagedExpr + " THEN 1 ELSE 0 END AS unmanaged"
	} else {
		cols += ", 0 AS unmanaged"
	}
	if configs {
		cols += ", a.configurations"
	} else {
		cols += ", '' AS configurations"
	}
	from := "agents a JOIN reporting_rules rr ON rr.id = a.reporting_rule_id"
	// The labels rules select or group by come in the same statement: a
	// primary-key look-up per candidate, one row per candidate and label.
	var joinArgs []any
	if len(relevant) > 0 {
		labelIDs := make([]string, 0, len(relevant))
		for id := range relevant {
			labelIDs = append(labelIDs, id)
		}
		sort.Strings(labelIDs)
		from += " LEFT JOIN agent_labels g ON g.agent_id = a.id AND g.label_id IN ?"
		joinArgs = append(joinArgs, labelIDs)
		cols += ", COALESCE(g.label_id, '') AS label_id"
	} else {
		cols += ", '' AS label_id"
	}
	byID := map[string]*candidate{}
	read := func(where string, args []any) error {
		rows, err := s.st.Gorm(ctx).Raw("SELECT "+cols+" FROM "+from+" WHERE "+where, append(joinArgs, args...)...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		return f.scan(rows, byID)
	}
	if candidates == nil {
		return f, read("("+strings.Join(preds, " OR ")+")", args)
	}
	sort.Strings(candidates)
	for i := 0; i < len(candidates); i += 500 {
		if err := read("a.id IN ?", []any{candidates[i:min(i+500, len(candidates))]}); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// scan adds rows of candidates (one per candidate and label) to f.
func (f *fleet) scan(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, byID map[string]*candidate) error {
	for rows.Next() {
		c := &candidate{}
		var um int
		var label string
		if err := rows.Scan(&c.id, &c.hostname, &c.lastSeen, &c.created, &c.status, &c.nra, &um, &c.configuration, &label); err != nil {
			return err
		}
		if have := byID[c.id]; have != nil {
			c = have // another label of the same agent
		} else {
			c.unmanaged = um == 1
			f.agents = append(f.agents, c)
			byID[c.id] = c
		}
		if label != "" {
			c.labels = append(c.labels, label)
		}
	}
	return rows.Err()
}

// unmanagedSQL is true for an agent that reported a configuration tcd does
// not serve: a plain substring search (LIKE would compare case-insensitively
// on SQLite, character by character).
var unmanagedSQL = map[string]string{
	store.SQLite:   `instr(a.configurations, '"managed":false') > 0`,
	store.Postgres: `strpos(a.configurations, '"managed":false') > 0`,
}

// newAgentsFrom is the first creation time a new-agent rule looks at.
func newAgentsFrom(r *ruleRow) int64 {
	return max(r.EvaluatedMs-NewAgentOverlap.Milliseconds(), r.CreatedAt.UnixMilli())
}

// scopeFilter is a rule's scope over candidates.
type scopeFilter struct {
	none    bool
	labels  []labelMatch
	configs []string // JSON fragments of matching configs and groups
	all     bool
}

func (s *Service) scopeOf(ctx context.Context, e *evalCtx, r *ruleRow) (scopeFilter, error) {
	if r.Scope == tc.ScopeAll {
		return scopeFilter{all: true}, nil
	}
	sel, err := ParseSelector(r.Selector)
	if err != nil {
		return scopeFilter{}, err
	}
	matches, ok := sel.resolve(e.labels)
	if !ok {
		return scopeFilter{none: true}, nil
	}
	if r.Scope == tc.ScopeAgents {
		return scopeFilter{labels: matches}, nil
	}
	frags, err := s.matchingConfigs(ctx, matches)
	return scopeFilter{configs: frags, none: len(frags) == 0}, err
}

func (f scopeFilter) match(c *candidate) bool {
	switch {
	case f.none:
		return false
	case f.all:
		return true
	case f.configs != nil:
		for _, frag := range f.configs {
			if strings.Contains(c.configuration, frag) {
				return true
			}
		}
		return false
	}
	for _, m := range f.labels {
		has := false
		for _, id := range c.labels {
			for _, want := range m.ids {
				has = has || id == want
			}
		}
		if has != m.positive {
			return false
		}
	}
	return true
}

// matchingConfigs returns the JSON fragments ("configId":"…" and
// "groupId":"…") of the configs and config groups whose labels match.
func (s *Service) matchingConfigs(ctx context.Context, matches []labelMatch) ([]string, error) {
	out := []string{}
	for _, t := range []struct{ table, links, col, key string }{
		{"configs", "config_labels", "config_id", "configId"}, {"config_groups", "config_group_labels", "group_id", "groupId"}} {
		where, args := []string{"1 = 1"}, []any{}
		for _, m := range matches {
			not := ""
			if !m.positive {
				not = "NOT "
			}
			where = append(where, not+"EXISTS (SELECT 1 FROM "+t.links+" x WHERE x."+t.col+" = c.id AND x.label_id IN ?)")
			args = append(args, m.ids)
		}
		var ids []string
		if err := s.st.Gorm(ctx).Raw("SELECT c.id FROM "+t.table+" c WHERE "+strings.Join(where, " AND "), args...).Scan(&ids).Error; err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, `"`+t.key+`":"`+id+`"`)
		}
	}
	return out, nil
}

// grouper counts candidates per value of a rule's group label, keeping
// the earliest start and the first MaxItems agents by ID.
type grouper struct {
	gl     map[string]string // label ID → value
	groups map[string]*observed
}

func newGrouper(key string, labels map[string]string) *grouper {
	return &grouper{gl: groupLabels(key, labels), groups: map[string]*observed{}}
}

func (g *grouper) add(c *candidate, startMs int64) {
	placed := false
	for _, id := range c.labels {
		if v, ok := g.gl[id]; ok {
			g.put(v, c, startMs)
			placed = true
		}
	}
	if !placed {
		g.put("", c, startMs)
	}
}

// addN adds n agents that carry c's labels, without naming them.
func (g *grouper) addN(c *candidate, n, startMs int64) {
	placed := false
	for _, id := range c.labels {
		if v, ok := g.gl[id]; ok {
			g.putN(v, n, startMs)
			placed = true
		}
	}
	if !placed {
		g.putN("", n, startMs)
	}
}

func (g *grouper) putN(v string, n, startMs int64) {
	o := g.groups[v]
	if o == nil {
		o = &observed{startMs: startMs}
		g.groups[v] = o
	}
	o.n += n
	if startMs > 0 && (o.startMs <= 0 || startMs < o.startMs) {
		o.startMs = startMs
	}
}

func (g *grouper) put(v string, c *candidate, startMs int64) {
	o := g.groups[v]
	if o == nil {
		o = &observed{startMs: startMs}
		g.groups[v] = o
	}
	o.n++
	if startMs > 0 && (o.startMs <= 0 || startMs < o.startMs) {
		o.startMs = startMs
	}
	// Keep the MaxItems smallest IDs, sorted.
	i := sort.Search(len(o.items), func(i int) bool { return o.items[i].ID > c.id })
	if i >= MaxItems {
		return
	}
	o.items = append(o.items, tc.NotifyItem{})
	copy(o.items[i+1:], o.items[i:])
	o.items[i] = tc.NotifyItem{ID: c.id, Name: c.hostname}
	if len(o.items) > MaxItems {
		o.items = o.items[:MaxItems]
	}
}

// members reads the agents a rule keeps in notify_members, with since when.
func (s *Service) members(ctx context.Context, ruleID string) (map[string]int64, error) {
	var rows []struct {
		AgentID string
		SinceMs int64
	}
	err := s.st.Gorm(ctx).Raw("SELECT agent_id, since_ms FROM notify_members WHERE rule_id = ?", ruleID).Scan(&rows).Error
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.AgentID] = r.SinceMs
	}
	return out, err
}

// observeCondition counts a condition rule's agents per group.
func (s *Service) observeCondition(ctx context.Context, e *evalCtx, r *ruleRow) (map[string]*observed, error) {
	if r.Event == tc.EventAgentNotReporting && e.silent != nil {
		return s.observeSilentRule(ctx, e, r)
	}
	scope, err := s.scopeOf(ctx, e, r)
	if err != nil {
		return nil, err
	}
	g := newGrouper(r.GroupBy, e.labels)
	var inCond []*candidate
	for _, c := range e.fleet.agents {
		var ok bool
		switch r.Event {
		case tc.EventAgentNotReporting:
			ok = c.lastSeen < e.nowMs-(c.nra+r.ForS)*1000
		case tc.EventAgentFail, tc.EventAgentWarn:
			want := tc.StatusFail
			if r.Event == tc.EventAgentWarn {
				want = tc.StatusWarn
			}
			ok = c.status == want && c.lastSeen >= e.nowMs-c.nra*1000
		case tc.EventAgentUnmanagedConfig:
			ok = c.unmanaged
		}
		if ok && scope.match(c) {
			inCond = append(inCond, c)
		}
	}
	if r.Event == tc.EventAgentNotReporting {
		for _, c := range inCond {
			g.add(c, c.lastSeen+c.nra*1000)
		}
		return g.groups, nil
	}
	if r.ForS == 0 {
		for _, c := range inCond {
			g.add(c, 0)
		}
		return g.groups, nil
	}
	// A minimum duration over a condition the agents table does not date:
	// notify_members keeps when each agent entered it.
	since, err := s.members(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	still := make(map[string]bool, len(inCond))
	for _, c := range inCond {
		still[c.id] = true
		at, known := since[c.id]
		if !known {
			e.newMembers = append(e.newMembers, newMember{ruleID: r.ID, agentID: c.id, sinceMs: e.nowMs})
			at = e.nowMs
		}
		if at <= e.nowMs-r.ForS*1000 {
			g.add(c, at)
		}
	}
	for id := range since {
		if !still[id] {
			e.delMembers[r.ID] = append(e.delMembers[r.ID], id)
		}
	}
	return g.groups, nil
}

// evalNewAgents counts agents first seen since the rule's last evaluation
// (looking NewAgentOverlap further back, skipping the agents it counted).
func (s *Service) evalNewAgents(ctx context.Context, e *evalCtx, r *ruleRow) error {
	scope, err := s.scopeOf(ctx, e, r)
	if err != nil {
		return err
	}
	counted, err := s.members(ctx, r.ID)
	if err != nil {
		return err
	}
	from := newAgentsFrom(r)
	g := newGrouper(r.GroupBy, e.labels)
	for _, c := range e.fleet.agents {
		if c.created < from || c.created > e.nowMs {
			continue
		}
		if _, seen := counted[c.id]; seen || !scope.match(c) {
			continue
		}
		g.add(c, c.created)
		e.newMembers = append(e.newMembers, newMember{ruleID: r.ID, agentID: c.id, sinceMs: c.created})
	}
	values := make([]string, 0, len(g.groups))
	for v := range g.groups {
		values = append(values, v)
	}
	sort.Strings(values)
	for _, v := range values {
		o := g.groups[v]
		e.accumulate(r, v, o.n, o.startMs, o.items)
	}
	e.pruneMembers = append(e.pruneMembers, newMember{ruleID: r.ID, sinceMs: from})
	e.flushOneOff(r)
	return nil
}
