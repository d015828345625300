package e2e

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// scaleTOML is a realistic config of about 1.5 KB: parameters, constants,
// a dozen plugins.
func scaleTOML(i int) string {
	return fmt.Sprintf(`# fleet member %d
[agent]
  interval = "::{interval}"
  round_interval = true
  metric_batch_size = 1000
  metric_buffer_limit = 10000
  flush_interval = "10s"
  hostname = "&{agent_id}"

[global_tags]
  region = "::{region}"
  team = "team-%d"

[[inputs.cpu]]
  percpu = true
  totalcpu = true

[[inputs.mem]]

[[inputs.disk]]
  ignore_fs = ["tmpfs", "devtmpfs", "overlay"]

[[inputs.diskio]]

[[inputs.net]]
  interfaces = ["eth*"]

[[inputs.system]]

[[inputs.processes]]

[[inputs.kernel]]

[[inputs.swap]]

[[inputs.procstat]]
  pattern = "service-%d"

[[outputs.file]]
  files = ["stdout"]
  data_format = "influx"

[[outputs.heartbeat]]
  url = "http://tcd:8000/agents/heartbeat"
  instance_id = "&{agent_id}"
  interval = "1m"
`, i, i%20, i)
}

// Issue 19 acceptance 7: one apply of 500 configs (plus 10 groups of 10,
// 50 aliases, constants and labels) takes at most 10 s on this machine;
// so do the unchanged re-apply and a constant change that every config
// references (all 500 and every group checked again). Memory: the peak
// heap of the whole process (tcd and client) during the applies is
// logged. Figures in docs/performance.md (go test -run TestApply500Configs -v).
func TestApply500Configs(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		v := func(s string) *string { return &s }
		res := func(kind, name string, md tc.ResourceMetadata, spec tc.ResourceSpec) tc.Resource {
			md.Name = name
			return tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: kind, Metadata: md, Spec: spec}
		}
		build := func(interval string) tc.ApplyRequest {
			var req tc.ApplyRequest
			req.Resources = append(req.Resources,
				res(tc.KindLabel, "prod", tc.ResourceMetadata{}, tc.ResourceSpec{Color: "#3b82f6"}),
				res(tc.KindConstant, "region", tc.ResourceMetadata{}, tc.ResourceSpec{Value: v("eu-west")}),
				res(tc.KindConstant, "interval", tc.ResourceMetadata{}, tc.ResourceSpec{Value: v(interval)}))
			for i := 0; i < 500; i++ {
				req.Resources = append(req.Resources, res(tc.KindConfig, fmt.Sprintf("cfg-%03d", i), tc.ResourceMetadata{Labels: []string{"prod"}}, tc.ResourceSpec{TOML: scaleTOML(i)}))
			}
			for g := 0; g < 10; g++ {
				var ms []string
				for i := 0; i < 10; i++ {
					// Members that each define [agent] cannot share a group:
					// groups take the even configs' inputs only via distinct members.
					ms = append(ms, fmt.Sprintf("grp-%d-part-%d", g, i))
				}
				req.Resources = append(req.Resources, res(tc.KindConfigGroup, fmt.Sprintf("group-%d", g), tc.ResourceMetadata{}, tc.ResourceSpec{Members: ms}))
				for i := 0; i < 10; i++ {
					req.Resources = append(req.Resources, res(tc.KindConfig, fmt.Sprintf("grp-%d-part-%d", g, i), tc.ResourceMetadata{},
						tc.ResourceSpec{TOML: fmt.Sprintf("[[inputs.procstat]]\n  pattern = \"svc-%d-%d\"\n  interval = \"::{interval}\"\n", g, i)}))
				}
			}
			for i := 0; i < 50; i++ {
				req.Resources = append(req.Resources, res(tc.KindAlias, fmt.Sprintf("alias-%02d", i), tc.ResourceMetadata{}, tc.ResourceSpec{Config: fmt.Sprintf("cfg-%03d", i)}))
			}
			return req
		}
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		timed := func(what string, req tc.ApplyRequest, wantChanged int) time.Duration {
			t.Helper()
			start := time.Now()
			out, err := c.Apply(bg, req)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			n := 0
			for _, ch := range out.Changes {
				if ch.Action != tc.ActionUnchanged {
					n++
				}
			}
			if n != wantChanged {
				t.Fatalf("%s: %d changes, want %d", what, n, wantChanged)
			}
			if took > 10*time.Second {
				t.Fatalf("%s took %v, more than 10 s", what, took)
			}
			t.Logf("%s: %v (%d resources, %d changed)", what, took.Round(time.Millisecond), len(req.Resources), n)
			return took
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		first := build("10s")
		// 1 label + 2 constants + 600 configs + 10 groups + 50 aliases are created.
		timed("apply 500 configs (+100 group members, 10 groups, 50 aliases) to an empty tcd", first, 663)
		timed("apply the same again (unchanged)", first, 0)
		// interval is in every config: one resource changes, and all 600
		// configs and every group are rendered and checked again.
		timed("change a constant every config references (600 configs and 10 groups checked again)", build("20s"), 1)
		close(stop)
		wg.Wait()
		t.Logf("peak heap of the test process during the applies: %.1f MiB (%.1f MiB before)", float64(peak.Load())/(1<<20), float64(base)/(1<<20))
		for _, line := range strings.Split(d.Log.String(), "\n") {
			if strings.Contains(line, `msg=apply `) {
				t.Log(line)
			}
		}
		if os.Getenv("TC_SCALE_BASELINE") == "" {
			return
		}
		// The imperative way for comparison: 500 POST /api/configs.
		start := time.Now()
		for i := 0; i < 500; i++ {
			if _, err := c.CreateConfig(bg, tc.CreateConfigRequest{Name: fmt.Sprintf("single-%03d", i), TOML: scaleTOML(i)}); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("baseline, 500 single POST /api/configs one after another: %v", time.Since(start).Round(time.Millisecond))
	})
}
