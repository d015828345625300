package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// ConfigResolver tells which managed config or config group a URL path
// element names. The configs feature implements it; without one every
// configuration an agent reports is external.
type ConfigResolver interface {
	// ResolveConfig maps a config ID or alias to the config's ID.
	ResolveConfig(ctx context.Context, ref string) (string, bool)
	// ResolveGroup maps a group ID or alias to the group's ID.
	ResolveGroup(ctx context.Context, ref string) (string, bool)
}

// Service is the agents feature: ingest, queries, rules.
type Service struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	writer   *Writer
	resolver ConfigResolver
	// classifier is resolver behind a short-lived cache, for heartbeats.
	classifier ConfigResolver
	exposure   Exposure
	serving    Serving
}

// Serving is who runs what (the rollouts feature).
type Serving interface {
	AgentServing(ctx context.Context, agentID string) (tc.AgentServing, error)
	AgentsInState(ctx context.Context, state string) ([]string, error)
}

// SetServing plugs in who-runs-what.
func (s *Service) SetServing(sv Serving) { s.serving = sv }

// Options configure a Service.
type Options struct {
	Logger   *slog.Logger
	Now      func() time.Time
	MaxBatch int
	Resolver ConfigResolver
}

// NewService creates the default rule if needed and starts the writer.
func NewService(ctx context.Context, st *store.Store, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := st.EnsureDefaultRule(ctx); err != nil {
		return nil, err
	}
	s := &Service{st: st, log: o.Logger, now: o.Now, writer: NewWriter(st, o.Logger, o.MaxBatch)}
	s.SetResolver(o.Resolver)
	return s, nil
}

// SetResolver plugs in the config resolver.
func (s *Service) SetResolver(r ConfigResolver) {
	s.resolver, s.classifier = r, nil
	if r != nil {
		s.classifier = newCachedResolver(r)
	}
}

// Writer returns the heartbeat writer (its counters are exported as metrics).
func (s *Service) Writer() *Writer { return s.writer }

// Close flushes pending heartbeats.
func (s *Service) Close() error { return s.writer.Close() }

// Ingest stores one decoded heartbeat from ip and returns once it is
// committed.
func (s *Service) Ingest(ctx context.Context, hb *Heartbeat, ip string) error {
	row := store.HeartbeatRow{AgentID: hb.ID, Hostname: hb.Hostname, IP: ip, Version: hb.Version, VersionNumber: hb.VersionNumber,
		Status: hb.Status, StatusRaw: hb.StatusRaw, AtMs: s.now().UnixMilli(), HasLast: hb.HasLast, Stats: hb.Stats,
		LogsReported: hb.LogsReported}
	if hb.LastSuccess != nil {
		ms := hb.LastSuccess.UnixMilli()
		row.LastSuccessMs = &ms
	}
	if hb.Configurations != nil {
		cs := make([]tc.AgentConfig, len(hb.Configurations))
		for i, u := range hb.Configurations {
			cs[i] = s.classify(ctx, u)
		}
		b, _ := json.Marshal(cs)
		str := string(b)
		row.Configurations = &str
	}
	if hb.Logs != nil {
		b, err := json.Marshal(hb.Logs)
		if err != nil { // Decode bounds every value; never store what cannot be read back
			return fmt.Errorf("encode heartbeat logs: %w", err)
		}
		str := string(b)
		row.Logs = &str
	}
	return s.writer.Submit(ctx, row)
}

// classify matches a reported configuration source to a managed config or
// group of this tcd: /api/configs/{idOrAlias}/toml, /c/{alias} and
// /api/config-groups/{idOrAlias}/toml, on any host, with or without a query
// string. Anything else (local files, other servers' paths) is external.
func (s *Service) classify(ctx context.Context, raw string) tc.AgentConfig {
	out := tc.AgentConfig{URL: raw}
	if s.classifier == nil {
		return out
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return out
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "configs" && parts[3] == "toml":
		out.ConfigID, out.Managed = s.classifier.ResolveConfig(ctx, parts[2])
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "config-groups" && parts[3] == "toml":
		out.GroupID, out.Managed = s.classifier.ResolveGroup(ctx, parts[2])
	case len(parts) == 2 && parts[0] == "c":
		if id, ok := s.classifier.ResolveConfig(ctx, parts[1]); ok {
			out.ConfigID, out.Managed = id, true
		} else if id, ok := s.classifier.ResolveGroup(ctx, parts[1]); ok {
			out.GroupID, out.Managed = id, true
		}
	}
	return out
}

// ActiveAgentsUsing counts agents that reported within their rule's
// threshold and list the config among their managed configurations (the
// configs feature's delete guard).
func (s *Service) ActiveAgentsUsing(ctx context.Context, configID string) (int, error) {
	return s.st.ActiveAgentsUsing(ctx, configID, s.now().UnixMilli())
}

func (s *Service) withLabels(ctx context.Context, rows []store.Agent) ([]tc.Agent, error) {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	labels, err := s.st.AgentLabels(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]tc.Agent, len(rows))
	for i := range rows {
		out[i] = rows[i].API()
		if l := labels[rows[i].ID]; l != nil {
			out[i].Labels = l
		}
	}
	return out, nil
}

// Filter is the parsed query of the agents list and summary.
type Filter = store.AgentFilter

// ResolveFilter turns user references (label name, config alias, rule name)
// into IDs. An unknown reference is a 400 naming it.
func (s *Service) ResolveFilter(ctx context.Context, f Filter) (Filter, error) {
	if f.Status != "" && !tc.ValidAgentStatus(f.Status) {
		return f, tc.Errorf(tc.EInvalid, "unknown status %q: use one of %s", f.Status, strings.Join(tc.AgentStatuses, ", ")).With("field", "status")
	}
	for _, st := range f.Statuses {
		if !tc.ValidAgentStatus(st) {
			return f, tc.Errorf(tc.EInvalid, "unknown status %q: use one of %s", st, strings.Join(tc.AgentStatuses, ", ")).With("field", "status")
		}
	}
	if f.LabelID != "" {
		id, err := s.st.LabelRef(ctx, f.LabelID)
		if err != nil {
			return f, tc.Errorf(tc.EInvalid, "unknown label %q", f.LabelID).With("field", "label")
		}
		f.LabelID = id
	}
	ids := make([]string, len(f.LabelIDs))
	for i, ref := range f.LabelIDs {
		id, err := s.st.LabelRef(ctx, ref)
		if err != nil {
			return f, tc.Errorf(tc.EInvalid, "unknown label %q", ref).With("field", "label")
		}
		ids[i] = id
	}
	f.LabelIDs = ids
	if f.ConfigID != "" && s.resolver != nil {
		if id, ok := s.resolver.ResolveConfig(ctx, f.ConfigID); ok {
			f.ConfigID = id
		} else if id, ok := s.resolver.ResolveGroup(ctx, f.ConfigID); ok {
			f.ConfigID = id
		} else {
			return f, tc.Errorf(tc.EInvalid, "unknown config or group %q", f.ConfigID).With("field", "config")
		}
	}
	if f.ConfigState != "" {
		if !tc.ValidConfigState(f.ConfigState) {
			return f, tc.Errorf(tc.EInvalid, "unknown config state %q: use one of %s", f.ConfigState, strings.Join(tc.ConfigStates, ", ")).With("field", "configState")
		}
		if f.ConfigState == tc.ConfigStateUnmanaged {
			f.NotServed = true
		} else if s.serving == nil {
			f.StateIDs = []string{}
		} else {
			ids, err := s.serving.AgentsInState(ctx, f.ConfigState)
			if err != nil {
				return f, err
			}
			f.StateIDs = ids
		}
	}
	if f.ReportingRule != "" {
		r, _, err := s.st.RuleByRef(ctx, f.ReportingRule)
		if err != nil {
			return f, tc.Errorf(tc.EInvalid, "unknown reporting rule %q", f.ReportingRule).With("field", "reportingRule")
		}
		f.ReportingRule = r.ID
	}
	return s.resolveExposure(ctx, f)
}

// List returns one page of agents.
func (s *Service) List(ctx context.Context, f Filter) (tc.List[tc.Agent], error) {
	f, err := s.ResolveFilter(ctx, f)
	if err != nil {
		return tc.List[tc.Agent]{}, err
	}
	rows, total, err := s.st.ListAgents(ctx, f)
	if err != nil {
		return tc.List[tc.Agent]{}, err
	}
	items, err := s.withLabels(ctx, rows)
	if err == nil {
		err = s.annotate(ctx, items)
	}
	return tc.List[tc.Agent]{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset}, err
}

// Summary describes the agents matching f.
func (s *Service) Summary(ctx context.Context, f Filter) (tc.AgentSummary, error) {
	f, err := s.ResolveFilter(ctx, f)
	if err != nil {
		return tc.AgentSummary{}, err
	}
	return s.st.AgentSummary(ctx, f, s.now().UnixMilli())
}

// Get returns one agent.
func (s *Service) Get(ctx context.Context, id string) (tc.Agent, error) {
	a, err := s.st.AgentByID(ctx, id)
	if err != nil {
		return tc.Agent{}, err
	}
	out, err := s.withLabels(ctx, []store.Agent{*a})
	if err == nil {
		err = s.annotate(ctx, out)
	}
	if err != nil {
		return tc.Agent{}, err
	}
	if s.serving != nil {
		as, err := s.serving.AgentServing(ctx, id)
		if err != nil {
			return tc.Agent{}, err
		}
		out[0].ConfigState, out[0].Served = as.State, as.Served
	}
	return out[0], nil
}

func checkIDs(ids []string) error {
	if len(ids) == 0 {
		return tc.Errorf(tc.EInvalid, "ids is empty: name at least one agent").With("field", "ids")
	}
	if len(ids) > tc.MaxLimit {
		return tc.Errorf(tc.EInvalid, "at most %d agents per request", tc.MaxLimit).With("field", "ids")
	}
	return nil
}

// notFound returns the ids that name no agent, in the order given.
func (s *Service) notFound(ctx context.Context, ids []string) ([]string, error) {
	existing, err := s.st.ExistingAgentIDs(ctx, ids)
	if err != nil || len(existing) == len(ids) {
		return nil, err
	}
	have := make(map[string]bool, len(existing))
	for _, id := range existing {
		have[id] = true
	}
	var out []string
	for _, id := range ids {
		if !have[id] {
			out = append(out, id)
			have[id] = true // each once
		}
	}
	return out, nil
}

// Delete deletes agents (their next heartbeat creates them again) and
// names the IDs that were no agent.
func (s *Service) Delete(ctx context.Context, ids []string) (tc.BulkResult, error) {
	if err := checkIDs(ids); err != nil {
		return tc.BulkResult{}, err
	}
	missing, err := s.notFound(ctx, ids)
	if err != nil {
		return tc.BulkResult{}, err
	}
	n, err := s.st.DeleteAgents(ctx, ids)
	return tc.BulkResult{Changed: int(n), NotFound: missing}, err
}

// DeleteOne deletes one agent; 404 if it does not exist.
func (s *Service) DeleteOne(ctx context.Context, id string) error {
	n, err := s.st.DeleteAgents(ctx, []string{id})
	if err == nil && n == 0 {
		return tc.Errorf(tc.ENotFound, "agent %q not found", id)
	}
	return err
}

// SetRule assigns a reporting rule (ID or name) to agents.
func (s *Service) SetRule(ctx context.Context, ids []string, ruleRef string) (tc.BulkResult, error) {
	if err := checkIDs(ids); err != nil {
		return tc.BulkResult{}, err
	}
	if strings.TrimSpace(ruleRef) == "" {
		return tc.BulkResult{}, tc.Errorf(tc.EInvalid, "ruleId is required").With("field", "ruleId")
	}
	r, _, err := s.st.RuleByRef(ctx, ruleRef)
	if err != nil {
		return tc.BulkResult{}, err
	}
	missing, err := s.notFound(ctx, ids)
	if err != nil {
		return tc.BulkResult{}, err
	}
	n, err := s.st.SetAgentsRule(ctx, ids, r.ID)
	return tc.BulkResult{Changed: int(n), NotFound: missing}, err
}

// SetRuleOne assigns a rule to one agent; 404 if it does not exist.
func (s *Service) SetRuleOne(ctx context.Context, id, ruleRef string) (tc.Agent, error) {
	if _, err := s.st.AgentByID(ctx, id); err != nil {
		return tc.Agent{}, err
	}
	if _, err := s.SetRule(ctx, []string{id}, ruleRef); err != nil {
		return tc.Agent{}, err
	}
	return s.Get(ctx, id)
}

// Labels assigns (or removes) labels on agents; every label must exist.
func (s *Service) Labels(ctx context.Context, ids, labelIDs []string, assign bool) (tc.BulkResult, error) {
	if err := checkIDs(ids); err != nil {
		return tc.BulkResult{}, err
	}
	if len(labelIDs) == 0 {
		return tc.BulkResult{}, tc.Errorf(tc.EInvalid, "labelIds is empty").With("field", "labelIds")
	}
	resolved := make([]string, len(labelIDs))
	for i, l := range labelIDs {
		id, err := s.st.LabelRef(ctx, l)
		if err != nil {
			return tc.BulkResult{}, tc.Errorf(tc.ENotFound, "label %q not found", l)
		}
		resolved[i] = id
	}
	missing, err := s.notFound(ctx, ids)
	if err != nil {
		return tc.BulkResult{}, err
	}
	if !assign {
		n, err := s.st.RemoveAgentLabels(ctx, ids, resolved)
		return tc.BulkResult{Changed: n, NotFound: missing}, err
	}
	existing, err := s.st.ExistingAgentIDs(ctx, ids)
	if err != nil {
		return tc.BulkResult{}, err
	}
	n, err := s.st.AssignAgentLabels(ctx, existing, resolved)
	return tc.BulkResult{Changed: n, NotFound: missing}, err
}

// LabelOne assigns or removes one label on one agent (404s for either).
func (s *Service) LabelOne(ctx context.Context, id, labelRef string, assign bool) error {
	if _, err := s.st.AgentByID(ctx, id); err != nil {
		return err
	}
	_, err := s.Labels(ctx, []string{id}, []string{labelRef}, assign)
	return err
}

// Heartbeats returns an agent's statistics history (limit 1–5000, default
// 200): the records of the last HistoryRetention, and the newest however
// old.
func (s *Service) Heartbeats(ctx context.Context, id string, from, to *time.Time, limit int) ([]tc.HeartbeatRecord, error) {
	if _, err := s.st.AgentByID(ctx, id); err != nil {
		return nil, err
	}
	fromMs, toMs := int64(0), s.now().UnixMilli()+1
	if from != nil {
		fromMs = from.UnixMilli()
	}
	if to != nil {
		toMs = to.UnixMilli()
	}
	out, err := s.st.AgentHeartbeats(ctx, id, fromMs, toMs, s.now().Add(-HistoryRetention).UnixMilli(), limit)
	if out == nil {
		out = []tc.HeartbeatRecord{}
	}
	return out, err
}

// Logs returns the logs of an agent's latest heartbeat that included logs.
func (s *Service) Logs(ctx context.Context, id string) (tc.AgentLogs, error) {
	a, err := s.st.AgentByID(ctx, id)
	if err != nil {
		return tc.AgentLogs{}, err
	}
	out := tc.AgentLogs{AgentID: a.ID, Entries: []tc.LogEntry{}, Reported: a.LogsReported}
	if a.Logs != nil {
		if err := json.Unmarshal([]byte(*a.Logs), &out.Entries); err != nil {
			// Stored by an earlier version and unreadable: one agent's
			// logs must not fail the read.
			s.log.Warn("agent logs unreadable; shown as none", "agent", a.ID, "err", err)
			out.Entries = []tc.LogEntry{}
		}
	}
	if a.LogsMs != nil {
		t := time.UnixMilli(*a.LogsMs).UTC()
		out.ReceivedAt = &t
	}
	out.Stored = len(out.Entries)
	return out, nil
}
