// Package rollouts is who runs what and staged rollouts.
//
// Who runs what: every fetch of a config or group TOML that carries an
// agent identity (?agent_id=) is noted in memory by the Recorder and
// written in batches (served_versions); joined with heartbeats it gives,
// per agent, the versions served, whether the agent reloaded, and a
// derived state (current, stale, fetched-not-running, unmanaged).
//
// Rollouts move a config from version N to version M in stages. The
// serving path asks Route, an in-memory lookup of the agent's stage; the
// state is durable in the database and advanced only by the cluster
// leader, which evaluates each running stage's gate every interval. Other
// nodes learn of every change on the cache bus (topic rollouts).
package rollouts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Options tune New.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Leader reports whether this node advances rollouts (nil: always).
	Leader func() bool
	// Interval between gate evaluations (default 5 s).
	Interval time.Duration
	// WatchInterval is how often agents poll their config URL (Telegraf's
	// --config-url-watch-interval); "stale" is three of them (default 1m).
	WatchInterval time.Duration
	// Publisher receives rollout.paused, rollout.rolled_back and
	// rollout.completed events (optional).
	Publisher notify.Publisher
	// Audit records the leader's transitions (optional).
	Audit func(ctx context.Context, e tc.AuditEntry)
	// OnTransition observes every transition (metrics).
	OnTransition func(action string)
}

// Defaults of a rollout's gates.
const (
	DefaultHeartbeats = 2
	DefaultTimeout    = 30 * time.Minute
)

// Service runs rollouts and answers who runs what.
type Service struct {
	st       *store.Store
	cfg      *configs.Service
	o        Options
	log      *slog.Logger
	snap     atomic.Pointer[snapshot]
	reloadMu sync.Mutex
	evalMu   sync.Mutex
}

// New returns the service; call Reload before serving.
func New(st *store.Store, cfg *configs.Service, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = time.Minute
	}
	s := &Service{st: st, cfg: cfg, o: o, log: o.Logger}
	s.snap.Store(&snapshot{byConfig: map[string]*active{}})
	return s
}

func (s *Service) nowMs() int64 { return s.o.Now().UnixMilli() }

// Start starts (or queues) a rollout. Errors: not_found, invalid, conflict.
func (s *Service) Start(ctx context.Context, who string, req tc.StartRolloutRequest) (tc.Rollout, error) {
	stages, err := CheckStages(req.Stages)
	if err != nil {
		return tc.Rollout{}, err
	}
	k, f := DefaultHeartbeats, 0
	if req.Heartbeats != nil {
		k = *req.Heartbeats
	}
	if req.MaxFailures != nil {
		f = *req.MaxFailures
	}
	if k < 0 || k > 1000 {
		return tc.Rollout{}, tc.Errorf(tc.EInvalid, "heartbeats must be 0 to 1000 (got %d)", k).With("field", "heartbeats")
	}
	if f < 0 {
		return tc.Rollout{}, tc.Errorf(tc.EInvalid, "maxFailures must be 0 or more (got %d)", f).With("field", "maxFailures")
	}
	wait, err := duration("wait", req.Wait, 0)
	if err != nil {
		return tc.Rollout{}, err
	}
	timeout, err := duration("timeout", req.Timeout, DefaultTimeout)
	if err != nil {
		return tc.Rollout{}, err
	}
	if req.Config == "" {
		return tc.Rollout{}, tc.Errorf(tc.EInvalid, "config is required").With("field", "config")
	}
	row, err := s.cfg.ConfigRow(ctx, req.Config)
	if tc.IsCode(err, tc.ENotFound) {
		if g, gerr := s.cfg.GetGroup(ctx, req.Config); gerr == nil {
			return tc.Rollout{}, GroupRolloutError(g)
		}
	}
	if err != nil {
		return tc.Rollout{}, err
	}
	if (req.TOML == nil) == (req.To == 0) {
		return tc.Rollout{}, tc.Errorf(tc.EInvalid, "name the version to roll out (to) or give its TOML (toml), not both").With("field", "to")
	}
	// Within an API request, before its first write (the staged version):
	// see store.LockRolloutGroups. The transaction below takes it again
	// for callers outside a request.
	if err := s.st.LockRolloutGroups(ctx); err != nil {
		return tc.Rollout{}, err
	}
	if !req.Queue {
		if ro, err := s.st.ActiveRollout(ctx, row.ID); err != nil {
			return tc.Rollout{}, err
		} else if ro != nil {
			return tc.Rollout{}, tc.Errorf(tc.EConflict, "config %q is already being rolled out (rollout %s, %s): abort it first or queue this one (queue=true, tcctl --queue)", row.Name, ro.ID, ro.State).With("rollout", ro.ID)
		}
		if err := s.refuseSibling(ctx, s.st, row); err != nil {
			return tc.Rollout{}, err
		}
	}
	to := req.To
	if req.TOML != nil {
		if _, to, err = s.cfg.AddVersion(ctx, who, row.ID, *req.TOML, req.Note); err != nil {
			return tc.Rollout{}, err
		}
	} else if _, err := s.st.Version(ctx, row.ID, to); err != nil {
		return tc.Rollout{}, tc.Errorf(tc.ENotFound, "config %q has no version %d (see tcctl config versions %s)", row.Name, to, row.Name).With("field", "to")
	}
	sj, _ := json.Marshal(stages)
	now := s.nowMs()
	ro := &store.RolloutRow{ID: store.NewID(), ConfigID: row.ID, ConfigName: row.Name, ToVersion: to, Stages: string(sj),
		Heartbeats: k, MaxFailures: f, WaitMs: wait.Milliseconds(), TimeoutMs: timeout.Milliseconds(), AutoRollback: req.AutoRollback,
		State: tc.RolloutQueued, CreatedBy: who, CreatedMs: now, UpdatedMs: now}
	started := false
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		// The checks below and the insert are one step for every other
		// start and group change (one rollout per group).
		if err := tx.LockRolloutGroups(ctx); err != nil {
			return err
		}
		cur, err := tx.ActiveRollout(ctx, row.ID)
		if err != nil {
			return err
		}
		queued, err := tx.Rollouts(ctx, row.ID, []string{tc.RolloutQueued}, 1)
		if err != nil {
			return err
		}
		sib, err := s.siblingRollout(ctx, tx, row.ID)
		if err != nil {
			return err
		}
		if cur != nil || len(queued) > 0 || sib != nil {
			if !req.Queue {
				if cur == nil && len(queued) == 0 {
					return s.refuseSibling(ctx, tx, row)
				}
				return tc.Errorf(tc.EConflict, "config %q is already being rolled out: abort it first or queue this one", row.Name)
			}
			if err := tx.InsertRollout(ctx, ro); err != nil {
				return err
			}
			return tx.AddRolloutEvent(ctx, &store.RolloutEventRow{RolloutID: ro.ID, AtMs: now, Action: "queue", State: tc.RolloutQueued, Actor: who})
		}
		if err := tx.InsertRollout(ctx, ro); err != nil {
			return err
		}
		started = true
		return s.begin(ctx, tx, ro, who)
	})
	if err != nil {
		return tc.Rollout{}, err
	}
	if err := s.Reload(ctx); err != nil {
		return tc.Rollout{}, err
	}
	if started {
		s.analyze(ctx)
		s.transitioned("start")
	} else {
		s.transitioned("queue")
	}
	return s.Get(ctx, ro.ID)
}

// begin turns a queued rollout into a running one at stage 0 (in tx).
func (s *Service) begin(ctx context.Context, tx *store.Store, ro *store.RolloutRow, who string) error {
	row, err := tx.ConfigByID(ctx, ro.ConfigID)
	if err != nil {
		return err
	}
	if ro.ToVersion == row.Version {
		return tc.Errorf(tc.EInvalid, "version %d is already the current version of %q", ro.ToVersion, row.Name).With("field", "to")
	}
	now := s.nowMs()
	stages, _ := decodeStages(ro.Stages)
	members, err := stageMembers(ctx, tx, ro.ConfigID, stages[0], map[string]int{})
	if err != nil {
		return err
	}
	if err := tx.AddRolloutMembers(ctx, ro.ID, 0, members); err != nil {
		return err
	}
	glm, err := s.groupsLM(ctx, tx, ro.ConfigID)
	if err != nil {
		return err
	}
	cols := map[string]any{"state": tc.RolloutRunning, "stage": 0, "stage_started_ms": now, "from_version": row.Version,
		"lm_to": max(s.o.Now().Unix(), row.LastModified+1, glm), "updated_ms": now}
	if ok, err := tx.UpdateRollout(ctx, ro.ID, tc.RolloutQueued, 0, cols); err != nil || !ok {
		if err == nil {
			err = tc.Errorf(tc.EConflict, "rollout %s changed meanwhile", ro.ID)
		}
		return err
	}
	if err := tx.AddRolloutEvent(ctx, &store.RolloutEventRow{RolloutID: ro.ID, AtMs: now, Action: "start", State: tc.RolloutRunning, Stage: 0, Actor: who,
		Reason: fmt.Sprintf("version %d to %d; stage 1: %d agents", row.Version, ro.ToVersion, len(members))}); err != nil {
		return err
	}
	return tx.PublishChange(ctx, store.TopicRollouts)
}

// siblingBlock is a running or paused rollout of another config that
// shares a config group with a config, and that group.
type siblingBlock struct {
	ro    *store.RolloutRow
	group string
}

// siblingRollout returns the running or paused rollout of a config that
// shares a config group with configID (nil: none). Two rollouts reaching
// the same group cannot both be served: an agent's group Last-Modified is
// the newest of its member versions', so an agent that joins the older
// rollout's stage while it has the younger one's version would get
// another rendering under the same Last-Modified and never reload.
func (s *Service) siblingRollout(ctx context.Context, st *store.Store, configID string) (*siblingBlock, error) {
	groups, err := st.GroupsContaining(ctx, []string{configID})
	if err != nil || len(groups) == 0 {
		return nil, err
	}
	members, err := st.GroupMembers(ctx, groups)
	if err != nil {
		return nil, err
	}
	active, err := st.Rollouts(ctx, "", []string{tc.RolloutRunning, tc.RolloutPaused}, 0)
	if err != nil || len(active) == 0 {
		return nil, err
	}
	sort.Strings(groups)
	for _, g := range groups {
		for _, m := range members[g] {
			if m == configID {
				continue
			}
			for i := range active {
				if active[i].ConfigID == m {
					return &siblingBlock{ro: &active[i], group: g}, nil
				}
			}
		}
	}
	return nil, nil
}

// refuseSibling refuses to start a rollout of row while a config sharing
// a group with it is being rolled out (see siblingRollout).
func (s *Service) refuseSibling(ctx context.Context, st *store.Store, row *store.ConfigRow) error {
	b, err := s.siblingRollout(ctx, st, row.ID)
	if err != nil || b == nil {
		return err
	}
	gname := b.group
	if g, err := st.GroupByID(ctx, b.group); err == nil {
		gname = g.Name
	}
	return tc.Errorf(tc.EConflict, "config %q shares the config group %q with config %q, which is being rolled out (rollout %s, %s): one rollout per group at a time; wait until it completes, abort it, or queue this one (queue=true, tcctl --queue) to start when it ends",
		row.Name, gname, b.ro.ConfigName, b.ro.ID, b.ro.State).With("rollout", b.ro.ID).With("group", b.group)
}

// GroupRolloutError is the answer to a rollout of a config group: groups
// have no versions; a rollout of a member config reaches the agents that
// fetch the group.
func GroupRolloutError(g tc.ConfigGroup) error {
	return tc.Errorf(tc.EInvalid, "%q is a config group, and groups have no versions: roll out one of its member configs instead (tcctl rollout start CONFIG --to VERSION); agents fetching the group are served that config's stages like its direct agents", g.Name).
		With("field", "config").With("group", g.ID)
}

// groupsLM is a Last-Modified past those of the config groups holding a
// config (0: none), for a rollout's new Last-Modified values: agents on a
// group are served the newest of the group's and the member version's
// (see configs.resolveGroupVersions), which must move whenever a stage
// starts, rolls back, resumes or is aborted. Two seconds past: a group
// changed during the rollout is served one second past its own.
func (s *Service) groupsLM(ctx context.Context, st *store.Store, configID string) (int64, error) {
	lm, err := st.MaxGroupLastModified(ctx, configID)
	if err != nil || lm == 0 {
		return 0, err
	}
	return lm + 2, nil
}

func duration(field, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, tc.Errorf(tc.EInvalid, "%s must be a duration such as 30s or 10m (got %q)", field, v).With("field", field)
	}
	return d, nil
}

// Resolve finds a rollout by ID, or the newest of a config (ID or alias).
func (s *Service) Resolve(ctx context.Context, ref string) (*store.RolloutRow, error) {
	if r, err := s.st.RolloutByID(ctx, ref); err == nil {
		return r, nil
	} else if !tc.IsCode(err, tc.ENotFound) {
		return nil, err
	}
	row, err := s.cfg.ConfigRow(ctx, ref)
	if err != nil {
		return nil, tc.Errorf(tc.ENotFound, "no rollout or config %q", ref)
	}
	if a, err := s.st.ActiveRollout(ctx, row.ID); err != nil || a != nil {
		return a, err
	}
	rows, err := s.st.Rollouts(ctx, row.ID, nil, 1)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, tc.Errorf(tc.ENotFound, "config %q has no rollouts (start one with tcctl rollout start %s --to VERSION)", row.Name, row.Name)
	}
	return &rows[0], nil
}

// Pause stops a running rollout where it is. Errors: not_found, conflict.
func (s *Service) Pause(ctx context.Context, who, ref, reason string) (tc.Rollout, error) {
	return s.act(ctx, who, ref, "pause", reason, func(tx *store.Store, ro *store.RolloutRow) (map[string]any, error) {
		if ro.State != tc.RolloutRunning {
			return nil, tc.Errorf(tc.EConflict, "rollout %s is %s, not running", ro.ID, ro.State)
		}
		if reason == "" {
			reason = "paused by " + who
		}
		return map[string]any{"state": tc.RolloutPaused, "reason": reason}, nil
	})
}

// Resume continues a paused rollout at its stage; a rolled-back stage is
// served the new version again (with a newer Last-Modified).
func (s *Service) Resume(ctx context.Context, who, ref, reason string) (tc.Rollout, error) {
	return s.act(ctx, who, ref, "resume", reason, func(tx *store.Store, ro *store.RolloutRow) (map[string]any, error) {
		if ro.State != tc.RolloutPaused {
			return nil, tc.Errorf(tc.EConflict, "rollout %s is %s, not paused", ro.ID, ro.State)
		}
		cols := map[string]any{"state": tc.RolloutRunning, "reason": "", "stage_started_ms": s.nowMs()}
		if ro.RolledBack {
			glm, err := s.groupsLM(ctx, tx, ro.ConfigID)
			if err != nil {
				return nil, err
			}
			cols["rolled_back"] = false
			cols["lm_to"] = max(s.o.Now().Unix(), ro.LmBack+1, glm)
		}
		return cols, nil
	})
}

// Abort ends a rollout and serves the old version to everybody (with a
// Last-Modified newer than any served during the rollout).
func (s *Service) Abort(ctx context.Context, who, ref, reason string) (tc.Rollout, error) {
	return s.act(ctx, who, ref, "abort", reason, func(tx *store.Store, ro *store.RolloutRow) (map[string]any, error) {
		if ro.State == tc.RolloutQueued {
			return map[string]any{"state": tc.RolloutAborted, "finished_ms": s.nowMs(), "reason": reason}, nil
		}
		if ro.State != tc.RolloutRunning && ro.State != tc.RolloutPaused {
			return nil, tc.Errorf(tc.EConflict, "rollout %s is %s already", ro.ID, ro.State)
		}
		row, err := tx.ConfigByID(ctx, ro.ConfigID)
		if err != nil {
			return nil, err
		}
		glm, err := s.groupsLM(ctx, tx, ro.ConfigID)
		if err != nil {
			return nil, err
		}
		lm := max(s.o.Now().Unix(), row.LastModified+1, ro.LmTo+1, ro.LmBack+1, glm)
		if err := tx.SetConfigServing(ctx, row.ID, row.Version, row.TOML, lm); err != nil {
			return nil, err
		}
		if err := tx.PublishChange(ctx, store.TopicConfigs); err != nil {
			return nil, err
		}
		return map[string]any{"state": tc.RolloutAborted, "finished_ms": s.nowMs(), "reason": reason}, nil
	})
}

func (s *Service) act(ctx context.Context, who, ref, action, reason string, fn func(tx *store.Store, ro *store.RolloutRow) (map[string]any, error)) (tc.Rollout, error) {
	ro, err := s.Resolve(ctx, ref)
	if err != nil {
		return tc.Rollout{}, err
	}
	if action == "abort" && s.leader() {
		// An abort starts the queued rollouts it frees (below), in the
		// same API request: the lock they take comes first.
		if err := s.st.LockRolloutGroups(ctx); err != nil {
			return tc.Rollout{}, err
		}
	}
	var cols map[string]any
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		cur, err := tx.RolloutByID(ctx, ro.ID)
		if err != nil {
			return err
		}
		if cols, err = fn(tx, cur); err != nil {
			return err
		}
		cols["updated_ms"] = s.nowMs()
		if ok, err := tx.UpdateRollout(ctx, cur.ID, cur.State, cur.Stage, cols); err != nil || !ok {
			if err == nil {
				err = tc.Errorf(tc.EConflict, "rollout %s changed meanwhile; try again", cur.ID)
			}
			return err
		}
		st, _ := cols["state"].(string)
		if err := tx.AddRolloutEvent(ctx, &store.RolloutEventRow{RolloutID: cur.ID, AtMs: s.nowMs(), Action: action, State: st, Stage: cur.Stage, Actor: who, Reason: reason}); err != nil {
			return err
		}
		return tx.PublishChange(ctx, store.TopicRollouts)
	})
	if err != nil {
		return tc.Rollout{}, err
	}
	s.cfg.DropCache()
	// Within an API request the change commits later, with its audit
	// entry: drop again then, or a poll in between caches the config as
	// it was (as configs.Service.write does).
	store.AfterCommit(ctx, s.cfg.DropCache)
	if err := s.Reload(ctx); err != nil {
		return tc.Rollout{}, err
	}
	s.transitioned(action)
	if action == "pause" {
		s.publish(ctx, tc.EventRolloutPaused, ro, fmt.Sprintf("paused at stage %d: %s", ro.Stage+1, cols["reason"]))
	}
	if action == "abort" && s.leader() {
		s.startQueued(ctx)
	}
	return s.Get(ctx, ro.ID)
}

func (s *Service) leader() bool { return s.o.Leader == nil || s.o.Leader() }

func (s *Service) transitioned(action string) {
	if s.o.OnTransition != nil {
		s.o.OnTransition(action)
	}
}

func (s *Service) publish(ctx context.Context, kind string, ro *store.RolloutRow, summary string) {
	if s.o.Publisher == nil {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e := notify.Event{Kind: kind, SubjectID: ro.ID, SubjectName: fmt.Sprintf("%s v%d→v%d", ro.ConfigName, ro.FromVersion, ro.ToVersion),
		ConfigIDs: []string{ro.ConfigID}, Summary: summary}
	if err := s.o.Publisher.Publish(pctx, e); err != nil {
		s.log.Warn("publishing a rollout notification event failed", "rollout", ro.ID, "event", kind, "err", err)
	}
}

func (s *Service) audit(ctx context.Context, action string, ro *store.RolloutRow, outcome string) {
	if s.o.Audit == nil {
		return
	}
	s.o.Audit(ctx, tc.AuditEntry{Actor: "tcd", Action: "rollout." + action, Target: "rollout " + ro.ID + " (config " + ro.ConfigName + ")", Outcome: outcome})
}

// Run evaluates the running rollouts every interval while this node leads.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !s.leader() {
				continue
			}
			if err := s.Evaluate(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("evaluating rollouts failed; retrying at the next interval", "err", err)
			}
		}
	}
}

// Evaluate checks the gate of every running rollout once and moves those
// whose gate passed or failed; then starts queued rollouts whose config is
// free. Each rollout is evaluated on its own: one that fails (logged with
// its ID) holds up neither the others nor the queued starts; Evaluate
// returns every failure, joined.
func (s *Service) Evaluate(ctx context.Context) error {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	rows, err := s.st.Rollouts(ctx, "", []string{tc.RolloutRunning}, 0)
	if err != nil {
		return err
	}
	var errs []error
	for i := range rows {
		ro := &rows[i]
		if err := s.evaluateOne(ctx, ro); err != nil {
			if ctx.Err() != nil {
				return errors.Join(append(errs, err)...)
			}
			s.log.Warn("evaluating a rollout failed; it is evaluated again at the next interval", "rollout", ro.ID, "config", ro.ConfigName, "stage", ro.Stage+1, "err", err)
			errs = append(errs, fmt.Errorf("rollout %s (config %s): %w", ro.ID, ro.ConfigName, err))
		}
	}
	s.startQueued(ctx)
	return errors.Join(errs...)
}

// GateResult is one evaluation of a stage's gate.
type GateResult struct {
	Members, Fetched, Healthy, Failed int
	Pass                              bool
	Fail                              string
}

// Gate evaluates the current stage of a running rollout.
func (s *Service) Gate(ctx context.Context, ro *store.RolloutRow) (GateResult, error) {
	p, err := s.progress(ctx, ro, ro.Stage)
	if err != nil {
		return GateResult{}, err
	}
	now := s.nowMs()
	switch {
	case p.Failed > ro.MaxFailures:
		p.Fail = fmt.Sprintf("%d of %d agents of stage %d report fail or stopped reporting after fetching version %d (at most %d allowed)", p.Failed, p.Members, ro.Stage+1, ro.ToVersion, ro.MaxFailures)
	case p.Healthy == p.Members && now >= ro.StageStartedMs+ro.WaitMs:
		p.Pass = true
	case ro.TimeoutMs > 0 && now > ro.StageStartedMs+ro.TimeoutMs:
		p.Fail = fmt.Sprintf("timeout: %d of %d agents of stage %d fetched version %d and sent %d heartbeats within %s", p.Healthy, p.Members, ro.Stage+1, ro.ToVersion, ro.Heartbeats, time.Duration(ro.TimeoutMs)*time.Millisecond)
	}
	return p, nil
}

// progress counts a stage's agents that fetched the new version, are
// healthy since (K heartbeats) and failed: one statement in the database.
func (s *Service) progress(ctx context.Context, ro *store.RolloutRow, stage int) (GateResult, error) {
	c, err := s.st.RolloutGate(ctx, ro.ID, stage, ro.ConfigID, ro.ToVersion, ro.LmTo, ro.Heartbeats)
	if err != nil {
		return GateResult{}, err
	}
	return GateResult{Members: c.Members, Fetched: c.Fetched, Healthy: c.Healthy, Failed: c.Failed}, nil
}

func (s *Service) evaluateOne(ctx context.Context, ro *store.RolloutRow) error {
	g, err := s.Gate(ctx, ro)
	if err != nil {
		return err
	}
	switch {
	case g.Fail != "":
		return s.failStage(ctx, ro, g.Fail)
	case g.Pass:
		all, err := s.st.RolloutMembers(ctx, []string{ro.ID})
		if err != nil {
			return err
		}
		return s.advance(ctx, ro, all[ro.ID])
	}
	return nil
}

func (s *Service) failStage(ctx context.Context, ro *store.RolloutRow, reason string) error {
	cols := map[string]any{"state": tc.RolloutPaused, "reason": reason, "updated_ms": s.nowMs()}
	action := "pause"
	if ro.AutoRollback {
		action = "rollback"
		cols["rolled_back"] = true
		glm, err := s.groupsLM(ctx, s.st, ro.ConfigID)
		if err != nil {
			return err
		}
		cols["lm_back"] = max(s.o.Now().Unix(), ro.LmTo+1, glm)
	}
	ok, err := s.transition(ctx, ro, cols, action, reason, nil)
	if err != nil || !ok {
		return err
	}
	s.log.Warn("rollout paused: its gate failed", "rollout", ro.ID, "config", ro.ConfigName, "stage", ro.Stage+1, "reason", reason, "rolled_back", ro.AutoRollback)
	s.publish(ctx, tc.EventRolloutPaused, ro, reason)
	if ro.AutoRollback {
		s.publish(ctx, tc.EventRolloutRolledBack, ro, fmt.Sprintf("stage %d served version %d again: %s", ro.Stage+1, ro.FromVersion, reason))
	}
	return nil
}

func (s *Service) advance(ctx context.Context, ro *store.RolloutRow, members map[string]int) error {
	stages, err := decodeStages(ro.Stages)
	if err != nil {
		return err
	}
	now := s.nowMs()
	if ro.Stage+1 >= len(stages) {
		ok, err := s.transition(ctx, ro, map[string]any{"state": tc.RolloutCompleted, "finished_ms": now, "updated_ms": now, "reason": ""}, "complete",
			fmt.Sprintf("every stage passed; version %d is current", ro.ToVersion), func(tx *store.Store) error {
				row, err := tx.ConfigByID(ctx, ro.ConfigID)
				if err != nil {
					return err
				}
				v, err := tx.Version(ctx, ro.ConfigID, ro.ToVersion)
				if err != nil {
					return err
				}
				if err := tx.SetConfigServing(ctx, row.ID, ro.ToVersion, v.TOML, max(row.LastModified, ro.LmTo)); err != nil {
					return err
				}
				return tx.PublishChange(ctx, store.TopicConfigs)
			})
		if err != nil || !ok {
			return err
		}
		s.log.Info("rollout completed", "rollout", ro.ID, "config", ro.ConfigName, "version", ro.ToVersion)
		s.publish(ctx, tc.EventRolloutCompleted, ro, fmt.Sprintf("version %d is current", ro.ToVersion))
		return nil
	}
	next := ro.Stage + 1
	var joined int
	_, err = s.transition(ctx, ro, map[string]any{"stage": next, "stage_started_ms": now, "updated_ms": now}, "advance", "", func(tx *store.Store) error {
		existing := make(map[string]int, len(members))
		for k, v := range members {
			existing[k] = v
		}
		ids, err := stageMembers(ctx, tx, ro.ConfigID, stages[next], existing)
		if err != nil {
			return err
		}
		joined = len(ids)
		return tx.AddRolloutMembers(ctx, ro.ID, next, ids)
	})
	if err == nil {
		s.analyze(ctx)
		s.log.Info("rollout advanced", "rollout", ro.ID, "config", ro.ConfigName, "stage", next+1, "agents", joined)
	}
	return err
}

// analyze refreshes planner statistics after stage membership changed.
func (s *Service) analyze(ctx context.Context) {
	if err := s.st.AnalyzeRollouts(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("refreshing planner statistics of rollout tables failed", "err", err)
	}
}

// transition applies a leader's change if the rollout is still where it
// was evaluated; extra runs in the same transaction.
func (s *Service) transition(ctx context.Context, ro *store.RolloutRow, cols map[string]any, action, reason string, extra func(tx *store.Store) error) (bool, error) {
	var ok bool
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		if ok, err = tx.UpdateRollout(ctx, ro.ID, ro.State, ro.Stage, cols); err != nil || !ok {
			return err
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		st, _ := cols["state"].(string)
		if st == "" {
			st = ro.State
		}
		stage := ro.Stage
		if n, has := cols["stage"].(int); has {
			stage = n
		}
		if err := tx.AddRolloutEvent(ctx, &store.RolloutEventRow{RolloutID: ro.ID, AtMs: s.nowMs(), Action: action, State: st, Stage: stage, Actor: "tcd", Reason: reason}); err != nil {
			return err
		}
		return tx.PublishChange(ctx, store.TopicRollouts)
	})
	if err != nil || !ok {
		return ok, err
	}
	s.cfg.DropCache()
	store.AfterCommit(ctx, s.cfg.DropCache)
	if err := s.Reload(ctx); err != nil {
		return true, err
	}
	s.transitioned(action)
	s.audit(ctx, action, ro, reason)
	return true, nil
}

// errBusy keeps a queued rollout queued while its config, or a config
// sharing a group with it, is being rolled out.
var errBusy = errors.New("the config or a config sharing a group with it is being rolled out")

// startQueued starts the oldest queued rollout of every config that has
// none running or paused.
func (s *Service) startQueued(ctx context.Context) {
	queued, err := s.st.Rollouts(ctx, "", []string{tc.RolloutQueued}, 0)
	if err != nil || len(queued) == 0 {
		return
	}
	sort.Slice(queued, func(i, j int) bool { return queued[i].CreatedMs < queued[j].CreatedMs })
	seen := map[string]bool{}
	for i := range queued {
		ro := &queued[i]
		if seen[ro.ConfigID] {
			continue
		}
		seen[ro.ConfigID] = true
		err := s.st.Tx(ctx, func(tx *store.Store) error {
			if err := tx.LockRolloutGroups(ctx); err != nil {
				return err
			}
			// Still busy: it stays queued (not started, not audited).
			if a, err := tx.ActiveRollout(ctx, ro.ConfigID); err != nil || a != nil {
				if err == nil {
					err = errBusy
				}
				return err
			}
			if b, err := s.siblingRollout(ctx, tx, ro.ConfigID); err != nil || b != nil {
				if err == nil {
					err = errBusy
				}
				return err
			}
			return s.begin(ctx, tx, ro, "tcd")
		})
		if err == errBusy {
			continue // it starts when the rollout of its config or group ends
		}
		if err != nil {
			s.log.Warn("starting a queued rollout failed", "rollout", ro.ID, "err", err)
			if tc.IsCode(err, tc.EInvalid) {
				_, _ = s.st.UpdateRollout(ctx, ro.ID, tc.RolloutQueued, 0, map[string]any{"state": tc.RolloutAborted, "reason": err.Error(), "finished_ms": s.nowMs()})
			}
			continue
		}
		_ = s.Reload(ctx)
		s.analyze(ctx)
		s.transitioned("start")
		s.audit(ctx, "start", ro, "queued rollout started")
	}
}

// Get returns a rollout with the progress of every stage.
func (s *Service) Get(ctx context.Context, ref string) (tc.Rollout, error) {
	ro, err := s.Resolve(ctx, ref)
	if err != nil {
		return tc.Rollout{}, err
	}
	return s.view(ctx, ro, true)
}

// List returns rollouts, newest first (of one config when ref is set).
func (s *Service) List(ctx context.Context, ref string, active bool, limit int) ([]tc.Rollout, error) {
	cid := ""
	if ref != "" {
		row, err := s.cfg.ConfigRow(ctx, ref)
		if err != nil {
			return nil, err
		}
		cid = row.ID
	}
	var states []string
	if active {
		states = []string{tc.RolloutQueued, tc.RolloutRunning, tc.RolloutPaused}
	}
	rows, err := s.st.Rollouts(ctx, cid, states, limit)
	if err != nil {
		return nil, err
	}
	out := make([]tc.Rollout, 0, len(rows))
	for i := range rows {
		v, err := s.view(ctx, &rows[i], active)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) view(ctx context.Context, ro *store.RolloutRow, detail bool) (tc.Rollout, error) {
	stages, _ := decodeStages(ro.Stages)
	out := tc.Rollout{ID: ro.ID, ConfigID: ro.ConfigID, ConfigName: ro.ConfigName, From: ro.FromVersion, To: ro.ToVersion, State: ro.State,
		Stage: ro.Stage, Heartbeats: ro.Heartbeats, MaxFailures: ro.MaxFailures, Wait: dur(ro.WaitMs), Timeout: dur(ro.TimeoutMs),
		AutoRollback: ro.AutoRollback, RolledBack: ro.RolledBack, Reason: ro.Reason, CreatedBy: ro.CreatedBy,
		CreatedAt: time.UnixMilli(ro.CreatedMs).UTC(), UpdatedAt: time.UnixMilli(ro.UpdatedMs).UTC(),
		StageStartedAt: time.UnixMilli(ro.StageStartedMs).UTC(), Stages: []tc.RolloutStageStatus{}, Events: []tc.RolloutEvent{}}
	if ro.FinishedMs != nil {
		t := time.UnixMilli(*ro.FinishedMs).UTC()
		out.FinishedAt = &t
	}
	var members map[string]int
	if detail {
		all, err := s.st.RolloutMembers(ctx, []string{ro.ID})
		if err != nil {
			return out, err
		}
		members = all[ro.ID]
	}
	for i, st := range stages {
		ss := tc.RolloutStageStatus{Index: i, Stage: st, State: "pending", Members: []string{}}
		switch {
		case ro.State == tc.RolloutCompleted || i < ro.Stage:
			ss.State = "passed"
		case ro.State == tc.RolloutAborted && i == ro.Stage:
			ss.State = "aborted"
		case i == ro.Stage && ro.State == tc.RolloutRunning:
			ss.State = "running"
		case i == ro.Stage && ro.State == tc.RolloutPaused && ro.RolledBack:
			ss.State = "rolled_back"
		case i == ro.Stage && ro.State == tc.RolloutPaused:
			ss.State = "paused"
		}
		if detail && ro.State != tc.RolloutQueued && i <= ro.Stage {
			var ids []string
			for id, n := range members {
				if n == i {
					ids = append(ids, id)
				}
			}
			sort.Strings(ids)
			p, err := s.progress(ctx, ro, i)
			if err != nil {
				return out, err
			}
			ss.Agents, ss.Fetched, ss.Healthy, ss.Failed = p.Members, p.Fetched, p.Healthy, p.Failed
			ss.Members = ids[:min(len(ids), 1000)]
			if ss.Members == nil {
				ss.Members = []string{}
			}
		}
		out.Stages = append(out.Stages, ss)
	}
	if detail {
		evs, err := s.st.RolloutEvents(ctx, ro.ID)
		if err != nil {
			return out, err
		}
		for _, e := range evs {
			out.Events = append(out.Events, tc.RolloutEvent{At: time.UnixMilli(e.AtMs).UTC(), Action: e.Action, State: e.State, Stage: e.Stage, Actor: e.Actor, Reason: e.Reason})
		}
	}
	return out, nil
}

func dur(ms int64) string {
	if ms == 0 {
		return "0s"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}

// Counts returns how many rollouts are in each state (metrics).
func (s *Service) Counts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string
		N     int
	}
	err := s.st.Gorm(ctx).Raw("SELECT state, COUNT(*) AS n FROM rollouts GROUP BY state").Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, err
}

// ActiveStages returns the current stage (1-based) of each active rollout
// by config name (metrics).
func (s *Service) ActiveStages() map[string]int {
	out := map[string]int{}
	for cid, a := range s.snap.Load().byConfig {
		out[cid] = a.stage + 1
	}
	return out
}

func joinIDs(ids []string) string { return strings.Join(ids, ",") }
