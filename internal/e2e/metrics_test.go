package e2e

import (
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func scrape(t *testing.T, d *testutil.TCD, auth string) (map[string]*dto.MetricFamily, int) {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+"/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, resp.StatusCode
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus exposition: %v", err)
	}
	return fams, 200
}

func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0 // a series appears with its first observation
	}
next:
	for _, m := range f.Metric {
		for k, v := range labels {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// Acceptance 1 (operability): /metrics parses as Prometheus exposition and
// the heartbeat counters move by exactly the number of heartbeats sent.
func TestMetrics(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
	before, _ := scrape(t, d, "")
	for _, name := range []string{"tcd_build_info", "tcd_heartbeats_accepted_total", "tcd_heartbeats_rejected_total", "tcd_heartbeat_batch_size",
		"tcd_heartbeat_commit_seconds", "tcd_http_request_duration_seconds", "tcd_credential_cache_lookups_total", "tcd_credential_cache_entries",
		"tcd_agents", "tcd_config_requests_total", "go_goroutines", "process_resident_memory_bytes"} {
		if before[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	const ok, bad, unauth = 7, 3, 2
	for i := 0; i < ok; i++ {
		if s, _ := postHeartbeat(t, d, "Bearer "+tok, hbBody("m"+string(rune('a'+i)), i)); s != 200 {
			t.Fatal(s)
		}
	}
	for i := 0; i < bad; i++ {
		postHeartbeat(t, d, "Bearer "+tok, `{"id":`)
	}
	for i := 0; i < unauth; i++ {
		postHeartbeat(t, d, "", hbBody("x", 1))
	}
	d.Clock.Advance(time.Second) // database counts are reused for a second
	after, _ := scrape(t, d, "")
	diff := func(name string, labels map[string]string) float64 {
		return value(after, name, labels) - value(before, name, labels)
	}
	if got := diff("tcd_heartbeats_accepted_total", nil); got != ok {
		t.Errorf("accepted moved by %v, want %d", got, ok)
	}
	if got := diff("tcd_heartbeats_rejected_total", map[string]string{"reason": "invalid"}); got != bad {
		t.Errorf("rejected invalid moved by %v, want %d", got, bad)
	}
	if got := diff("tcd_heartbeats_rejected_total", map[string]string{"reason": "unauthorized"}); got != unauth {
		t.Errorf("rejected unauthorized moved by %v, want %d", got, unauth)
	}
	if got := diff("tcd_heartbeat_batch_size", nil); got < 1 || got > ok {
		t.Errorf("batches observed %v", got)
	}
	if got := value(after, "tcd_agents", map[string]string{"status": "ok"}); got != ok {
		t.Errorf("tcd_agents{status=ok} = %v, want %d", got, ok)
	}
	if got := diff("tcd_http_request_duration_seconds", map[string]string{"listener": "heartbeat", "route": "/agents/heartbeat", "status": "200"}); got != ok {
		t.Errorf("heartbeat 200 latency samples %v, want %d", got, ok)
	}
	// Config requests: one rendering, then cache hits and a 304.
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "m", TOML: "[agent]\n  interval = \"10s\"\n"}))
	r1 := must[client.Rendered](t)(owner.RenderConfig(bg, cfg.ID, nil))
	must[client.Rendered](t)(owner.RenderConfig(bg, cfg.ID, nil))
	req, _ := http.NewRequest("HEAD", d.URL+"/api/configs/"+cfg.ID+"/toml", nil)
	req.Header.Set("Authorization", "Bearer "+owner.Token())
	req.Header.Set("If-None-Match", r1.ETag)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 304 {
		t.Fatalf("conditional HEAD: %v %v", resp, err)
	}
	final, _ := scrape(t, d, "")
	for res, want := range map[string]float64{"rendered": 1, "cache_hit": 2, "not_modified": 1} {
		if got := value(final, "tcd_config_requests_total", map[string]string{"result": res}) - value(before, "tcd_config_requests_total", map[string]string{"result": res}); got != want {
			t.Errorf("config requests %s moved by %v, want %v", res, got, want)
		}
	}
	if got := value(after, "tcd_http_request_duration_seconds", map[string]string{"listener": "api", "route": "/api/auth/setup", "status": "201"}); got != 1 {
		t.Errorf("API route latency by route: %v", got)
	}

	// --metrics-auth: a credential with agents:read is required.
	da := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) { c.MetricsAuth = true })
	o := da.Setup(t)
	if _, s := scrape(t, da, ""); s != 401 {
		t.Fatalf("--metrics-auth without credentials: %d", s)
	}
	agentTok := createToken(t, o, tc.CreateTokenRequest{Description: "a", Preset: tc.PresetTelegrafAgent}).Raw
	if _, s := scrape(t, da, "Bearer "+agentTok); s != 403 {
		t.Fatalf("--metrics-auth with a token lacking agents:read: %d", s)
	}
	ro := createToken(t, o, tc.CreateTokenRequest{Description: "mon", Permissions: []string{"agents:read"}}).Raw
	if fams, s := scrape(t, da, "Bearer "+ro); s != 200 || fams["tcd_build_info"] == nil {
		t.Fatalf("--metrics-auth with agents:read: %d", s)
	}
}
