package rollouts

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// targetInfo is what a derived state compares a served row with.
type targetInfo struct {
	name    string
	version int   // current version (configs)
	lm      int64 // current Last-Modified (groups)
	sinceMs int64 // since when the current version is served
	missing bool
	members []string // member config IDs (groups)
}

// Serving returns who-runs-what of the given agents (nil: every agent
// tcd served under its identity). Agents without records are absent
// (their state is unmanaged).
func (s *Service) Serving(ctx context.Context, agentIDs []string) (map[string]*tc.AgentServing, error) {
	rows, err := s.st.ServedOf(ctx, agentIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]*tc.AgentServing{}
	if len(rows) == 0 {
		return out, nil
	}
	ids := agentIDs
	if ids == nil {
		seen := map[string]bool{}
		for _, r := range rows {
			if !seen[r.AgentID] {
				seen[r.AgentID] = true
				ids = append(ids, r.AgentID)
			}
		}
	}
	health, err := s.st.AgentsHealth(ctx, ids)
	if err != nil {
		return nil, err
	}
	hm := make(map[string]*store.AgentHealth, len(health))
	for i := range health {
		hm[health[i].ID] = &health[i]
	}
	targets, err := s.targets(ctx, rows)
	if err != nil {
		return nil, err
	}
	now := s.nowMs()
	grace := 3 * s.o.WatchInterval.Milliseconds()
	snap := s.snap.Load()
	stageStart := map[string]int64{} // rollout → current stage's start, read once per call
	// Rows are ordered by agent, target, version.
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].AgentID == rows[i].AgentID {
			j++
		}
		agent := rows[i].AgentID
		as := &tc.AgentServing{AgentID: agent, State: tc.ConfigStateCurrent, Served: []tc.ServedVersion{}}
		h := hm[agent]
		var groups []*store.ServedRow // the agent's group rows
		for k := i; k < j; k++ {
			if rows[k].Kind == store.LinkGroups {
				groups = append(groups, &rows[k])
			}
		}
		for k := i; k < j; {
			l := k
			for l < j && rows[l].TargetID == rows[k].TargetID {
				l++
			}
			// What the agent runs is what it fetched last: a HEAD (or a
			// 304) answered with a newer version's headers does not mean
			// it loaded that version. Any row says it still polls.
			latest, seen := k, int64(0)
			for m := k; m < l; m++ {
				if runsLater(&rows[m], &rows[latest]) {
					latest = m
				}
				seen = max(seen, seenMs(&rows[m]))
			}
			t := targets[rows[k].TargetID]
			expected, since := t.version, t.sinceMs
			if a := snap.byConfig[rows[k].TargetID]; a != nil && rows[k].Kind == store.LinkConfigs {
				if v, _, ok := s.Route(rows[k].TargetID, agent); ok {
					expected = v
				}
				st, ok := stageStart[a.id]
				if !ok {
					st = s.stageStartMs(ctx, a.id)
					stageStart[a.id] = st
				}
				since = max(since, st)
			}
			lr := &rows[latest]
			for m := k; m < l; m++ {
				r := &rows[m]
				sv := tc.ServedVersion{Kind: r.Kind, TargetID: r.TargetID, TargetName: t.name, Version: r.Version, ETag: r.ETag,
					LastModified: time.Unix(r.LastModified, 0).UTC(), FirstFetched: msPtr(r.FirstMs), LastFetched: msPtr(r.FetchedMs),
					LastPolled: msPtr(r.PolledMs), Expected: expected, Latest: m == latest}
				sv.Reloaded = h != nil && r.FetchedMs > 0 && h.LastSeenMs > r.FetchedMs && h.Heartbeats > r.HbBase &&
					(names(h.Configurations, r.TargetID) || r.Kind == store.LinkConfigs && namesGroupOf(h.Configurations, r, groups, targets))
				as.Served = append(as.Served, sv)
			}
			state := tc.ConfigStateCurrent
			upToDate := lr.Version == expected
			if lr.Kind == store.LinkGroups {
				upToDate = lr.LastModified >= t.lm
			}
			switch {
			case h == nil && now-seen > grace:
				state = tc.ConfigStateFetchedNotRunning
			case h != nil && (h.Status == tc.StatusFail || h.Status == tc.StatusNotReporting):
				state = tc.ConfigStateFetchedNotRunning
			case !upToDate && !t.missing && now-since > grace:
				state = tc.ConfigStateStale
			}
			if rank(state) > rank(as.State) {
				as.State = state
			}
			k = l
		}
		out[agent] = as
		i = j
	}
	return out, nil
}

func rank(state string) int {
	switch state {
	case tc.ConfigStateFetchedNotRunning:
		return 2
	case tc.ConfigStateStale:
		return 1
	}
	return 0
}

func seenMs(r *store.ServedRow) int64 { return max(r.FetchedMs, r.PolledMs) }

// runsLater reports whether a served row is a later answer of what the
// agent runs than b: a fetched row beats one only polled (a HEAD answered
// with a version's headers is no sign the agent loaded it), the latest
// fetch among fetched rows, the latest poll among the others.
func runsLater(a, b *store.ServedRow) bool {
	if (a.FetchedMs > 0) != (b.FetchedMs > 0) {
		return a.FetchedMs > 0
	}
	if a.FetchedMs != b.FetchedMs {
		return a.FetchedMs > b.FetchedMs
	}
	if a.PolledMs != b.PolledMs {
		return a.PolledMs > b.PolledMs
	}
	return a.LastModified > b.LastModified
}

func msPtr(ms int64) *time.Time {
	if ms <= 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

// names reports whether an agent's reported configurations name target.
func names(configurations, target string) bool {
	return strings.Contains(configurations, `"configId":"`+target+`"`) || strings.Contains(configurations, `"groupId":"`+target+`"`)
}

// namesGroupOf reports whether an agent's reported configurations name a
// config group through which it was served config row r: one of its
// groups (its group rows) that holds the config, or whose rendering r came
// in (same ETag: the config may have left the group since, but the agent
// runs that rendering until it fetches the group again). Telegraf's
// heartbeat names the URL it loaded, so an agent on a group names the
// group, never its member configs.
func namesGroupOf(configurations string, r *store.ServedRow, groups []*store.ServedRow, targets map[string]targetInfo) bool {
	for _, g := range groups {
		if (g.ETag == r.ETag || slices.Contains(targets[g.TargetID].members, r.TargetID)) && names(configurations, g.TargetID) {
			return true
		}
	}
	return false
}

func (s *Service) stageStartMs(ctx context.Context, rolloutID string) int64 {
	ro, err := s.st.RolloutByID(ctx, rolloutID)
	if err != nil {
		return 0
	}
	return ro.StageStartedMs
}

func (s *Service) targets(ctx context.Context, rows []store.ServedRow) (map[string]targetInfo, error) {
	out := map[string]targetInfo{}
	for _, r := range rows {
		if _, ok := out[r.TargetID]; ok {
			continue
		}
		ti := targetInfo{}
		if r.Kind == store.LinkGroups {
			g, err := s.st.GroupByID(ctx, r.TargetID)
			if tc.IsCode(err, tc.ENotFound) {
				out[r.TargetID] = targetInfo{missing: true}
				continue
			} else if err != nil {
				return nil, err
			}
			ti.name, ti.lm, ti.sinceMs = g.Name, g.LastModified, g.LastModified*1000
			members, err := s.st.GroupMembers(ctx, []string{g.ID})
			if err != nil {
				return nil, err
			}
			ti.members = members[g.ID]
		} else {
			c, err := s.st.ConfigByID(ctx, r.TargetID)
			if tc.IsCode(err, tc.ENotFound) {
				out[r.TargetID] = targetInfo{missing: true}
				continue
			} else if err != nil {
				return nil, err
			}
			ti.name, ti.version, ti.lm = c.Name, c.Version, c.LastModified
			ti.sinceMs = c.LastModified * 1000
			if v, err := s.st.Version(ctx, c.ID, c.Version); err == nil {
				ti.sinceMs = v.CreatedAt.UnixMilli()
			}
		}
		out[r.TargetID] = ti
	}
	return out, nil
}

// AgentServing returns who-runs-what for one agent (state unmanaged
// when tcd never served it under its identity).
func (s *Service) AgentServing(ctx context.Context, agentID string) (tc.AgentServing, error) {
	m, err := s.Serving(ctx, []string{agentID})
	if err != nil {
		return tc.AgentServing{}, err
	}
	if as := m[agentID]; as != nil {
		return *as, nil
	}
	return tc.AgentServing{AgentID: agentID, State: tc.ConfigStateUnmanaged, Served: []tc.ServedVersion{}}, nil
}

// AgentsInState returns the agents tcd served under their identity that
// are in state (current, stale or fetched-not-running).
func (s *Service) AgentsInState(ctx context.Context, state string) ([]string, error) {
	m, err := s.Serving(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for id, as := range m {
		if as.State == state {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

// StateCounts counts agents by derived state (unmanaged: agents with
// heartbeats but no served records).
func (s *Service) StateCounts(ctx context.Context) (map[string]int, error) {
	m, err := s.Serving(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, st := range tc.ConfigStates {
		out[st] = 0
	}
	for _, as := range m {
		out[as.State]++
	}
	var n int64
	if err := s.st.Gorm(ctx).Raw("SELECT COUNT(*) FROM agents WHERE id NOT IN (SELECT agent_id FROM served_versions)").Scan(&n).Error; err != nil {
		return nil, err
	}
	out[tc.ConfigStateUnmanaged] = int(n)
	return out, nil
}

// ConfigServing summarises a config: agents per latest version served,
// and agents by derived state.
func (s *Service) ConfigServing(ctx context.Context, ref string) (tc.ConfigServing, error) {
	row, err := s.cfg.ConfigRow(ctx, ref)
	if err != nil {
		return tc.ConfigServing{}, err
	}
	rows, err := s.st.ServedForTarget(ctx, row.ID)
	if err != nil {
		return tc.ConfigServing{}, err
	}
	latest := map[string]*store.ServedRow{}
	for i := range rows {
		r := &rows[i]
		if l := latest[r.AgentID]; l == nil || runsLater(r, l) {
			latest[r.AgentID] = r
		}
	}
	byV := map[int]int{}
	ids := make([]string, 0, len(latest))
	for id, r := range latest {
		byV[r.Version]++
		ids = append(ids, id)
	}
	out := tc.ConfigServing{ConfigID: row.ID, Versions: []tc.VersionAgents{}, States: map[string]int{}}
	for v, n := range byV {
		out.Versions = append(out.Versions, tc.VersionAgents{Version: v, Agents: n})
	}
	sort.Slice(out.Versions, func(i, j int) bool { return out.Versions[i].Version > out.Versions[j].Version })
	m, err := s.Serving(ctx, ids)
	if err != nil {
		return out, err
	}
	for _, as := range m {
		out.States[as.State]++
	}
	return out, nil
}
