package advisories_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opentc/tc/internal/advisories"
	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/osv"
	"github.com/opentc/tc/pkg/tc"
)

// scaleAdvisories are n advisories with windows spread over 1.20–1.40.
func scaleAdvisories(n int) []byte {
	out := "["
	for i := 0; i < n; i++ {
		if i > 0 {
			out += ","
		}
		minor := 20 + i%20
		out += fmt.Sprintf(`{"id":"SCALE-%04d","modified":"2026-01-01T00:00:00Z","summary":"scale %d","database_specific":{"severity":"%s"},
			"affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},
			"ranges":[{"type":"SEMVER","events":[{"introduced":"1.%d.0"},{"fixed":"1.%d.%d"}]}]}]}`,
			i, i, []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}[i%4], minor, minor, 1+i%3)
	}
	return []byte(out + "]")
}

// TestExposureAtScale measures exposure over a large fleet against the
// naive way — every agent's version parsed and matched against every
// advisory (docs/performance.md). It runs only when TC_SCALE_AGENTS names
// the fleet size, e.g. TC_SCALE_AGENTS=100000.
func TestExposureAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TC_SCALE_AGENTS"))
	if n <= 0 {
		t.Skip("set TC_SCALE_AGENTS to run")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		st, err := store.Open(ctx, e.DSN, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		asvc, err := agents.NewService(ctx, st, agents.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer asvc.Close()
		// 40 versions, as a fleet mid-upgrade might run: releases 1.20–1.39
		// with and without a commit in the string.
		rows := make([]store.HeartbeatRow, 0, 1000)
		at := time.Now().UnixMilli()
		for i := 0; i < n; i++ {
			v := fmt.Sprintf("Telegraf 1.%d.%d", 20+i%20, i%3)
			if i%2 == 0 {
				v += " (git: HEAD@eb37a442)"
			}
			rows = append(rows, store.HeartbeatRow{AgentID: fmt.Sprintf("scale-%07d", i), Version: v, Status: tc.StatusOK, AtMs: at})
			if len(rows) == cap(rows) || i == n-1 {
				if err := st.WriteHeartbeats(ctx, rows); err != nil {
					t.Fatal(err)
				}
				rows = rows[:0]
			}
		}
		svc := advisories.New(st, advisories.Options{})
		asvc.SetExposure(svc)
		if _, err := svc.Import(ctx, "", scaleAdvisories(200), advisories.SourceImport); err != nil {
			t.Fatal(err)
		}
		cold := true
		timed := func(label string, f func() error) time.Duration {
			t.Helper()
			if cold {
				svc.DropCache() // the measurement starts cold: catalog reloaded, nothing memoised
				label += " (cold)"
			}
			start := time.Now()
			if err := f(); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			t.Logf("%s: %d agents, 200 advisories: %-44s %s", e.Name, n, label, d.Round(100*time.Microsecond))
			return d
		}
		var exposed int
		grouped := timed("advisory list (grouped by version)", func() error {
			l, err := svc.List(ctx, advisories.ListOptions{Page: tc.Page{Limit: 1000}})
			for _, a := range l.Items {
				exposed += a.AgentsAffected
			}
			return err
		})
		var naiveExposed int
		naive := timed("baseline: every agent matched one by one", func() error {
			var versions []string
			if err := st.Gorm(ctx).Raw("SELECT version FROM agents").Scan(&versions).Error; err != nil {
				return err
			}
			res, err := osv.Parse("", scaleAdvisories(200))
			if err != nil {
				return err
			}
			ms := make([]*osv.Matcher, len(res.Entries))
			for i := range res.Entries {
				ms[i] = res.Entries[i].Matcher(osv.TelegrafModule)
			}
			for _, v := range versions {
				sv, ok := advisories.AgentVersion(v)
				if !ok {
					continue
				}
				for _, m := range ms {
					if hit, _ := m.Match(sv); hit {
						naiveExposed++
					}
				}
			}
			return nil
		})
		if exposed != naiveExposed || exposed == 0 {
			t.Fatalf("grouped counted %d exposures, one by one %d", exposed, naiveExposed)
		}
		t.Logf("%s: one-by-one / grouped = %.1f", e.Name, float64(naive)/float64(grouped))
		timed("agents by version (one GROUP BY)", func() error {
			_, err := st.AgentVersionCounts(ctx)
			return err
		})
		plain, err := agents.NewService(ctx, st, agents.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		timed("baseline: agent list (100) without advisories", func() error {
			_, err := plain.List(ctx, agents.Filter{Page: tc.Page{Limit: 100}})
			return err
		})
		for _, c := range []bool{true, false} {
			cold = c
			timed("advisory list", func() error {
				_, err := svc.List(ctx, advisories.ListOptions{Page: tc.Page{Limit: 1000}})
				return err
			})
			timed("agent list ?exposed=true&severity=high (100)", func() error {
				_, err := asvc.List(ctx, agents.Filter{ExposureFilter: store.ExposureFilter{Exposed: "true", Severity: "high"}, Page: tc.Page{Limit: 100}})
				return err
			})
			timed("agent list (100, advisories filled in)", func() error {
				_, err := asvc.List(ctx, agents.Filter{Page: tc.Page{Limit: 100}})
				return err
			})
			timed("tcd_agents_exposed (metrics scrape)", func() error {
				_, err := svc.ExposedBySeverity(ctx)
				return err
			})
		}
	})
}
