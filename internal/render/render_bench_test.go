package render

import (
	"net/url"
	"strings"
	"testing"
)

// benchTemplate is a realistic agent config: a few dozen plugins, two
// parameters (one with a default), two constants, and ${…} left for the
// agent.
var benchTemplate = func() string {
	var b strings.Builder
	b.WriteString("[agent]\n  interval = \"10s\"\n  hostname = \"&{agent_id}\"\n\n[global_tags]\n  region = \"&{region:eu-1}\"\n  dc = \"::{datacenter}\"\n\n")
	for i := 0; i < 30; i++ {
		b.WriteString("[[inputs.exec]]\n  # a comment with &{not_a_param}\n  commands = [\"/usr/bin/check --n ")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString("\"]\n  timeout = \"5s\"\n  data_format = \"influx\"\n\n")
	}
	b.WriteString("[[outputs.influxdb_v2]]\n  urls = [\"::{influx_url}\"]\n  token = \"${INFLUX_TOKEN}\"\n")
	return b.String()
}()

// BenchmarkRender is the work of a config GET that misses the render cache.
func BenchmarkRender(b *testing.B) {
	consts := map[string]string{"datacenter": "fra1", "influx_url": "https://influx.example.com:8086"}
	q := url.Values{"agent_id": {"web-01"}, "region": {"us-east-1"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTemplate)))
	for i := 0; i < b.N; i++ {
		if _, err := Render(benchTemplate, consts, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateTOML is what saving that template costs.
func BenchmarkValidateTOML(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ValidateTOML(benchTemplate); err != nil {
			b.Fatal(err)
		}
	}
}
