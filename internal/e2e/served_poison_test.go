package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// An identity no agent can have (control characters, blank, longer than a
// heartbeat's ID may be) is served but not recorded: a flood of 16 KB
// identities held 16 KB per pending record (a million of them while the
// database is slow or down) and wrote 16 KB rows of agents that cannot
// exist. (NUL bytes and invalid UTF-8 are refused with 400 already.)
func TestServedBogusIdentitiesAreNotRecorded(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "p", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, cfg.ID, 1)
		for _, bad := range []string{"x\ny", "  ", strings.Repeat("L", 257)} {
			req, _ := http.NewRequest("GET", d.URL+"/api/configs/"+cfg.ID+"/toml?agent_id="+url.QueryEscape(bad), nil)
			req.Header.Set("Authorization", "Bearer "+f.tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%q: %d", bad, resp.StatusCode)
			}
		}
		f.fetch(f.ids[0])
		for i := 0; i < 2; i++ {
			if err := d.ServedRecorder().Flush(bg); err != nil {
				t.Errorf("flush %d: %v", i, err)
			}
		}
		rows, err := d.Store().ServedOf(bg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].AgentID != f.ids[0] {
			t.Errorf("served rows: %+v", rows)
		}
	})
}
