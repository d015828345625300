package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/version"
	"github.com/opentc/tc/pkg/tc"
)

// notifyComponent is notifications: rules evaluated after each scheduler
// tick on the leader, the outbox delivered by the leader, the API.
type notifyComponent struct {
	*api.NotifyAPI
	svc    *notify.Service
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tc_notifications_sent_total",
			Help: "Notification delivery attempts by receiver and outcome (success, retry, failed)."}, []string{"receiver", "outcome"})
		m.metrics.Registry.MustRegister(sent)
		ver, _ := version.Info()
		svc := notify.New(m.store, notify.Options{Now: m.Now, Logger: m.Logger, Leader: m.IsLeader,
			RetryInitial: m.Config.NotifyRetryInitial, RetryMax: m.Config.NotifyRetryMax, GiveUpAfter: m.Config.NotifyGiveUpAfter,
			UserAgent:  "tcd/" + ver,
			OnDelivery: func(receiver, outcome string) { sent.WithLabelValues(receiver, outcome).Inc() }})
		m.metrics.Gauge("tc_notifications_queue_depth", "Notifications waiting in the outbox for delivery (or a retry).", func() float64 {
			qctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n, err := svc.QueueDepth(qctx)
			if err != nil {
				return -1
			}
			return float64(n)
		})
		m.notify = svc
		if m.advisories != nil {
			// "A new advisory matches the fleet": one event per advisory,
			// stored durably at once (the hook must not block).
			m.advisories.SetFleetMatchHook(func(ctx context.Context, matched []tc.Advisory) {
				pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				for _, a := range matched {
					e := notify.Event{Kind: tc.EventAdvisoryMatched, SubjectID: a.ID, SubjectName: a.Summary,
						Summary: fmt.Sprintf("severity %s, %d agents affected", orUnknown(a.Severity), a.AgentsAffected)}
					if err := svc.Publish(pctx, e); err != nil {
						m.Logger.Warn("publishing an advisory notification event failed", "advisory", a.ID, "err", err)
					}
				}
			})
		}
		if m.scheduler != nil {
			// The tick aggregates the silent fleet for the not_reporting
			// rules from the scan it makes anyway.
			m.scheduler.SilentSpec = svc.SilentSpec
			m.scheduler.AfterTick = func(ctx context.Context, t agents.TickInfo) {
				tick := &notify.Tick{Spec: t.Spec, PrevMs: t.SinceMs, Rows: t.Result.Silent, Version: t.Result.SilentVersion}
				if res, err := svc.EvaluateTick(ctx, t.Now, tick); err != nil && ctx.Err() == nil {
					m.Logger.Warn("evaluating notification rules failed; retrying at the next tick", "err", err)
				} else if res.Notifications > 0 {
					m.Logger.Info("notifications decided", "notifications", res.Notifications)
				}
			}
		}
		c := &notifyComponent{NotifyAPI: api.NewNotifyAPI(svc), svc: svc}
		bg, cancel := context.WithCancel(context.Background())
		c.cancel = cancel
		c.wg.Add(1)
		go func() { defer c.wg.Done(); svc.Run(bg) }()
		return c, nil
	})
}

// Close stops the sender (an attempt in flight is abandoned and retried at
// the next start).
func (c *notifyComponent) Close() error {
	c.cancel()
	c.wg.Wait()
	return nil
}

// Notifier returns the notifications service: other features report
// events through its Publish (notify.Publisher).
func (m *Main) Notifier() *notify.Service { return m.notify }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
