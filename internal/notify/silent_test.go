package notify_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// TestSilentAggregatesMatchRows checks the not_reporting aggregates
// (silent.go: in SQL, carried over from evaluation to evaluation, taken
// from the scheduler's tick) against reading every silent agent row by row
// as before, over a fleet that changes at random between evaluations:
// agents fall silent and report again, are relabelled, move between
// reporting rules, are deleted and created, under rules with every kind of
// scope, several minimum durations and grouping by a label some agents
// carry twice. Counts, starts and the agents named must be equal.
func TestSilentAggregatesMatchRows(t *testing.T) {
	ctx := bg
	testutil.ForEachEngine(t, func(t *testing.T, eng testutil.Engine) {
		st, err := store.Open(ctx, eng.DSN, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureDefaultRule(ctx); err != nil {
			t.Fatal(err)
		}
		def, err := st.DefaultRule(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fast := &store.ReportingRule{ID: "fast", Name: "fast", NotReportingAfter: 60, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Gorm(ctx).Create(fast).Error; err != nil {
			t.Fatal(err)
		}
		db := st.Gorm(ctx)
		for _, l := range []string{"site=a", "site=b", "site=c", "env=prod", "tier=gold"} {
			if err := st.InsertLabel(ctx, &store.LabelRow{ID: "L" + l, Name: l}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []string{"c1", "c2"} {
			if err := db.Exec(`INSERT INTO configs (id, name, toml, version, last_modified, created_at, updated_at) VALUES (?, ?, '', 1, 0, ?, ?)`,
				c, c, time.Now(), time.Now()).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Exec(`INSERT INTO config_labels (config_id, label_id) VALUES ('c1', 'Ltier=gold')`).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().Truncate(time.Second)
		clock := now
		fresh := func() *notify.Service { return notify.New(st, notify.Options{Now: func() time.Time { return clock }}) }
		cached, rowwise := fresh(), fresh()
		notify.SetSilentAllMasksMax(cached, 25) // a large outage is more than 25 agents here
		defer notify.SetSilentWalkMin(4)()      // groups of 4 and more walk the primary key
		notify.ReadRowByRow(rowwise)
		recv, err := cached.CreateReceiver(ctx, tc.NotifyReceiverRequest{Name: ptr("r"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("http://127.0.0.1:9/")})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range []tc.NotifyRuleRequest{
			{Event: ptr(tc.EventAgentNotReporting), GroupBy: ptr("site")},
			{Event: ptr(tc.EventAgentNotReporting), For: ptr(int64(120)), Selector: ptr("site=a")},
			{Event: ptr(tc.EventAgentNotReporting), For: ptr(int64(60)), Selector: ptr("env!=prod"), GroupBy: ptr("site")},
			{Event: ptr(tc.EventAgentNotReporting), For: ptr(int64(60)), Selector: ptr("site in (b, c), !env")},
			{Event: ptr(tc.EventAgentNotReporting), Scope: ptr(tc.ScopeConfigs), Selector: ptr("tier=gold"), GroupBy: ptr("env")},
			{Event: ptr(tc.EventAgentNotReporting), Scope: ptr(tc.ScopeAll), For: ptr(int64(300)), GroupBy: ptr("env")},
		} {
			r.Name, r.Receivers = ptr(fmt.Sprint("r", i)), &[]string{recv.ID}
			if _, err := cached.CreateRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		rng := rand.New(rand.NewSource(21))
		var agents []string
		next := 0
		beat := func(ids []string) {
			rows := make([]store.HeartbeatRow, len(ids))
			for i, id := range ids {
				cfg := `[{"url":"http://tcd/api/configs/c1/toml","configId":"c1","managed":true}]`
				if id[len(id)-1]%2 == 0 {
					cfg = `[{"url":"http://tcd/api/configs/c2/toml","configId":"c2","managed":true}]`
				}
				rows[i] = store.HeartbeatRow{AgentID: id, Hostname: "h-" + id, Status: tc.StatusOK, AtMs: clock.UnixMilli(), Configurations: &cfg}
			}
			if len(rows) > 0 {
				if err := st.WriteHeartbeats(ctx, rows); err != nil {
					t.Fatal(err)
				}
			}
		}
		pick := func(frac float64) []string {
			var out []string
			for _, id := range agents {
				if rng.Float64() < frac {
					out = append(out, id)
				}
			}
			return out
		}
		grow := func(n int) {
			var ids []string
			for i := 0; i < n; i++ {
				ids = append(ids, fmt.Sprintf("agent-%04d", next))
				next++
			}
			beat(ids)
			agents = append(agents, ids...)
			for _, id := range ids {
				labels := []string{"Lsite=" + string(rune('a'+rng.Intn(3)))}
				if rng.Intn(8) == 0 {
					labels = append(labels, "Lsite="+string(rune('a'+rng.Intn(3)))) // two sites
				}
				if rng.Intn(2) == 0 {
					labels = append(labels, "Lenv=prod")
				}
				if _, err := st.AssignAgentLabels(ctx, []string{id}, labels); err != nil {
					t.Fatal(err)
				}
			}
		}
		grow(150)
		var prevMs int64
		var lastBeaten []string
		observed := 0
		for step := 0; step < 40; step++ {
			clock = clock.Add(time.Duration(15+rng.Intn(90)) * time.Second)
			// Most agents report; the rest stay silent (a whole site now
			// and then).
			// Quiet steps: no silent agent reports again and nothing else
			// changes, so evaluations carry the silent fleet over.
			quiet := step%10 >= 6
			var beaten []string
			switch {
			case quiet:
				for _, id := range lastBeaten {
					if rng.Intn(20) > 0 {
						beaten = append(beaten, id)
					}
				}
			case step%10 == 5:
				beaten = pick(0.3)
			default:
				beaten = pick(0.8)
			}
			beat(beaten)
			lastBeaten = beaten
			change := rng.Intn(6)
			if quiet {
				change = -1
				if step%10 == 8 {
					change = rng.Intn(3) // relabel or move only: no agent reports again
				}
			}
			switch change {
			case 0:
				if _, err := st.AssignAgentLabels(ctx, pick(0.05), []string{"Lenv=prod", "Lsite=c"}); err != nil {
					t.Fatal(err)
				}
			case 1:
				if _, err := st.RemoveAgentLabels(ctx, pick(0.05), []string{"Lenv=prod", "Lsite=a"}); err != nil {
					t.Fatal(err)
				}
			case 2:
				rule := fast.ID
				if rng.Intn(2) == 0 {
					rule = def.ID
				}
				if _, err := st.SetAgentsRule(ctx, pick(0.1), rule); err != nil {
					t.Fatal(err)
				}
			case 3:
				gone := pick(0.02)
				if len(gone) > 0 {
					if _, err := st.DeleteAgents(ctx, gone); err != nil {
						t.Fatal(err)
					}
					keep := agents[:0]
					for _, id := range agents {
						if !contains(gone, id) {
							keep = append(keep, id)
						}
					}
					agents = keep
				}
			case 4:
				grow(5)
			}
			spec := cached.SilentSpec()
			since := prevMs
			if since == 0 {
				since = clock.Add(-time.Minute).UnixMilli()
			}
			tr, err := st.SchedulerTickSilent(ctx, since, clock.UnixMilli(), clock.Add(-24*time.Hour).UnixMilli(), spec)
			if err != nil {
				t.Fatal(err)
			}
			prevMs = clock.UnixMilli()
			var tick *notify.Tick
			if step%7 != 3 { // now and then the evaluation runs without the tick's rows
				tick = &notify.Tick{Spec: spec, PrevMs: since, Rows: tr.Silent, Version: tr.SilentVersion}
			}
			got := notify.ObserveNotReporting(t, cached, clock, tick)
			want := notify.ObserveNotReporting(t, rowwise, clock, nil)
			if got != want {
				t.Fatalf("step %d: aggregated:\n%s\nrow by row:\n%s", step, got, want)
			}
			if strings.Contains(want, "n=") {
				observed++
			}
		}
		if observed < 30 {
			t.Fatalf("only %d of 40 evaluations found silent agents", observed)
		}
		// Every way through silent.go was taken.
		tickAll, tickCarried, carried, carriedNot, full := notify.SilentStats(cached)
		t.Logf("all from the tick %d, carried over from the tick %d or own statement %d, refused %d, from scratch %d",
			tickAll, tickCarried, carried, carriedNot, full)
		if tickAll < 5 || tickCarried < 3 || carried < 1 || carriedNot < 1 || full < 2 {
			t.Fatal("a way through silent.go was not taken")
		}
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
