package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Issue 15 acceptance 4: config pushes from several clients, tcd (a real
// process) killed with SIGKILL in the middle, five times per engine: after
// each restart every committed config version has its audit entry and
// every success entry its version (0 gaps either way), and the chain
// verifies.
func TestAuditNoGapsAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd as a process and kills it: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		token := "tc-apiv1_9e4b2d7a1c6f3e8b5a0d9c2f7e1b4a6d3c8f5e2b9a7d1c4f6e3b8a5d2c9f7e1b"
		env := []string{"TC_KEY_FILE=" + filepath.Join(t.TempDir(), "tcd.key")}
		p := startCrashTCD(t, e.DSN, token, env...)
		c, err := client.New(p.api, client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		const configs = 4
		ids := make([]string, configs)
		for i := range ids {
			ids[i] = must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: fmt.Sprintf("crash-%d", i), TOML: "[agent]\n"})).ID
		}
		var seq atomic.Int64
		totalAcked := 0
		for run := 1; run <= 5; run++ {
			var (
				acked atomic.Int64
				wg    sync.WaitGroup
			)
			ctx, cancel := context.WithCancel(context.Background())
			hc := &http.Client{Timeout: 10 * time.Second}
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						id := ids[rand.IntN(configs)]
						body := fmt.Sprintf(`{"toml":"[agent]\n  interval = \"%ds\"\n"}`, seq.Add(1))
						req, _ := http.NewRequestWithContext(ctx, "PATCH", p.api+"/api/configs/"+id, strings.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+token)
						req.Header.Set("Content-Type", "application/json")
						resp, err := hc.Do(req)
						if err != nil {
							return // tcd was killed
						}
						resp.Body.Close()
						if resp.StatusCode == 200 {
							acked.Add(1)
						}
					}
				}()
			}
			for deadline := time.Now().Add(20 * time.Second); acked.Load() < 20; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("run %d: only %d pushes acknowledged in 20 s\n%s", run, acked.Load(), p.out.String())
				}
			}
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			p.kill(t)
			cancel()
			wg.Wait()
			totalAcked += int(acked.Load())

			p = startCrashTCD(t, e.DSN, token, env...)
			c, err = client.New(p.api, client.WithToken(token))
			if err != nil {
				t.Fatal(err)
			}
			entries := map[string]int{}
			for after := int64(0); ; {
				page := must[tc.List[tc.AuditEntry]](t)(c.ListAudit(bg, client.AuditFilter{Ascending: true, AfterSeq: after, Action: "PATCH /api/configs/:id", Outcome: tc.OutcomeSuccess, Page: tc.Page{Limit: tc.MaxLimit}}))
				for _, a := range page.Items {
					entries[strings.TrimPrefix(a.Target, "id=")]++
					after = a.Seq
				}
				if len(page.Items) < tc.MaxLimit {
					break
				}
			}
			gaps, versions := 0, 0
			for _, id := range ids {
				cfg := must[tc.Config](t)(c.GetConfig(bg, id))
				versions += cfg.Version - 1
				if d := (cfg.Version - 1) - entries[id]; d != 0 {
					gaps += max(d, -d)
					t.Errorf("run %d: config %s has %d pushed versions and %d success audit entries", run, id, cfg.Version-1, entries[id])
				}
			}
			rep, err := c.VerifyAudit(bg, "")
			if err != nil || !rep.OK {
				t.Fatalf("run %d: audit chain after kill -9: %+v %v", run, rep, err)
			}
			t.Logf("run %d: %d pushes acknowledged before kill -9; %d versions committed in all, %d gaps", run, acked.Load(), versions, gaps)
			if gaps > 0 {
				t.FailNow()
			}
		}
		p.stop(t)
	})
}
