package heartbeat

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/metrics"
)

// Unknown field names get a metric label each up to maxFieldNames, then
// count as "other"; each name is logged once.
func TestFieldNotesCapped(t *testing.T) {
	m := metrics.New("test", "test")
	var log bytes.Buffer
	f := newFieldNotes()
	lg := slog.New(slog.NewTextHandler(&log, nil))
	for round := 0; round < 2; round++ {
		for i := 0; i < maxFieldNames+50; i++ {
			f.note(&agents.Heartbeat{ID: "a", Unknown: []string{fmt.Sprintf("f%03d", i)}}, m, lg)
		}
	}
	f.note(&agents.Heartbeat{ID: "a", Unknown: []string{strings.Repeat("x", 65), "bad\nname"}, Dropped: []string{"last", "last"}}, m, lg)
	unknown, dropped := series(t, m, "tcd_heartbeat_unknown_fields_total"), series(t, m, "tcd_heartbeat_dropped_values_total")
	if len(unknown) != maxFieldNames+1 {
		t.Fatalf("%d series, want %d names and other", len(unknown), maxFieldNames+1)
	}
	if v := unknown["f000"]; v != 2 {
		t.Fatalf("f000 counted %v, want 2", v)
	}
	if v := unknown["other"]; v != 2*50+2 {
		t.Fatalf("other counted %v, want 102", v)
	}
	out := log.String()
	if n := strings.Count(out, "field=f000 "); n != 1 {
		t.Fatalf("f000 logged %d times", n)
	}
	if n := strings.Count(out, "field=other "); n != 1 {
		t.Fatalf("other logged %d times", n)
	}
	if n := strings.Count(out, "field=last "); n != 1 || dropped["last"] != 2 {
		t.Fatalf("dropped last logged %d times", n)
	}
}

// series returns the values of a counter family by its field label.
func series(t *testing.T, m *metrics.Metrics, name string) map[string]float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.Metric {
			out[s.Label[0].GetValue()] = s.Counter.GetValue()
		}
	}
	return out
}
