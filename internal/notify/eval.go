package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// groupRow is a row of notify_groups: one group of one rule that is
// pending (inside its group window) or firing (notified, not yet resolved).
type groupRow struct {
	RuleID        string `gorm:"primaryKey"`
	GroupValue    string `gorm:"primaryKey"`
	State         string
	Count         int64
	Items         string // one-off kinds: JSON []tc.NotifyItem gathered in the window
	StartsMs      int64
	CreatedMs     int64
	NotifiedMs    int64
	NotifiedCount int64
	RefreshedMs   int64
	Payload       string // the last firing notification (Alertmanager refreshes)
}

func (groupRow) TableName() string { return "notify_groups" }

// Group states.
const (
	statePending = "pending"
	stateFiring  = "firing"
)

// Evaluation constants.
const (
	// MaxItems is how many objects a notification names.
	MaxItems = 10
	// AlertmanagerResend is how often a firing group is re-sent to
	// Alertmanager receivers; each alert's endsAt lies AlertmanagerEndsAfter
	// past its sending, so Alertmanager resolves it by itself if tcd stops.
	AlertmanagerResend    = time.Minute
	AlertmanagerEndsAfter = 5 * time.Minute
	// Retention is how long delivered or abandoned notifications and the
	// delivery log are kept.
	Retention     = 30 * 24 * time.Hour
	maxEventsTick = 10000
	pruneEvery    = 10 * time.Minute
)

// notifyLockKey makes evaluations exclusive across a cluster, whatever the
// leader election believes during a failover.
const notifyLockKey = 7_451_220_021

// observed is what one evaluation saw of one group.
type observed struct {
	n       int64
	startMs int64
	items   []tc.NotifyItem // the first MaxItems agents by ID
	lazy    bool            // items are read when the group sends (silentItems)
}

// decision is one notification the evaluation decided.
type decision struct {
	rule      *ruleRow
	group     string
	n         tc.Notification
	receivers []string // receiver IDs (refreshes: Alertmanager ones only)
	refresh   bool     // a firing group re-sent to Alertmanager
}

// EvalResult says what one evaluation did.
type EvalResult struct {
	Rules         int
	Notifications int
	Skipped       bool // another node's evaluation held the lock
}

// evalCtx is the state of one evaluation.
type evalCtx struct {
	now       time.Time
	nowMs     int64
	labels    map[string]string   // label ID → name
	receivers map[string][]string // rule ID → receiver IDs
	kinds     map[string]string   // receiver ID → kind
	groups    map[string]map[string]*groupRow
	newGroups map[*groupRow]bool
	delGroups []*groupRow
	decisions []decision
	// newMembers are agents (tokens) rules started counting; delMembers
	// those that left a rule's condition; pruneMembers say before when
	// each new-agent or token rule's can be forgotten.
	newMembers   []newMember
	delMembers   map[string][]string // rule ID → agent IDs
	pruneMembers []newMember
	fleet        *fleet
	silent       *silentCache // not_reporting aggregates (nil: read from fleet)
}

// Evaluate runs every enabled rule once at now: the agents scheduler calls
// it after each tick on the leader. Reads run outside any transaction; the
// decisions (group state, outbox rows, consumed events) are written in one
// short transaction, so a notification is either decided and durable or
// decided again by the next evaluation.
func (s *Service) Evaluate(ctx context.Context, now time.Time) (EvalResult, error) {
	return s.EvaluateTick(ctx, now, nil)
}

// EvaluateTick is Evaluate with what the scheduler's tick at now
// aggregated for it (nil: nothing).
func (s *Service) EvaluateTick(ctx context.Context, now time.Time, tick *Tick) (EvalResult, error) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	db := s.st.Gorm(ctx)
	e := &evalCtx{now: now, nowMs: now.UnixMilli(), groups: map[string]map[string]*groupRow{}, newGroups: map[*groupRow]bool{},
		delMembers: map[string][]string{}}
	var rules []ruleRow
	if err := db.Where("enabled").Order("name").Find(&rules).Error; err != nil {
		return EvalResult{}, err
	}
	var events []eventRow
	if err := db.Where("at_ms <= ?", e.nowMs).Order("at_ms, id").Limit(maxEventsTick).Find(&events).Error; err != nil {
		return EvalResult{}, err
	}
	res := EvalResult{Rules: len(rules)}
	var err error
	if len(rules) == 0 {
		s.silent.Store(nil)
		return res, s.consumeEvents(ctx, events)
	}
	if err := s.loadEvalState(ctx, e, rules); err != nil {
		return res, err
	}
	if err := s.observeSilent(ctx, e, rules, tick); err != nil {
		return res, err
	}
	if e.fleet, err = s.loadFleet(ctx, e, rules); err != nil {
		return res, err
	}
	var auditFound []auditFailure
	for i := range rules {
		if rules[i].Event == tc.EventAuditVerificationFailed {
			f, err := s.verifyAudit(ctx, now)
			if err != nil {
				s.log.Warn("verifying the audit chain failed; retrying at the next evaluation", "err", err)
			}
			auditFound = f
			break
		}
	}
	for i := range rules {
		r := &rules[i]
		var err error
		switch {
		case tc.ConditionEvent(r.Event):
			err = s.evalCondition(ctx, e, r)
		case r.Event == tc.EventAgentNew:
			err = s.evalNewAgents(ctx, e, r)
		case r.Event == tc.EventTokenExpiring:
			err = s.evalTokens(ctx, e, r)
		default:
			err = s.evalEvents(ctx, e, r, events, auditFound)
		}
		if err != nil {
			return res, fmt.Errorf("notification rule %s: %w", r.Name, err)
		}
	}
	skipped, err := s.commit(ctx, e, rules, events)
	if err != nil {
		return res, err
	}
	if skipped {
		res.Skipped = true
		return res, nil
	}
	for _, d := range e.decisions {
		res.Notifications += len(d.receivers)
	}
	if len(e.decisions) > 0 {
		s.Wake()
	}
	return res, nil
}

func (s *Service) loadEvalState(ctx context.Context, e *evalCtx, rules []ruleRow) error {
	db := s.st.Gorm(ctx)
	var labels []struct{ ID, Name string }
	if err := db.Raw("SELECT id, name FROM labels").Scan(&labels).Error; err != nil {
		return err
	}
	e.labels = make(map[string]string, len(labels))
	for _, l := range labels {
		e.labels[l.ID] = l.Name
	}
	ids := make([]string, len(rules))
	for i := range rules {
		ids[i] = rules[i].ID
	}
	var err error
	if e.receivers, err = ruleReceivers(ctx, db, ids); err != nil {
		return err
	}
	var kinds []struct{ ID, Kind string }
	if err := db.Raw("SELECT id, kind FROM notify_receivers").Scan(&kinds).Error; err != nil {
		return err
	}
	e.kinds = map[string]string{}
	for _, k := range kinds {
		e.kinds[k.ID] = k.Kind
	}
	var groups []groupRow
	if err := db.Where("rule_id IN ?", ids).Find(&groups).Error; err != nil {
		return err
	}
	for i := range groups {
		g := &groups[i]
		if e.groups[g.RuleID] == nil {
			e.groups[g.RuleID] = map[string]*groupRow{}
		}
		e.groups[g.RuleID][g.GroupValue] = g
	}
	return nil
}

func (e *evalCtx) group(ruleID, value string) (*groupRow, bool) {
	g := e.groups[ruleID][value]
	return g, g != nil
}

func (e *evalCtx) addGroup(g *groupRow) {
	if e.groups[g.RuleID] == nil {
		e.groups[g.RuleID] = map[string]*groupRow{}
	}
	e.groups[g.RuleID][g.GroupValue] = g
	e.newGroups[g] = true
}

// evalCondition applies one condition rule: groups appear (pending), fire
// after the group window, repeat, and resolve when they empty.
func (s *Service) evalCondition(ctx context.Context, e *evalCtx, r *ruleRow) error {
	obs, err := s.observeCondition(ctx, e, r)
	if err != nil {
		return err
	}
	values := make([]string, 0, len(obs))
	for v := range obs {
		values = append(values, v)
	}
	sort.Strings(values)
	for _, v := range values {
		o := obs[v]
		g, ok := e.group(r.ID, v)
		if !ok {
			start := o.startMs
			if start <= 0 || start > e.nowMs {
				start = e.nowMs
			}
			g = &groupRow{RuleID: r.ID, GroupValue: v, State: statePending, StartsMs: start, CreatedMs: e.nowMs, Items: "[]"}
			e.addGroup(g)
		}
		g.Count = o.n
		send := false
		switch g.State {
		case statePending:
			send = e.nowMs-g.CreatedMs >= r.GroupWindow*1000
		case stateFiring:
			changed := g.Count != g.NotifiedCount && e.nowMs-g.NotifiedMs >= r.GroupInterval*1000
			repeat := r.RepeatInterval > 0 && e.nowMs-g.NotifiedMs >= r.RepeatInterval*1000
			send = changed || repeat
		}
		if send {
			if o.lazy {
				if o.items, err = s.silentItems(ctx, e, r, v, o.n); err != nil {
					return err
				}
			}
			n := e.notification(r, v, tc.NotifyFiring, g.Count, o.items, g.StartsMs, nil)
			g.State, g.NotifiedMs, g.NotifiedCount, g.RefreshedMs = stateFiring, e.nowMs, g.Count, e.nowMs
			b, _ := json.Marshal(n)
			g.Payload = string(b)
			e.decide(r, v, n, e.receivers[r.ID])
		} else if g.State == stateFiring && e.nowMs-g.RefreshedMs >= AlertmanagerResend.Milliseconds() {
			e.refresh(r, g)
		}
	}
	for v, g := range e.groups[r.ID] {
		if _, ok := obs[v]; ok {
			continue
		}
		if g.State == stateFiring && r.SendResolved {
			var last tc.Notification
			_ = json.Unmarshal([]byte(g.Payload), &last)
			end := e.now.UTC()
			n := e.notification(r, v, tc.NotifyResolved, g.NotifiedCount, last.Items, g.StartsMs, &end)
			e.decide(r, v, n, e.receivers[r.ID])
		}
		e.delGroups = append(e.delGroups, g)
		delete(e.groups[r.ID], v)
	}
	return nil
}

// refresh re-sends a firing group to the rule's Alertmanager receivers.
func (e *evalCtx) refresh(r *ruleRow, g *groupRow) {
	var am []string
	for _, id := range e.receivers[r.ID] {
		if e.kinds[id] == tc.ReceiverAlertmanager {
			am = append(am, id)
		}
	}
	g.RefreshedMs = e.nowMs
	if len(am) == 0 || g.Payload == "" {
		return
	}
	var n tc.Notification
	if json.Unmarshal([]byte(g.Payload), &n) != nil {
		return
	}
	e.decisions = append(e.decisions, decision{rule: r, group: g.GroupValue, n: n, receivers: am, refresh: true})
}

func (e *evalCtx) decide(r *ruleRow, group string, n tc.Notification, receivers []string) {
	if len(receivers) == 0 {
		return
	}
	e.decisions = append(e.decisions, decision{rule: r, group: group, n: n, receivers: receivers})
}

func (e *evalCtx) notification(r *ruleRow, group, status string, count int64, items []tc.NotifyItem, startMs int64, end *time.Time) tc.Notification {
	if items == nil {
		items = []tc.NotifyItem{}
	}
	n := tc.Notification{Version: 1, ID: store.NewID(), Status: status, Event: r.Event, Rule: tc.NotifyRef{ID: r.ID, Name: r.Name},
		GroupBy: r.GroupBy, Group: group, Count: int(count), Items: items, StartsAt: time.UnixMilli(startMs).UTC(), EndsAt: end}
	n.Summary = Summary(n, r.ForS, r.Days)
	return n
}

// accumulate adds one-off events to a rule's group; the group fires once
// its window has passed and is then done (one-off events do not resolve).
func (e *evalCtx) accumulate(r *ruleRow, value string, n int64, startMs int64, items []tc.NotifyItem) {
	g, ok := e.group(r.ID, value)
	if !ok {
		g = &groupRow{RuleID: r.ID, GroupValue: value, State: statePending, StartsMs: startMs, CreatedMs: e.nowMs, Items: "[]"}
		e.addGroup(g)
	}
	var have []tc.NotifyItem
	_ = json.Unmarshal([]byte(g.Items), &have)
	for _, it := range items {
		if len(have) >= MaxItems {
			break
		}
		have = append(have, it)
	}
	b, _ := json.Marshal(have)
	g.Items, g.Count = string(b), g.Count+n
	if startMs > 0 && startMs < g.StartsMs {
		g.StartsMs = startMs
	}
}

// flushOneOff fires the rule's groups whose window has passed.
func (e *evalCtx) flushOneOff(r *ruleRow) {
	values := make([]string, 0, len(e.groups[r.ID]))
	for v := range e.groups[r.ID] {
		values = append(values, v)
	}
	sort.Strings(values)
	for _, v := range values {
		g := e.groups[r.ID][v]
		if e.nowMs-g.CreatedMs < r.GroupWindow*1000 {
			continue
		}
		var items []tc.NotifyItem
		_ = json.Unmarshal([]byte(g.Items), &items)
		if g.Count > 0 {
			e.decide(r, v, e.notification(r, v, tc.NotifyFiring, g.Count, items, g.StartsMs, nil), e.receivers[r.ID])
		}
		e.delGroups = append(e.delGroups, g)
		delete(e.groups[r.ID], v)
	}
}

// NewAgentOverlap is how far back each evaluation looks again for new
// agents. An agent's first-seen time is when its heartbeat arrived, which
// may commit a moment after an evaluation read past that time; agents
// already counted are remembered (notify_members) for this long, so none is
// missed and none counted twice.
const NewAgentOverlap = time.Minute

// newMember is an agent a new-agent rule counted.
type newMember struct {
	ruleID, agentID string
	sinceMs         int64
}

// evalTokens counts API tokens that entered the rule's warning window
// (expiry within Days) since its last evaluation. Like new agents, the
// tokens counted are remembered for NewAgentOverlap (notify_members holds
// token IDs for these rules), so a token created in the moment of an
// evaluation is counted once.
func (s *Service) evalTokens(ctx context.Context, e *evalCtx, r *ruleRow) error {
	from := max(r.EvaluatedMs-NewAgentOverlap.Milliseconds(), r.CreatedAt.UnixMilli())
	window := time.Duration(r.Days) * 24 * time.Hour
	var rows []struct {
		ID          string
		Description string
		CreatedAt   time.Time
		ExpiresAt   time.Time
	}
	if err := s.st.Gorm(ctx).Raw(`SELECT t.id, t.description, t.created_at, t.expires_at FROM api_tokens t
		WHERE t.revoked_at IS NULL AND t.expires_at IS NOT NULL AND t.expires_at > ? AND t.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM notify_members m WHERE m.rule_id = ? AND m.agent_id = t.id) ORDER BY t.expires_at, t.id`,
		e.now.UTC(), e.now.Add(window).UTC(), r.ID).Scan(&rows).Error; err != nil {
		return err
	}
	var items []tc.NotifyItem
	var n, first int64
	for _, t := range rows {
		entered := t.ExpiresAt.Add(-window)
		if t.CreatedAt.After(entered) {
			entered = t.CreatedAt
		}
		if ms := entered.UnixMilli(); ms >= from && ms <= e.nowMs {
			n++
			if first == 0 || ms < first {
				first = ms
			}
			if len(items) < MaxItems {
				items = append(items, tc.NotifyItem{ID: t.ID, Name: t.Description, Summary: "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)})
			}
			e.newMembers = append(e.newMembers, newMember{ruleID: r.ID, agentID: t.ID, sinceMs: ms})
		}
	}
	if n > 0 {
		e.accumulate(r, "", n, first, items)
	}
	e.pruneMembers = append(e.pruneMembers, newMember{ruleID: r.ID, sinceMs: from})
	e.flushOneOff(r)
	return nil
}

// evalEvents matches published events (and audit failures found here) to
// a rule of their kind.
func (s *Service) evalEvents(ctx context.Context, e *evalCtx, r *ruleRow, events []eventRow, audit []auditFailure) error {
	sel, err := ParseSelector(r.Selector)
	if err != nil {
		return err
	}
	for i := range events {
		ev := &events[i]
		if ev.Kind != r.Event {
			continue
		}
		value, ok, err := s.eventGroup(ctx, r, sel, ev)
		if err != nil {
			return err
		}
		if ok {
			e.accumulate(r, value, 1, ev.AtMs, []tc.NotifyItem{{ID: ev.SubjectID, Name: ev.SubjectName, Summary: ev.Summary}})
		}
	}
	if r.Event == tc.EventAuditVerificationFailed {
		for _, f := range audit {
			e.accumulate(r, "", 1, e.nowMs, []tc.NotifyItem{{ID: fmt.Sprint(f.seq), Name: f.action, Summary: f.why}})
		}
	}
	e.flushOneOff(r)
	return nil
}

// eventGroup decides whether a published event is in the rule's scope and
// which group it joins. An empty selector takes every event (with or
// without configs or agents); otherwise one of the event's configs (scope
// configs) or agents (scope agents) must match it. The group value comes
// from the first matching object's labels.
func (s *Service) eventGroup(ctx context.Context, r *ruleRow, sel Selector, ev *eventRow) (string, bool, error) {
	everything := r.Scope == tc.ScopeAll || len(sel) == 0
	if everything && r.GroupBy == "" {
		return "", true, nil
	}
	var ids []string
	links, col := "config_labels", "config_id"
	if r.Scope == tc.ScopeAgents {
		links, col = "agent_labels", "agent_id"
		_ = json.Unmarshal([]byte(ev.AgentIDs), &ids)
	} else {
		_ = json.Unmarshal([]byte(ev.ConfigIDs), &ids)
	}
	if len(ids) == 0 {
		return "", everything, nil
	}
	var rows []struct{ Owner, Name string }
	if err := s.st.Gorm(ctx).Raw("SELECT x."+col+" AS owner, l.name FROM "+links+" x JOIN labels l ON l.id = x.label_id WHERE x."+col+" IN ? ORDER BY x."+col+", l.name",
		ids).Scan(&rows).Error; err != nil {
		return "", false, err
	}
	byOwner := map[string][]string{}
	for _, row := range rows {
		byOwner[row.Owner] = append(byOwner[row.Owner], row.Name)
	}
	for _, id := range ids {
		names := byOwner[id]
		if !everything && !sel.Matches(names) {
			continue
		}
		for _, n := range names {
			if k, v := labelKV(n); k == r.GroupBy {
				return v, true, nil
			}
		}
		if !everything {
			return "", true, nil
		}
	}
	return "", everything, nil
}

// consumeEvents deletes events the evaluation has seen.
func (s *Service) consumeEvents(ctx context.Context, events []eventRow) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, len(events))
	for i := range events {
		ids[i] = events[i].ID
	}
	return s.st.Gorm(ctx).Exec("DELETE FROM notify_events WHERE id IN ?", ids).Error
}

// outboxRow is a row of notify_outbox: one notification for one receiver.
type outboxRow struct {
	ID             string `gorm:"primaryKey"`
	Seq            int64
	ReceiverID     string
	RuleID         string
	GroupValue     string
	Status         string
	Event          string
	Payload        string
	State          string
	CreatedMs      int64
	NextAttemptMs  int64
	ClaimedUntilMs int64
	Attempts       int
	LastError      string
	DoneMs         int64
}

func (outboxRow) TableName() string { return "notify_outbox" }

// statusRefresh marks an outbox row that re-sends a firing group to
// Alertmanager: once delivered it is deleted and not logged (a group firing
// for a month would otherwise log 43,200 of them per receiver).
const statusRefresh = "refresh"

// Outbox states.
const (
	outboxPending   = "pending"
	outboxDelivered = "delivered"
	outboxFailed    = "failed"
)

// commit writes one evaluation's decisions in one transaction.
func (s *Service) commit(ctx context.Context, e *evalCtx, rules []ruleRow, events []eventRow) (skipped bool, err error) {
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		if tx.Dialect() == store.Postgres {
			var got bool
			if err := db.Raw("SELECT pg_try_advisory_xact_lock("+store.AdvisoryKeySQL+")", notifyLockKey).Scan(&got).Error; err != nil {
				return err
			}
			if !got {
				skipped = true
				return nil
			}
		}
		for _, g := range e.delGroups {
			if e.newGroups[g] {
				continue
			}
			if err := db.Exec("DELETE FROM notify_groups WHERE rule_id = ? AND group_value = ?", g.RuleID, g.GroupValue).Error; err != nil {
				return err
			}
		}
		for _, byValue := range e.groups {
			for _, g := range byValue {
				if err := saveGroup(db, g, e.newGroups[g]); err != nil {
					return err
				}
			}
		}
		if err := s.insertOutbox(db, e); err != nil {
			return err
		}
		for ruleID, ids := range e.delMembers {
			for i := 0; i < len(ids); i += 500 {
				if err := db.Exec("DELETE FROM notify_members WHERE rule_id = ? AND agent_id IN ?", ruleID, ids[i:min(i+500, len(ids))]).Error; err != nil {
					return err
				}
			}
		}
		for _, m := range e.pruneMembers {
			if err := db.Exec("DELETE FROM notify_members WHERE rule_id = ? AND since_ms < ?", m.ruleID, m.sinceMs).Error; err != nil {
				return err
			}
		}
		for i := 0; i < len(e.newMembers); i += 500 {
			batch := e.newMembers[i:min(i+500, len(e.newMembers))]
			var sb strings.Builder
			args := make([]any, 0, 3*len(batch))
			for j, m := range batch {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?)")
				args = append(args, m.ruleID, m.agentID, m.sinceMs)
			}
			if err := db.Exec("INSERT INTO notify_members (rule_id, agent_id, since_ms) VALUES "+sb.String(), args...).Error; err != nil {
				return err
			}
		}
		for i := range rules {
			if !tc.ConditionEvent(rules[i].Event) && rules[i].EvaluatedMs < e.nowMs {
				if err := db.Exec("UPDATE notify_rules SET evaluated_ms = ? WHERE id = ? AND evaluated_ms < ?", e.nowMs, rules[i].ID, e.nowMs).Error; err != nil {
					return err
				}
			}
		}
		if len(events) > 0 {
			ids := make([]string, len(events))
			for i := range events {
				ids[i] = events[i].ID
			}
			if err := db.Exec("DELETE FROM notify_events WHERE id IN ?", ids).Error; err != nil {
				return err
			}
		}
		return s.prune(db, e.now)
	})
	return skipped, err
}

func saveGroup(db *gorm.DB, g *groupRow, isNew bool) error {
	if isNew {
		return db.Create(g).Error
	}
	return db.Exec(`UPDATE notify_groups SET state = ?, count = ?, items = ?, starts_ms = ?, notified_ms = ?, notified_count = ?,
		refreshed_ms = ?, payload = ? WHERE rule_id = ? AND group_value = ?`, g.State, g.Count, g.Items, g.StartsMs, g.NotifiedMs,
		g.NotifiedCount, g.RefreshedMs, g.Payload, g.RuleID, g.GroupValue).Error
}

func (s *Service) insertOutbox(db *gorm.DB, e *evalCtx) error {
	if len(e.decisions) == 0 {
		return nil
	}
	var seq int64
	if err := db.Raw("SELECT COALESCE(MAX(seq), 0) FROM notify_outbox").Scan(&seq).Error; err != nil {
		return err
	}
	var rows []outboxRow
	for _, d := range e.decisions {
		payload, err := json.Marshal(d.n)
		if err != nil {
			return err
		}
		status := d.n.Status
		if d.refresh {
			status = statusRefresh
			// A newer refresh replaces one still waiting (Alertmanager down).
			if err := db.Exec("DELETE FROM notify_outbox WHERE state = 'pending' AND status = ? AND rule_id = ? AND group_value = ? AND receiver_id IN ?",
				statusRefresh, d.rule.ID, d.group, d.receivers).Error; err != nil {
				return err
			}
		}
		for _, rid := range d.receivers {
			seq++
			rows = append(rows, outboxRow{ID: store.NewID(), Seq: seq, ReceiverID: rid, RuleID: d.rule.ID, GroupValue: d.group,
				Status: status, Event: d.n.Event, Payload: string(payload), State: outboxPending, CreatedMs: e.nowMs, NextAttemptMs: e.nowMs})
		}
	}
	return db.CreateInBatches(rows, 200).Error
}

// prune deletes finished notifications and delivery-log entries past the
// retention, at most every pruneEvery.
func (s *Service) prune(db *gorm.DB, now time.Time) error {
	if now.Sub(s.lastPrune) < pruneEvery && !s.lastPrune.After(now) {
		return nil
	}
	s.lastPrune = now
	cut := now.Add(-Retention).UnixMilli()
	if err := db.Exec("DELETE FROM notify_outbox WHERE state <> 'pending' AND done_ms < ?", cut).Error; err != nil {
		return err
	}
	return db.Exec("DELETE FROM notify_deliveries WHERE at_ms < ?", cut).Error
}
