package daemon

import (
	"context"

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
