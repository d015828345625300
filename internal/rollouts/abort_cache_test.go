package rollouts_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// An abort made through the API runs in the request's
// transaction (store.BeginRequest, committed with its audit entry), but
// act() drops the render cache only before that commit. A poll between
// the drop and the commit reads the config as it was and caches it in the
// new generation: after the commit the config is served (GET, HEAD, 304)
// with the Last-Modified of before the abort until the next config write,
// so agents that ran the rolled-out version never reload the old one.
func TestAbortInRequestTxLeavesNoStaleRendering(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		st, err := store.Open(ctx, e.DSN, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureDefaultRule(ctx); err != nil {
			t.Fatal(err)
		}
		cs := configs.New(st, configs.Options{})
		cfg, err := cs.CreateConfig(ctx, "t", tc.CreateConfigRequest{Name: "c", TOML: "[[inputs.cpu]]\n"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := cs.AddVersion(ctx, "t", cfg.ID, "[[inputs.mem]]\n", ""); err != nil {
			t.Fatal(err)
		}
		svc := rollouts.New(st, cs, rollouts.Options{})
		r, err := svc.Start(ctx, "t", tc.StartRolloutRequest{Config: cfg.ID, To: 2, Timeout: "1h", Stages: []tc.RolloutStage{{Percent: 50}, {Percent: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		rctx, rt := st.BeginRequest(ctx)
		defer rt.Rollback()
		if _, err := svc.Abort(rctx, "t", r.ID, "test"); err != nil {
			t.Fatal(err)
		}
		// A poll while the request is still finishing (its audit entry).
		if _, err := cs.Serve(ctx, "config", cfg.ID, url.Values{}, "", true); err != nil {
			t.Fatal(err)
		}
		if err := rt.Finish(ctx, func(tx *store.Store) error { return nil }); err != nil {
			t.Fatal(err)
		}
		row, err := cs.ConfigRow(ctx, cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, head := range []bool{true, false} {
			got, err := cs.Serve(ctx, "config", cfg.ID, url.Values{}, "", head)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastModified.Unix() != row.LastModified {
				t.Fatalf("head %v: served Last-Modified %d after the abort committed; the config's is %d", head, got.LastModified.Unix(), row.LastModified)
			}
		}
	})
}
