package rollouts_test

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A config's agents (a rollout's stage population) include those that use
// it through a config group: served the group under their identity (a
// group row alone, as recorded before member rows were), or naming the
// group in their heartbeats; not those of a group without it.
func TestStagePopulationCountsGroupAgents(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st := migratedStore(t, e.DSN)
			if err := st.EnsureDefaultRule(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			for _, id := range []string{"cfg", "other"} {
				if err := st.InsertConfig(ctx, &store.ConfigRow{ID: id, Name: id, TOML: "[[inputs.mem]]\n", Version: 1, LastModified: 100, CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			for g, members := range map[string][]string{"grp": {"other", "cfg"}, "grp-other": {"other"}} {
				if err := st.InsertGroup(ctx, &store.GroupRow{ID: g, Name: g, LastModified: 100, CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
				if err := st.SetGroupMembers(ctx, g, members); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.RecordServed(ctx, []store.ServedRecord{
				{AgentID: "direct", TargetID: "cfg", Kind: store.LinkConfigs, Version: 1, LastModified: 100, FetchedMs: 1, PolledMs: 1},
				{AgentID: "on-group", TargetID: "grp", Kind: store.LinkGroups, LastModified: 100, FetchedMs: 1, PolledMs: 1},
				{AgentID: "on-other-group", TargetID: "grp-other", Kind: store.LinkGroups, LastModified: 100, FetchedMs: 1, PolledMs: 1},
			}); err != nil {
				t.Fatal(err)
			}
			var hbs []store.HeartbeatRow
			for id, g := range map[string]string{"hb-group": "grp", "hb-other-group": "grp-other"} {
				confs := `[{"url":"http://tc/api/config-groups/` + g + `/toml","groupId":"` + g + `","managed":true}]`
				hbs = append(hbs, store.HeartbeatRow{AgentID: id, Hostname: "h", Version: "Telegraf 1.39.3", VersionNumber: "1.39.3",
					Status: tc.StatusOK, AtMs: now.UnixMilli(), Configurations: &confs})
			}
			if err := st.WriteHeartbeats(ctx, hbs); err != nil {
				t.Fatal(err)
			}
			ids, err := st.AgentIDsForConfig(ctx, "cfg")
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(ids)
			if got := strings.Join(ids, ","); got != "direct,hb-group,on-group" {
				t.Errorf("agents of cfg: %s, want direct,hb-group,on-group", got)
			}

			// A group fetch is recorded per member config too, at the
			// version the rendering holds: the gates and who-runs-what
			// see the config version an agent on a group runs.
			rec := rollouts.NewRecorder(st, slog.Default(), time.Now, time.Hour, 0)
			rec.Served("fetcher", &configs.Rendered{Kind: configs.KindGroup, TargetID: "grp", ETag: `"g"`, LastModified: time.Unix(300, 0),
				Members: []configs.MemberVersion{{ID: "other", Version: 1, LastModified: 100}, {ID: "cfg", Version: 2, LastModified: 300}}}, true)
			mustFlush(t, rec)
			rows, err := st.ServedOf(ctx, []string{"fetcher"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.TargetID+":"+r.Kind+":"+itoa(r.Version)+":"+itoa(int(r.LastModified))+":"+r.ETag)
				if r.FetchedMs == 0 {
					t.Errorf("row %+v is not a fetch", r)
				}
			}
			if want := `cfg:config:2:300:"g",grp:group:0:300:"g",other:config:1:100:"g"`; strings.Join(got, ",") != want {
				t.Errorf("rows of a group fetch:\n%s\nwant\n%s", strings.Join(got, ","), want)
			}

			// A rollout of a group is refused with what to do instead.
			svc := rollouts.New(st, configs.New(st, configs.Options{}), rollouts.Options{})
			_, err = svc.Start(ctx, "root", tc.StartRolloutRequest{Config: "grp", To: 1})
			if !tc.IsCode(err, tc.EInvalid) || !strings.Contains(err.Error(), "groups have no versions") || !strings.Contains(err.Error(), "member configs") {
				t.Errorf("rollout of a group: %v", err)
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
