package daemon

import (
	"context"
	"time"

	"github.com/opentc/tc/internal/cluster"
	"github.com/opentc/tc/internal/store"

	"github.com/opentc/tc/internal/configs"
)

// connectFeatures lets the features use each other once all are built:
// the config delete guard counts reporting agents, and heartbeats resolve
// the config URLs agents report to managed configs and groups.
func (m *Main) connectFeatures() {
	if m.configs == nil || m.agents == nil {
		return
	}
	m.configs.SetUsage(m.agents)
	m.agents.SetResolver(configResolver{m.configs})
	if m.rollouts != nil {
		m.agents.SetServing(m.rollouts)
	}
}

// IsLeader reports whether this node runs the leader-only work (always true
// on SQLite).
func (m *Main) IsLeader() bool {
	if m.elector == nil {
		return true
	}
	return m.elector.IsLeader()
}

// startBus subscribes the caches to other nodes' changes (PostgreSQL only).
func (m *Main) startBus() {
	poll := m.Config.HAPoll
	m.bus = cluster.NewBus(m.store, m.Logger, poll)
	m.bus.Subscribe(store.TopicCredentials, m.auth.DropCache)
	m.bus.Subscribe(store.TopicSettings, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.auth.ReloadSettings(ctx); err != nil {
			m.Logger.Warn("reloading settings after a change on another node failed", "err", err)
		}
	})
	if m.configs != nil {
		m.bus.Subscribe(store.TopicConfigs, m.configs.DropCache)
	}
	if m.advisories != nil {
		m.bus.Subscribe(store.TopicAdvisories, m.advisories.DropCache)
	}
	if m.rollouts != nil {
		m.bus.Subscribe(store.TopicRollouts, m.rollouts.DropCache)
	}
	m.bus.Start()
}

// configResolver adapts the configs service to agents.ConfigResolver.
type configResolver struct{ svc *configs.Service }

func (r configResolver) ResolveConfig(ctx context.Context, ref string) (string, bool) {
	c, err := r.svc.GetConfig(ctx, ref)
	if err != nil {
		return "", false
	}
	return c.ID, true
}

func (r configResolver) ResolveGroup(ctx context.Context, ref string) (string, bool) {
	g, err := r.svc.GetGroup(ctx, ref)
	if err != nil {
		return "", false
	}
	return g.ID, true
}
