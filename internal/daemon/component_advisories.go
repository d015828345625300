package daemon

import (
	"context"
	"time"

	"github.com/opentc/tc/internal/advisories"
	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/version"
	"github.com/opentc/tc/pkg/tc"
)

// advisoriesComponent is exposure: OSV advisories matched against the
// agents' versions, their API, and the optional periodic feed fetch.
type advisoriesComponent struct {
	*api.AdvisoriesAPI
	svc  *advisories.Service
	stop context.CancelFunc
	done chan struct{}
}

const defaultAdvisoryFeedInterval = 24 * time.Hour

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		v, _ := version.Info()
		svc := advisories.New(m.store, advisories.Options{Logger: m.Logger, Now: m.Now, TCDVersion: v})
		m.advisories = svc
		c := &advisoriesComponent{AdvisoriesAPI: api.NewAdvisoriesAPI(svc), svc: svc}
		m.advisoriesComp = c
		return c, nil
	})
}

// connectAdvisories runs once every feature is built (and its hooks set):
// agents learn their advisories, the exposure metrics are registered, and
// the feed fetch starts (on the leader only, when a URL is configured).
func (m *Main) connectAdvisories() {
	c := m.advisoriesComp
	if c == nil {
		return
	}
	if m.agents != nil {
		m.agents.SetExposure(c.svc)
	}
	if m.metrics != nil {
		m.metrics.RegisterAgentsExposed(tc.Severities, c.svc.ExposedBySeverity)
		m.metrics.Gauge("tcd_advisory_feed_last_success_timestamp_seconds", "When the advisory feed (advisory-feed-url) was last fetched and imported successfully, in Unix seconds; 0 = never.",
			func() float64 {
				t, _ := c.svc.FeedStats()
				if t.IsZero() {
					return 0
				}
				return float64(t.UnixMilli()) / 1000
			})
		m.metrics.CounterFunc("tcd_advisory_feed_failures_total", "Advisory feed fetches that failed (unreachable, an HTTP error, a malformed file).", nil,
			func() float64 { _, n := c.svc.FeedStats(); return float64(n) })
	}
	if u := m.Config.AdvisoryFeedURL; u != "" {
		interval := m.Config.AdvisoryFeedInterval
		if interval <= 0 {
			interval = defaultAdvisoryFeedInterval
		}
		v, _ := version.Info()
		fctx, cancel := context.WithCancel(context.Background())
		c.stop, c.done = cancel, make(chan struct{})
		go func() {
			defer close(c.done)
			c.svc.RunFeed(fctx, advisories.FeedOptions{URL: u, Interval: interval, IsLeader: m.IsLeader, UserAgent: "tcd/" + v})
		}()
		m.Logger.Info("advisory feed enabled", "url", redactURL(u), "interval", interval)
	}
}

// Close stops the feed fetch.
func (c *advisoriesComponent) Close() error {
	if c.stop != nil {
		c.stop()
		<-c.done
	}
	return nil
}

// Advisories returns the advisories service (a notifier sets its
// FleetMatchHook).
func (m *Main) Advisories() *advisories.Service { return m.advisories }
