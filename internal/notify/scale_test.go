package notify_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// TestEvaluateAtScale measures one evaluation of a typical rule set over a
// large fleet (docs/performance.md, "Notifications"). It runs only when
// TC_SCALE_AGENTS names the fleet size, e.g. TC_SCALE_AGENTS=1000000.
//
// The fleet is labelled site=a / site=b by halves; the rules are
// not_reporting for 5 m grouped by site over env-independent scope, fail
// for 10 m (a minimum duration kept per agent), warn, unmanaged config,
// new agents, expiring tokens and a rollout rule. Measured: the steady
// state, 1 % of the fleet failing, and half the fleet going silent.
func TestEvaluateAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TC_SCALE_AGENTS"))
	if n <= 0 {
		t.Skip("set TC_SCALE_AGENTS to run")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		st, err := store.Open(bg, e.DSN, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Migrate(bg); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureDefaultRule(bg); err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(-time.Hour).Truncate(time.Second)
		now := start
		seed := func(at time.Time, status func(i int) string) {
			t.Helper()
			rows := make([]store.HeartbeatRow, 0, 1000)
			managed := `[{"url":"http://tcd:8888/api/configs/c1/toml","configId":"c1","managed":true}]`
			for i := 0; i < n; i++ {
				rows = append(rows, store.HeartbeatRow{AgentID: fmt.Sprintf("agent-%07d", i), Hostname: fmt.Sprintf("host-%07d", i),
					Status: status(i), AtMs: at.UnixMilli(), Configurations: &managed})
				if len(rows) == cap(rows) || i == n-1 {
					if err := st.WriteHeartbeats(bg, rows); err != nil {
						t.Fatal(err)
					}
					rows = rows[:0]
				}
			}
		}
		t0 := time.Now()
		seed(now, func(int) string { return tc.StatusOK })
		for _, l := range []string{"site=a", "site=b"} {
			if err := st.InsertLabel(bg, &store.LabelRow{ID: l, Name: l}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Gorm(bg).Exec(`INSERT INTO agent_labels (agent_id, label_id)
			SELECT id, CASE WHEN id < ? THEN 'site=a' ELSE 'site=b' END FROM agents`, fmt.Sprintf("agent-%07d", n/2)).Error; err != nil {
			t.Fatal(err)
		}
		if st.Dialect() == store.Postgres {
			_ = st.Gorm(bg).Exec("VACUUM ANALYZE agents").Error
			_ = st.Gorm(bg).Exec("VACUUM ANALYZE agent_labels").Error
		}
		t.Logf("%s: seeded %d agents in %s", e.Name, n, time.Since(t0).Round(time.Millisecond))
		// not_reporting after 20 minutes: the fleet stays reporting through
		// the fail phase without another million heartbeats.
		def, err := st.DefaultRule(bg)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpdateRule(bg, def.ID, map[string]any{"not_reporting_after": int64(1200)}); err != nil {
			t.Fatal(err)
		}

		clock := now
		svc := notify.New(st, notify.Options{Now: func() time.Time { return clock }})
		recv, err := svc.CreateReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("r"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("http://127.0.0.1:9/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []tc.NotifyRuleRequest{
			{Name: ptr("silent"), Event: ptr(tc.EventAgentNotReporting), For: ptr(int64(300)), GroupBy: ptr("site")},
			{Name: ptr("silent-a"), Event: ptr(tc.EventAgentNotReporting), Selector: ptr("site=a")},
			{Name: ptr("failing"), Event: ptr(tc.EventAgentFail), For: ptr(int64(600)), GroupBy: ptr("site")},
			{Name: ptr("warning"), Event: ptr(tc.EventAgentWarn)},
			{Name: ptr("external"), Event: ptr(tc.EventAgentUnmanagedConfig)},
			{Name: ptr("new"), Event: ptr(tc.EventAgentNew), GroupBy: ptr("site")},
			{Name: ptr("tokens"), Event: ptr(tc.EventTokenExpiring)},
			{Name: ptr("rollouts"), Event: ptr(tc.EventRolloutPaused)},
		} {
			r.Receivers = &[]string{recv.ID}
			if _, err := svc.CreateRule(bg, r); err != nil {
				t.Fatal(err)
			}
		}
		// The baseline, in the same run: the scheduler's own tick as it
		// runs without notification rules (one transaction of set-based
		// statements over the agents table, documented at 233-274 ms at
		// 1,000,000 on an idle machine). Then the tick as tcd runs it with
		// the rules (it aggregates the silent fleet for them from the same
		// scan) and the evaluation after it.
		baseline := func(at time.Time) time.Duration {
			start := time.Now()
			if _, err := st.SchedulerTick(bg, at.Add(-time.Minute).UnixMilli(), at.UnixMilli(), at.Add(-24*time.Hour).UnixMilli()); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}
		var lastTick time.Time
		eval := func(label string, at time.Time) notify.EvalResult {
			t.Helper()
			plain := baseline(at)
			since := lastTick
			if since.IsZero() {
				since = at.Add(-time.Minute)
			}
			spec := svc.SilentSpec()
			start := time.Now()
			tr, err := st.SchedulerTickSilent(bg, since.UnixMilli(), at.UnixMilli(), at.Add(-24*time.Hour).UnixMilli(), spec)
			if err != nil {
				t.Fatal(err)
			}
			tick := time.Since(start)
			lastTick, clock = at, at
			cpu0 := cpuTime()
			start = time.Now()
			res, err := svc.EvaluateTick(bg, at, &notify.Tick{Spec: spec, PrevMs: since.UnixMilli(), Rows: tr.Silent, Version: tr.SilentVersion})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			cpu := cpuTime() - cpu0
			t.Logf("%s: evaluate %-44s %7s (cpu %6s)  tick %7s (without rules %7s): ratio %.2f, tick+evaluate %.2f  %+v", e.Name, label,
				took.Round(time.Millisecond), cpu.Round(time.Millisecond), tick.Round(time.Millisecond), plain.Round(time.Millisecond),
				float64(took)/float64(plain), float64(took+tick)/float64(plain), res)
			return res
		}
		now = now.Add(time.Second)
		eval("steady (all reporting)", now)
		eval("steady again", now.Add(time.Second))
		// 1 % of the fleet reports fail (with warn for another 1 %).
		now = now.Add(time.Minute)
		seed(now, func(i int) string {
			switch i % 100 {
			case 7:
				return tc.StatusFail
			case 8:
				return tc.StatusWarn
			}
			return tc.StatusOK
		})
		eval("1% fail, 1% warn: members recorded", now.Add(time.Second))
		eval("1% fail, 1% warn: steady", now.Add(2*time.Second))
		eval("1% fail for 10 m: groups open", now.Add(10*time.Minute+time.Second))
		res := eval("1% fail: groups fire (items read)", now.Add(10*time.Minute+32*time.Second))
		if res.Notifications < 2 {
			t.Fatalf("fail groups did not fire: %+v", res)
		}
		// Site b keeps reporting; site a (half the fleet) has been silent
		// for 29 minutes (20 + 5 needed).
		now = now.Add(29 * time.Minute)
		rows := make([]store.HeartbeatRow, 0, 1000)
		for i := n / 2; i < n; i++ {
			rows = append(rows, store.HeartbeatRow{AgentID: fmt.Sprintf("agent-%07d", i), Status: tc.StatusOK, AtMs: now.UnixMilli()})
			if len(rows) == cap(rows) || i == n-1 {
				if err := st.WriteHeartbeats(bg, rows); err != nil {
					t.Fatal(err)
				}
				rows = rows[:0]
			}
		}
		eval("site a (half the fleet) silent: groups open", now.Add(time.Second))
		res = eval("site a silent: groups fire (items read)", now.Add(31*time.Second))
		if res.Notifications < 2 {
			t.Fatalf("site a did not fire: %+v", res)
		}
		eval("site a silent: steady", now.Add(32*time.Second))
		eval("site a silent: steady again", now.Add(33*time.Second))
		// Site a reports again.
		now = now.Add(40 * time.Second)
		for i := 0; i < n/2; i++ {
			rows = append(rows, store.HeartbeatRow{AgentID: fmt.Sprintf("agent-%07d", i), Status: tc.StatusOK, AtMs: now.UnixMilli()})
			if len(rows) == cap(rows) || i == n/2-1 {
				if err := st.WriteHeartbeats(bg, rows); err != nil {
					t.Fatal(err)
				}
				rows = rows[:0]
			}
		}
		res = eval("site a back: resolved", now.Add(time.Second))
		if res.Notifications < 2 {
			t.Fatalf("site a did not resolve: %+v", res)
		}
		eval("all reporting again", now.Add(2*time.Second))
	})
}

// cpuTime is the CPU time this process has used (user and system): what
// an evaluation cost tcd itself, whatever else the machine runs (on
// PostgreSQL the server's share is not in it).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
