package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// instrument connects the features' observation hooks to the metrics.
func (m *Main) instrument() {
	mx := m.metrics
	hits := func(hit bool) func() float64 {
		return func() float64 {
			h, miss := m.auth.CacheLookups()
			if hit {
				return float64(h)
			}
			return float64(miss)
		}
	}
	mx.CounterFunc("tcd_credential_cache_lookups_total", "Credential (token and session) lookups that hit or missed the in-memory cache.", prometheus.Labels{"result": "hit"}, hits(true))
	mx.CounterFunc("tcd_credential_cache_lookups_total", "Credential (token and session) lookups that hit or missed the in-memory cache.", prometheus.Labels{"result": "miss"}, hits(false))
	mx.CounterFunc("tcd_password_verifications_total", "bcrypt password comparisons run (logins, password changes; unknown users cost a comparison against a dummy hash).", nil,
		func() float64 { return float64(m.auth.PasswordVerifications()) })
	mx.CounterFunc("tcd_password_hash_busy_total", "Password checks refused with 429 because every bcrypt slot stayed busy (--password-hash-concurrency).", nil,
		func() float64 { return float64(m.auth.HashBusy()) })
	mx.CounterFunc("tcd_auth_rate_limited_total", "Login, setup, invite-acceptance and password-reset requests refused with 429 by the per-address limit (--auth-rate-limit).", nil,
		func() float64 {
			if m.api == nil {
				return 0
			}
			return float64(m.api.AuthRateLimited())
		})
	mx.Gauge("tcd_credential_cache_entries", "Credentials held in the in-memory cache.", func() float64 { return float64(m.auth.CacheLen()) })
	if m.agents != nil {
		w := m.agents.Writer()
		w.OnCommit = func(size int, took time.Duration) {
			mx.BatchSize.Observe(float64(size))
			mx.CommitSeconds.Observe(took.Seconds())
		}
		mx.CounterFunc("tcd_heartbeat_transactions_total", "Group-commit transactions committed.", nil, func() float64 { return float64(w.Stats().Transactions) })
		mx.RegisterAgentsByStatus(tc.AgentStatuses, func(ctx context.Context) (map[string]int, error) { return m.store.AgentStatusCounts(ctx) })
	}
	if m.configs != nil {
		const help = "Config TOML requests by result: rendered (cache miss), cache_hit, not_modified (304)."
		for _, res := range []string{"rendered", "cache_hit", "not_modified"} {
			res := res
			mx.CounterFunc("tcd_config_requests_total", help, prometheus.Labels{"result": res}, func() float64 {
				hit, miss, nm := m.configs.RenderStats()
				return float64(map[string]int64{"rendered": miss, "cache_hit": hit, "not_modified": nm}[res])
			})
		}
		mx.Gauge("tcd_config_cache_entries", "Renderings held in the config cache.", func() float64 { return float64(m.configs.CacheLen()) })
		mx.Gauge("tcd_config_cache_etags", "Renderings whose ETag the config cache keeps to answer HEAD without rendering.", func() float64 { return float64(m.configs.CacheETags()) })
	}
	if m.scheduler != nil {
		m.scheduler.OnTick = func(res store.TickResult, took time.Duration) {
			mx.SchedulerSeconds.Observe(took.Seconds())
			mx.SchedulerChanges.WithLabelValues("not_reporting").Add(float64(res.NotReporting))
			mx.SchedulerChanges.WithLabelValues("deleted").Add(float64(res.Deleted))
			mx.SchedulerChanges.WithLabelValues("pruned").Add(float64(res.Pruned))
		}
	}
}
