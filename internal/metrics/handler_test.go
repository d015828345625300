package metrics

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// failingCollector always fails to collect, like the agent-status gauge
// when the database is down.
type failingCollector struct{ desc *prometheus.Desc }

func (f failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errors.New("database unreachable"))
}

func scrape(t *testing.T, m *Metrics, accept, encoding string) (status int, contentType, contentEncoding string, body []byte) {
	t.Helper()
	app := fiber.New()
	app.Get("/metrics", m.FiberHandler())
	req := httptest.NewRequest("GET", "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), body
}

func parseText(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("not the text exposition format: %v\n%s", err, body)
	}
	names := map[string]bool{}
	for n := range fams {
		names[n] = true
	}
	return names
}

func TestFiberHandlerFormats(t *testing.T) {
	m := New("1.2.3", "abc")
	m.HeartbeatsAccepted.Add(3)

	status, ct, ce, body := scrape(t, m, "", "")
	if status != 200 || !strings.HasPrefix(ct, "text/plain; version=0.0.4") || ce != "" {
		t.Fatalf("plain scrape: %d %q %q", status, ct, ce)
	}
	if names := parseText(t, body); !names["tcd_heartbeats_accepted_total"] || !names["go_goroutines"] {
		t.Fatalf("plain scrape lacks tcd's or the runtime's metrics: %v", names)
	}
	if !strings.Contains(string(body), "tcd_heartbeats_accepted_total 3") {
		t.Fatalf("counter value not exposed:\n%s", body)
	}

	// What Prometheus sends: gzip, and protobuf first.
	status, ct, ce, body = scrape(t, m, "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3", "gzip")
	if status != 200 || ce != "gzip" || !strings.Contains(ct, "application/vnd.google.protobuf") {
		t.Fatalf("protobuf scrape: %d %q %q", status, ct, ce)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	dec := expfmt.NewDecoder(strings.NewReader(string(raw)), expfmt.NewFormat(expfmt.TypeProtoDelim))
	found := false
	for {
		mf := new(dto.MetricFamily)
		if err := dec.Decode(mf); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("protobuf body does not decode: %v", err)
		}
		if mf.GetName() == "tcd_heartbeats_accepted_total" && mf.Metric[0].GetCounter().GetValue() == 3 {
			found = true
		}
	}
	if !found {
		t.Fatal("the protobuf body lacks tcd_heartbeats_accepted_total 3")
	}

	// gzip refused with q=0 is not used.
	if _, _, ce, body = scrape(t, m, "", "gzip;q=0, identity"); ce != "" {
		t.Fatalf("gzip;q=0 answered with Content-Encoding %q", ce)
	}
	parseText(t, body)
}

func TestFiberHandlerServesWhatItGathered(t *testing.T) {
	m := New("1.2.3", "abc")
	m.Registry.MustRegister(failingCollector{prometheus.NewDesc("tcd_broken", "always fails", nil, nil)})
	status, _, _, body := scrape(t, m, "", "")
	if status != 200 {
		t.Fatalf("one failing collector turned the scrape into %d", status)
	}
	names := parseText(t, body)
	if names["tcd_broken"] || !names["tcd_heartbeats_accepted_total"] {
		t.Fatalf("want the failing metric left out and the rest served: %v", names)
	}

	only := &Metrics{Registry: prometheus.NewRegistry()}
	only.Registry.MustRegister(failingCollector{prometheus.NewDesc("tcd_broken", "always fails", nil, nil)})
	if status, _, _, body := scrape(t, only, "", ""); status != 500 || !strings.Contains(string(body), "database unreachable") {
		t.Fatalf("nothing gathered: %d %s", status, body)
	}
}
