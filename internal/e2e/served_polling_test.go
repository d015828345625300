package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A steady fleet polling with HEAD (Telegraf's watch) for longer than the
// recorder's granularity: an agent that fetched the current version and
// keeps polling stays current; one that keeps polling without ever fetching the
// new version is stale once three watch intervals passed, although its
// HEADs are answered with the new version's headers.
func TestServedStatesOfPollingAgents(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "poll", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, cfg.ID, 2)
		head := func(agent string) {
			t.Helper()
			req, _ := http.NewRequest("HEAD", f.url(agent), nil)
			req.Header.Set("Authorization", "Bearer "+f.tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		good, stale := f.ids[0], f.ids[1]
		f.fetch(good)
		f.fetch(stale)
		f.flush()
		d.Clock.Advance(time.Second)
		must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("two"))}))
		f.fetch(good)
		for i := 0; i < 20; i++ { // 10 minutes of polls every 30 s
			d.Clock.Advance(30 * time.Second)
			head(good)
			head(stale)
			f.beat(good, "OK")
			f.beat(stale, "OK")
			f.flush()
		}
		for agent, want := range map[string]string{good: tc.ConfigStateCurrent, stale: tc.ConfigStateStale} {
			as := must[tc.Agent](t)(owner.GetAgent(bg, agent))
			if as.ConfigState != want {
				t.Errorf("%s: config state %s, want %s (served %+v)", agent, as.ConfigState, want, as.Served)
			}
		}
		sv := must[tc.ConfigServing](t)(owner.ConfigServing(bg, cfg.ID))
		if len(sv.Versions) != 2 || sv.Versions[0] != (tc.VersionAgents{Version: 2, Agents: 1}) || sv.Versions[1] != (tc.VersionAgents{Version: 1, Agents: 1}) ||
			sv.States[tc.ConfigStateStale] != 1 || sv.States[tc.ConfigStateCurrent] != 1 {
			t.Errorf("config serving: %+v %v", sv.Versions, sv.States)
		}
	})
}
