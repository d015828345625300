package rollouts

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// active is a running or paused rollout as the serving path sees it.
type active struct {
	id, configID string
	from, to     int
	stage        int
	all          bool // the current stage serves everybody (the last one)
	rolledBack   bool
	lmTo, lmBack int64
	// members maps a hash of each member's ID to its stage: no pointers,
	// so 100,000 members cost the garbage collector nothing to scan.
	members map[uint64]int32
}

// memberSeed hashes member IDs (per process: the map is never stored).
var memberSeed = maphash.MakeSeed()

type snapshot struct {
	byConfig map[string]*active
}

// Route implements configs.Router: an atomic load and two map lookups.
func (s *Service) Route(configID, agent string) (int, int64, bool) {
	a := s.snap.Load().byConfig[configID]
	if a == nil {
		return 0, 0, false
	}
	var (
		st     int
		member bool
	)
	if agent != "" {
		var s32 int32
		s32, member = a.members[maphash.String(memberSeed, agent)]
		st = int(s32)
	}
	if a.rolledBack {
		if member && st < a.stage {
			return a.to, a.lmTo, true
		}
		if a.all || (member && st == a.stage) {
			return a.from, a.lmBack, true
		}
		return 0, 0, false
	}
	if a.all || (member && st <= a.stage) {
		return a.to, a.lmTo, true
	}
	return 0, 0, false
}

// Any implements configs.Router.
func (s *Service) Any() bool { return len(s.snap.Load().byConfig) > 0 }

// Active implements configs.Router.
func (s *Service) Active(configID string) string {
	if a := s.snap.Load().byConfig[configID]; a != nil {
		return a.id
	}
	return ""
}

// Reload reads the active rollouts into memory (after a local change, or
// when another node announces one on the cache bus).
//
// Within an API request whose transaction is open, it reloads once that
// transaction has committed (and not at all if it is rolled back): read
// through the transaction, the snapshot held the request's uncommitted
// change, and config fetches routed by it meanwhile were answered 404 for
// a version staged by a starting rollout and not yet committed (or served
// a rollout that never came to be). Serving follows committed rollouts.
func (s *Service) Reload(ctx context.Context) error {
	if store.RequestOpen(ctx) {
		store.AfterCommit(ctx, func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(store.Detached(ctx)), 10*time.Second)
			defer cancel()
			if err := s.reload(rctx); err != nil {
				s.log.Warn("reloading rollouts after a change failed; the next evaluation retries", "err", err)
			}
		})
		return nil
	}
	return s.reload(ctx)
}

func (s *Service) reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	rows, err := s.st.Rollouts(ctx, "", []string{tc.RolloutRunning, tc.RolloutPaused}, 0)
	if err != nil {
		return err
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	members, err := s.st.RolloutMembers(ctx, ids)
	if err != nil {
		return err
	}
	snap := &snapshot{byConfig: map[string]*active{}}
	for _, r := range rows {
		stages, _ := decodeStages(r.Stages)
		a := &active{id: r.ID, configID: r.ConfigID, from: r.FromVersion, to: r.ToVersion, stage: r.Stage, rolledBack: r.RolledBack,
			lmTo: r.LmTo, lmBack: r.LmBack, members: make(map[uint64]int32, len(members[r.ID]))}
		for id, st := range members[r.ID] {
			a.members[maphash.String(memberSeed, id)] = int32(st)
		}
		a.all = r.Stage < len(stages) && isAll(stages[r.Stage])
		snap.byConfig[r.ConfigID] = a
	}
	s.snap.Store(snap)
	return nil
}

// DropCache reloads after another node's change (cache bus).
func (s *Service) DropCache() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Reload(ctx); err != nil {
		s.log.Warn("reloading rollouts after a change on another node failed; the next poll retries", "err", err)
	}
}

func isAll(st tc.RolloutStage) bool { return st.Percent >= 100 }

// DefaultStages are 1 agent, 10 %, 50 %, 100 %.
func DefaultStages() []tc.RolloutStage {
	return []tc.RolloutStage{{Count: 1}, {Percent: 10}, {Percent: 50}, {Percent: 100}}
}

// CheckStages validates stages and makes the last one cover everybody.
func CheckStages(in []tc.RolloutStage) ([]tc.RolloutStage, error) {
	if len(in) == 0 {
		return DefaultStages(), nil
	}
	if len(in) > 20 {
		return nil, tc.Errorf(tc.EInvalid, "at most 20 stages (got %d)", len(in)).With("field", "stages")
	}
	out := make([]tc.RolloutStage, 0, len(in)+1)
	for i, st := range in {
		n := 0
		if st.Count != 0 {
			n++
			if st.Count < 0 {
				return nil, tc.Errorf(tc.EInvalid, "stage %d: count must be 1 or more", i+1).With("field", "stages")
			}
		}
		if st.Percent != 0 {
			n++
			if st.Percent < 0 || st.Percent > 100 || math.IsNaN(st.Percent) {
				return nil, tc.Errorf(tc.EInvalid, "stage %d: percent must be above 0 and at most 100", i+1).With("field", "stages")
			}
		}
		if len(st.Agents) > 0 {
			n++
			if len(st.Agents) > 10000 {
				return nil, tc.Errorf(tc.EInvalid, "stage %d: at most 10,000 explicit agents", i+1).With("field", "stages")
			}
		}
		if st.Selector != "" {
			n++
			if _, err := notify.ParseSelector(st.Selector); err != nil {
				return nil, tc.Errorf(tc.EInvalid, "stage %d: %v", i+1, err).With("field", "stages")
			}
		}
		if n != 1 {
			return nil, tc.Errorf(tc.EInvalid, "stage %d must name exactly one of count, percent, agents or selector", i+1).With("field", "stages")
		}
		if isAll(st) && i != len(in)-1 {
			return nil, tc.Errorf(tc.EInvalid, "stage %d is 100 %%: only the last stage may cover every agent", i+1).With("field", "stages")
		}
		out = append(out, st)
	}
	if !isAll(out[len(out)-1]) {
		out = append(out, tc.RolloutStage{Percent: 100})
	}
	return out, nil
}

// ParseStages reads the CLI form: comma-separated N (agents), N% (share
// of the config's agents), agents=a|b (explicit IDs), selector=EXPR
// (labels; a selector with commas goes in --selector instead).
func ParseStages(s string) ([]tc.RolloutStage, error) {
	var out []tc.RolloutStage
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		switch {
		case p == "":
			continue
		case strings.HasPrefix(p, "agents="):
			out = append(out, tc.RolloutStage{Agents: strings.Split(strings.TrimPrefix(p, "agents="), "|")})
		case strings.HasPrefix(p, "selector="):
			out = append(out, tc.RolloutStage{Selector: strings.TrimPrefix(p, "selector=")})
		case strings.HasSuffix(p, "%"):
			f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(p, "%")), 64)
			if err != nil || f <= 0 || f > 100 {
				return nil, fmt.Errorf("stage %q: a share is 0%% < N%% <= 100%%", p)
			}
			out = append(out, tc.RolloutStage{Percent: f})
		default:
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("stage %q: use N (agents), N%%, agents=a|b or selector=EXPR", p)
			}
			out = append(out, tc.RolloutStage{Count: n})
		}
	}
	return out, nil
}

// StageString is the short form of a stage.
func StageString(st tc.RolloutStage) string {
	switch {
	case st.Percent > 0:
		return strconv.FormatFloat(st.Percent, 'f', -1, 64) + "%"
	case st.Count > 0:
		if st.Count == 1 {
			return "1 agent"
		}
		return strconv.Itoa(st.Count) + " agents"
	case len(st.Agents) > 0:
		return "agents " + strings.Join(st.Agents, "|")
	}
	return "selector " + st.Selector
}

func decodeStages(s string) ([]tc.RolloutStage, error) {
	var out []tc.RolloutStage
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// hashOrder is the stable order in which a config's agents join percent
// and count stages.
func hashOrder(configID string, ids []string) []string {
	type h struct {
		id string
		v  uint64
	}
	hs := make([]h, len(ids))
	for i, id := range ids {
		f := fnv.New64a()
		f.Write([]byte(configID))
		f.Write([]byte{0})
		f.Write([]byte(id))
		hs[i] = h{id, f.Sum64()}
	}
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].v != hs[j].v {
			return hs[i].v < hs[j].v
		}
		return hs[i].id < hs[j].id
	})
	out := make([]string, len(hs))
	for i := range hs {
		out[i] = hs[i].id
	}
	return out
}

// stageMembers chooses the agents that join at stage i (not those of
// earlier stages).
func stageMembers(ctx context.Context, tx *store.Store, configID string, st tc.RolloutStage, existing map[string]int) ([]string, error) {
	var out []string
	add := func(id string) {
		if _, ok := existing[id]; !ok && id != "" {
			existing[id] = -1
			out = append(out, id)
		}
	}
	switch {
	case len(st.Agents) > 0:
		for _, a := range st.Agents {
			add(strings.TrimSpace(a))
		}
	case st.Selector != "":
		sel, err := notify.ParseSelector(st.Selector)
		if err != nil {
			return nil, err
		}
		pop, err := tx.AgentIDsForConfig(ctx, configID)
		if err != nil {
			return nil, err
		}
		labels, err := tx.AgentLabelNames(ctx, pop)
		if err != nil {
			return nil, err
		}
		sort.Strings(pop)
		for _, id := range pop {
			if sel.Matches(labels[id]) {
				add(id)
			}
		}
	default:
		pop, err := tx.AgentIDsForConfig(ctx, configID)
		if err != nil {
			return nil, err
		}
		want := st.Count
		if st.Percent > 0 {
			target := int(math.Ceil(st.Percent * float64(len(pop)) / 100))
			in := 0
			for _, id := range pop {
				if _, ok := existing[id]; ok {
					in++
				}
			}
			want = target - in
		}
		for _, id := range hashOrder(configID, pop) {
			if want <= 0 {
				break
			}
			if _, ok := existing[id]; !ok {
				add(id)
				want--
			}
		}
	}
	return out, nil
}
