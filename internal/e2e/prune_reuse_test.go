package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A version number comes back after a prune: a staged version of an
// aborted rollout above the current one is pruned, and the next version
// takes its number. tcd kept each version's TOML in memory for good
// ("versions never change"), so a rollout to the new version served its
// agents the pruned one — the content of the rollout that had been
// aborted. A prune (and every config write) now forgets them.
func TestPrunedVersionNumberServesNewContent(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		c := twoVersions(t, owner, "reuse")
		stages := []tc.RolloutStage{{Agents: []string{"a1"}}, {Percent: 100}}
		fetch := func() string {
			t.Helper()
			r, err := owner.RenderConfig(bg, c.ID, url.Values{"agent_id": {"a1"}})
			if err != nil {
				t.Fatal(err)
			}
			return r.Body
		}
		bad := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: c.ID, TOML: ptr(memberTOML("broken")), Stages: stages}))
		if body := fetch(); !strings.Contains(body, "release broken") {
			t.Fatalf("stage 1 agent during the first rollout:\n%s", body)
		}
		must[tc.Rollout](t)(owner.RolloutAction(bg, bad.ID, "abort", "it broke the agents"))
		if res := must[tc.PruneResult](t)(owner.PruneVersions(bg, c.ID, 10)); res.Deleted != 2 {
			t.Fatalf("prune: %+v, want versions 1 and 3 deleted", res)
		}
		good := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: c.ID, TOML: ptr(memberTOML("fixed")), Stages: stages}))
		if good.To != bad.To {
			t.Logf("version %d was not reused (%d): the rest of this test is moot", bad.To, good.To)
		}
		if body := fetch(); !strings.Contains(body, "release fixed") {
			t.Fatalf("stage 1 agent during the second rollout (to version %d) is served:\n%s\nwant the second rollout's TOML", good.To, body)
		}
	})
}
