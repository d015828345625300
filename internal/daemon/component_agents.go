package daemon

import (
	"context"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/api"
)

// agentsComponent is the fleet: heartbeat writer and the agents and
// reporting-rules API. Run builds the heartbeat listener and starts the
// scheduler.
type agentsComponent struct {
	*api.AgentsAPI
	svc *agents.Service
}

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		svc, err := agents.NewService(ctx, m.store, agents.Options{Logger: m.Logger, Now: m.Now, MaxBatch: m.Config.HeartbeatBatch})
		if err != nil {
			return nil, err
		}
		interval := m.Config.SchedulerInterval
		if interval <= 0 {
			interval = defaultSchedulerInterval
		}
		m.agents = svc
		// Run starts the scheduler once everything is wired.
		m.scheduler = agents.NewScheduler(m.store, m.Logger, m.Now, interval, m.IsLeader)
		return &agentsComponent{AgentsAPI: api.NewAgentsAPI(svc), svc: svc}, nil
	})
}

// Close flushes queued heartbeats (the listeners are already closed).
func (c *agentsComponent) Close() error { return c.svc.Close() }
