package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/pkg/tc"
)

// rolloutsComponent is who runs what (the served-version recorder) and
// staged rollouts (gates evaluated by the leader).
type rolloutsComponent struct {
	*api.RolloutsAPI
	svc    *rollouts.Service
	rec    *rollouts.Recorder
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		if m.configs == nil {
			return nil, nil
		}
		c := m.Config
		transitions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tc_rollout_transitions_total",
			Help: "Rollout transitions by action (start, queue, advance, complete, pause, rollback, resume, abort)."}, []string{"action"})
		m.metrics.Registry.MustRegister(transitions)
		o := rollouts.Options{Now: m.Now, Logger: m.Logger, Leader: m.IsLeader, Interval: c.RolloutInterval, WatchInterval: c.AgentWatchInterval,
			OnTransition: func(action string) { transitions.WithLabelValues(action).Inc() },
			Audit: func(ctx context.Context, e tc.AuditEntry) {
				if m.audit != nil {
					m.audit.Record(ctx, e)
				}
			}}
		if m.notify != nil {
			o.Publisher = m.notify
		}
		svc := rollouts.New(m.store, m.configs, o)
		if err := svc.Reload(ctx); err != nil {
			return nil, err
		}
		rec := rollouts.NewRecorder(m.store, m.Logger, m.Now, c.ServedFlushInterval, 0)
		// Fetch and poll times are kept to two watch intervals (at least
		// 30 s): finer than "stale" (three), and a steady fleet's polls are
		// mostly not written again.
		watch := c.AgentWatchInterval
		if watch <= 0 {
			watch = time.Minute
		}
		rec.Granularity = max(30*time.Second, 2*watch)
		m.configs.SetRollouts(svc, rec)
		m.rollouts = svc
		m.metrics.RegisterCounts("tc_rollouts", "Rollouts by state.", "state", tc.RolloutStates, svc.Counts)
		var (
			mu     sync.Mutex
			at     time.Time
			counts map[string]int
		)
		// Derived states read every served record: computed at most every 30 s.
		m.metrics.RegisterCounts("tc_agents_config_state", "Agents by derived config state (who runs what), refreshed at most every 30 s.", "state", tc.ConfigStates,
			func(ctx context.Context) (map[string]int, error) {
				mu.Lock()
				defer mu.Unlock()
				if counts != nil && time.Since(at) < 30*time.Second {
					return counts, nil
				}
				n, err := svc.StateCounts(ctx)
				if err == nil {
					counts, at = n, time.Now()
				}
				return n, err
			})
		m.metrics.CounterFunc("tc_rollout_served_records_written_total", "Served-version records written (coalesced per agent and config per flush).", nil,
			func() float64 { w, _, _ := rec.Stats(); return float64(w) })
		m.metrics.CounterFunc("tc_rollout_served_records_dropped_total", "Served-version records dropped because too many were pending.", nil,
			func() float64 { _, d, _ := rec.Stats(); return float64(d) })
		m.metrics.CounterFunc("tc_rollout_served_records_skipped_total", "Served-version records not written again because they only moved a last fetch or poll time by less than two watch intervals (agent-watch-interval, at least 30 s).", nil,
			func() float64 { return float64(rec.Skipped()) })
		m.metrics.Gauge("tc_rollout_active_stages", "Sum over running and paused rollouts of their current stage number (1-based).", func() float64 {
			n := 0
			for _, s := range svc.ActiveStages() {
				n += s
			}
			return float64(n)
		})
		comp := &rolloutsComponent{RolloutsAPI: api.NewRolloutsAPI(svc), svc: svc, rec: rec}
		bg, cancel := context.WithCancel(context.Background())
		comp.cancel = cancel
		comp.wg.Add(2)
		go func() { defer comp.wg.Done(); rec.Run(bg) }()
		go func() { defer comp.wg.Done(); svc.Run(bg) }()
		return comp, nil
	})
}

// Close stops the gate evaluation and writes the pending served records.
func (c *rolloutsComponent) Close() error {
	c.cancel()
	c.wg.Wait()
	return nil
}

// Rollouts returns the rollouts service.
func (m *Main) Rollouts() *rollouts.Service { return m.rollouts }

// ServedRecorder returns the served-version recorder of this node (tests flush it).
func (m *Main) ServedRecorder() *rollouts.Recorder {
	for _, c := range m.components {
		if rc, ok := c.(*rolloutsComponent); ok {
			return rc.rec
		}
	}
	return nil
}
