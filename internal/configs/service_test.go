package configs_test

import (
	"log/slog"

	"context"
	"github.com/opentc/tc/internal/cluster"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

var bg = context.Background()

func newService(t testing.TB, dsn string, o configs.Options) (*configs.Service, *store.Store) {
	t.Helper()
	st, err := store.Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	return configs.New(st, o), st
}

// The hot path: once rendered, GET/HEAD are served without the database
// (here: with the database closed) and without rendering again; any write
// drops the cache.
func TestRenderServedFromMemory(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, st := newService(t, e.DSN, configs.Options{})
		cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[global_tags]\nid = \"&{agent_id}\"\n"})
		if err != nil {
			t.Fatal(err)
		}
		g, err := svc.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: []string{cfg.ID}})
		if err != nil {
			t.Fatal(err)
		}
		q := url.Values{"agent_id": {"a1"}}
		first, err := svc.RenderConfig(bg, cfg.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RenderGroup(bg, g.ID, q); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RenderConfig(bg, cfg.ID, url.Values{}); !tc.IsCode(err, tc.EInvalid) {
			t.Fatalf("missing parameter: %v", err)
		}
		if n := svc.CacheLen(); n != 3 {
			t.Fatalf("cache holds %d entries, want 3", n)
		}
		// Invalidation on write.
		if _, _, err := svc.SetConstant(bg, "k", "v", false); err != nil {
			t.Fatal(err)
		}
		if n := svc.CacheLen(); n != 0 {
			t.Fatalf("a write left %d cached renderings", n)
		}
		first, _ = svc.RenderConfig(bg, cfg.ID, q)
		_, _ = svc.RenderConfig(bg, cfg.ID, url.Values{})
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := svc.RenderConfig(bg, cfg.ID, url.Values{"agent_id": {"a1"}})
		if err != nil || again != first {
			t.Fatalf("cache hit needed the database: %v", err)
		}
		if _, err := svc.RenderConfig(bg, cfg.ID, url.Values{}); !tc.IsCode(err, tc.EInvalid) {
			t.Fatalf("cached error: %v", err)
		}
		// A new agent_id is a new rendering, made from the template and
		// constants kept since the first one: no database either.
		r, err := svc.RenderConfig(bg, cfg.ID, url.Values{"agent_id": {"a2"}})
		if err != nil || !strings.Contains(string(r.Body), `id = "a2"`) {
			t.Fatalf("a new agent's rendering needed the database: %v", err)
		}
		if _, err := svc.RenderGroup(bg, g.ID, url.Values{"agent_id": {"a3"}}); err == nil {
			t.Fatal("the group was not rendered since the write, yet rendered without the database")
		}
	})
}

type usage int

func (u usage) ActiveAgentsUsing(context.Context, string) (int, error) { return int(u), nil }

// The delete guard refuses while reporting agents use a config, unless forced.
func TestDeleteGuard(t *testing.T) {
	svc, _ := newService(t, testutil.SQLiteDSN(t), configs.Options{Usage: usage(2), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[agent]\na = 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteConfig(bg, cfg.ID, false); !tc.IsCode(err, tc.EConflict) {
		t.Fatalf("in use: %v", err)
	}
	if err := svc.DeleteConfig(bg, cfg.ID, true); err != nil {
		t.Fatalf("force: %v", err)
	}
	svc.SetUsage(nil)
	cfg, _ = svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[agent]\na = 1\n"})
	if err := svc.DeleteConfig(bg, cfg.ID, false); err != nil {
		t.Fatalf("no agents: %v", err)
	}
}

// Two tcd nodes on one PostgreSQL database: a change made through one drops
// the other's cached renderings at once (LISTEN/NOTIFY), so agents polling
// either node see it.
func TestCacheInvalidatedAcrossNodes(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	a, _ := newService(t, dsn, configs.Options{})
	b, _ := newService(t, dsn, configs.Options{})
	st, err := store.Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := cluster.NewBus(st, slog.Default(), time.Hour)
	bus.Subscribe(store.TopicConfigs, b.DropCache)
	bus.Start()
	t.Cleanup(func() { bus.Close(); st.Close() })
	if _, _, err := a.SetConstant(bg, "k", "one", false); err != nil {
		t.Fatal(err)
	}
	cfg, err := a.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[global_tags]\na = \"::{k}\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	waitEmpty := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for b.CacheLen() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("node B kept its cache after a change on node A")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	r, err := b.RenderConfig(bg, cfg.ID, nil)
	if err != nil || string(r.Body) != "[global_tags]\na = \"one\"\n" {
		t.Fatalf("B before: %v %q", err, r.Body)
	}
	if _, _, err := a.SetConstant(bg, "k", "two", false); err != nil {
		t.Fatal(err)
	}
	waitEmpty()
	if r, err := b.RenderConfig(bg, cfg.ID, nil); err != nil || string(r.Body) != "[global_tags]\na = \"two\"\n" {
		t.Fatalf("B after: %v %q", err, r.Body)
	}
}
