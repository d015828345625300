package daemon

import (
	"context"
	"net"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/render"
)

// configsComponent serves configurations (internal/configs) through the API.
type configsComponent struct {
	*configs.Service
	*api.ConfigsFeature
}

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		c := m.Config
		svc := configs.New(m.Store(), configs.Options{Now: m.Now, Logger: m.Logger, AgentParam: c.AgentIDParam,
			CacheEntries: c.RenderCacheEntries, CacheBytes: c.RenderCacheSize, Checks: configs.Checks{
				MaxTOMLBytes: c.ConfigMaxSize, MaxRenderBytes: c.ConfigMaxRenderSize, MaxDepth: c.ConfigMaxDepth,
				NonStrict: c.ConfigNonStrict, AgentEnv: c.ConfigAgentEnv, LintErrors: c.ConfigLintErrors,
				Lint: m.lintOptions,
			}})
		m.configs = svc
		return configsComponent{Service: svc, ConfigsFeature: api.NewConfigsFeature(svc)}, nil
	})
}

// lintOptions tells config lint where this tcd takes heartbeats: the
// public heartbeat URL setting if set, else the heartbeat listener's port.
func (m *Main) lintOptions() render.LintOptions {
	var o render.LintOptions
	if m.auth != nil {
		if u := m.auth.Settings().HeartbeatURL; u != "" {
			o.HeartbeatURLs = []string{u}
			return o
		}
	}
	if ln := m.hbLn; ln != nil {
		if a, ok := ln.Addr().(*net.TCPAddr); ok {
			o.HeartbeatPort = a.Port
		}
	}
	return o
}

// Configs returns the configurations service (the agents feature plugs its
// configs.AgentUsage into it).
func (m *Main) Configs() *configs.Service { return m.configs }
