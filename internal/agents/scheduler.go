package agents

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/store"
)

// HistoryRetention is how long statistics history is kept (the newest
// record of each agent is always kept).
const HistoryRetention = 24 * time.Hour

// Scheduler evaluates reporting rules every interval: deletion after a
// rule's auto-delete threshold and history pruning, each tick one
// transaction of set-based statements. not_reporting needs no tick: the
// store derives it from the last heartbeat whenever an agent is read; a
// tick counts the agents that turned not_reporting since the previous one.
type Scheduler struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	leader   func() bool

	// OnTick, if set before Run, observes every successful tick (metrics).
	OnTick func(res store.TickResult, took time.Duration)
	// AfterTick, if set before Run, runs after every successful tick that
	// another node did not skip (notification rules are evaluated there).
	AfterTick func(ctx context.Context, t TickInfo)
	// SilentSpec, if set before Run, names before each tick the silent
	// fleet the tick aggregates for AfterTick from its own scan of the
	// agents (nil: none).
	SilentSpec func() *store.SilentSpec

	ticks        atomic.Int64
	lastDuration atomic.Int64
	lastTickMs   atomic.Int64 // clock time of the previous successful tick
}

// NewScheduler returns a scheduler; leader reports whether this node runs it.
func NewScheduler(st *store.Store, log *slog.Logger, now func() time.Time, interval time.Duration, leader func() bool) *Scheduler {
	return &Scheduler{st: st, log: log, now: now, interval: interval, leader: leader}
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.leader != nil && !s.leader() {
				continue
			}
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("scheduler tick failed; retrying next interval", "err", err)
			}
		}
	}
}

// TickInfo describes a tick to AfterTick.
type TickInfo struct {
	// Now is the tick's clock time, SinceMs the previous tick's (what the
	// tick counted transitions against).
	Now     time.Time
	SinceMs int64
	// Spec is what SilentSpec returned, Result.Silent its rows (nil when
	// the tick did not aggregate).
	Spec   *store.SilentSpec
	Result store.TickResult
}

// Tick runs one evaluation now.
func (s *Scheduler) Tick(ctx context.Context) (store.TickResult, error) {
	start := time.Now()
	now := s.now()
	since := s.lastTickMs.Load()
	if since == 0 || since > now.UnixMilli() {
		since = now.Add(-s.interval).UnixMilli()
	}
	var spec *store.SilentSpec
	if s.SilentSpec != nil {
		spec = s.SilentSpec()
	}
	res, err := s.st.SchedulerTickSilent(ctx, since, now.UnixMilli(), now.Add(-HistoryRetention).UnixMilli(), spec)
	if err == nil && !res.Skipped {
		s.lastTickMs.Store(now.UnixMilli())
	}
	d := time.Since(start)
	s.lastDuration.Store(int64(d))
	s.ticks.Add(1)
	if err == nil && s.OnTick != nil {
		s.OnTick(res, d)
	}
	if err == nil && (res.NotReporting > 0 || res.Deleted > 0) {
		s.log.Info("reporting rules evaluated", "not_reporting", res.NotReporting, "auto_deleted", res.Deleted, "pruned", res.Pruned, "took", d)
	}
	if err == nil && !res.Skipped && s.AfterTick != nil {
		s.AfterTick(ctx, TickInfo{Now: now, SinceMs: since, Spec: spec, Result: res})
	}
	return res, err
}

// Ticks returns how many ticks ran; LastDuration how long the last took.
func (s *Scheduler) Ticks() int64 { return s.ticks.Load() }

// LastDuration returns the duration of the last tick.
func (s *Scheduler) LastDuration() time.Duration { return time.Duration(s.lastDuration.Load()) }
