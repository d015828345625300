package daemon

import (
	"context"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/configs"
)

// configsComponent serves configurations (internal/configs) through the API.
type configsComponent struct {
	*configs.Service
	*api.ConfigsFeature
}

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		svc := configs.New(m.Store(), configs.Options{Now: m.Now, Logger: m.Logger})
		m.configs = svc
		return configsComponent{Service: svc, ConfigsFeature: api.NewConfigsFeature(svc)}, nil
	})
}

// Configs returns the configurations service (the agents feature plugs its
// configs.AgentUsage into it).
func (m *Main) Configs() *configs.Service { return m.configs }
