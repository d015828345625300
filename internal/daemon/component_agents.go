package daemon

import (
	"context"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/api"
)

// agentsComponent is the fleet: heartbeat writer, scheduler and the
// agents/reporting-rules API. The heartbeat listener itself is built by Run.
type agentsComponent struct {
	*api.AgentsAPI
	svc    *agents.Service
	cancel context.CancelFunc
	done   chan struct{}
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
		m.scheduler = agents.NewScheduler(m.store, m.Logger, m.Now, interval, func() bool { return true })
		runCtx, cancel := context.WithCancel(context.Background())
		c := &agentsComponent{AgentsAPI: api.NewAgentsAPI(svc), svc: svc, cancel: cancel, done: make(chan struct{})}
		go func() { defer close(c.done); m.scheduler.Run(runCtx) }()
		return c, nil
	})
}

func (c *agentsComponent) Close() error {
	c.cancel()
	<-c.done
	return c.svc.Close()
}
