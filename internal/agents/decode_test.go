package agents

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opentc/tc/pkg/tc"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"Telegraf 1.39.3 (git: HEAD@eb37a442)":       "1.39.3",
		"Telegraf 1.37.0-c3db479e (git: b@c3db479e)": "1.37.0",
		"Telegraf unknown":                           "",
		"":                                           "",
	} {
		if got := ParseVersion(in); got != want {
			t.Errorf("%q: %q want %q", in, got, want)
		}
	}
}

func TestDecodeFields(t *testing.T) {
	hb, err := Decode([]byte(`{"id":"\u0026{agent_id}","version":"Telegraf 1.37.2","schema":1,"last":-62135596800,"status":"warn","logs":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if hb.ID != "&{agent_id}" || hb.Status != tc.StatusWarn || !hb.HasLast || hb.LastSuccess != nil || hb.Logs == nil || len(hb.Logs) != 0 || hb.Stats != nil || hb.Configurations != nil {
		t.Fatalf("%+v", hb)
	}
	hb, err = Decode([]byte(`{"instance_id":"legacy","version":"Telegraf 1.39.0","last":1795343703}`))
	if err != nil || hb.ID != "legacy" || hb.Status != tc.StatusUndefined || hb.LastSuccess == nil || hb.LastSuccess.Unix() != 1795343703 {
		t.Fatalf("%+v %v", hb, err)
	}
}

// Liberal decoding (issue 17): what a newer or odd agent sends is accepted
// and brought within bounds; only an unusable id or version, a body that is
// not one JSON object, and a schema below 1 are refused.
func TestDecodeLiberal(t *testing.T) {
	hb, err := Decode([]byte(`{"id":"future","version":"Telegraf 2.0.0","schema":2,"status":"degraded","uptime":12,` +
		`"statistics":{"errors":3,"warnings":0,"metrics":9,"dropped":4},"logs":[{"level":"warn","message":"m","trace":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if hb.Status != tc.StatusUndefined || hb.StatusRaw != "degraded" || hb.Stats == nil || hb.Stats.Errors != 3 || hb.Stats.Metrics != 9 ||
		len(hb.Logs) != 1 || hb.Logs[0].Level != "WARN" || fmt.Sprint(hb.Unknown) != "[logs.trace statistics.dropped uptime]" || hb.Dropped != nil {
		t.Fatalf("%+v", hb)
	}
	// The two slower passes name the same unknown fields: the typed pass
	// with a key scan (unknown fields only) and the field-by-field pass (a
	// known field of the wrong type too).
	for _, body := range []string{
		`{"ID":"a","Version":"v","zz":1,"Statistics":{"Errors":1,"x":2},"logs":[{"Message":"m","y":1},{"y":2,"z":3}]}`,
		`{"id":"a","version":"v","statistics":{"errors":1},"new":{"nested":{"k":1}},"logs":[]}`,
	} {
		hb, err := Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		var w wireHeartbeat
		var n notes
		if err := decodeLenient([]byte(body), &w, &n); err != nil {
			t.Fatal(err)
		}
		slow, err := build(&w, &n)
		if err != nil || fmt.Sprint(slow.Unknown) != fmt.Sprint(hb.Unknown) || slow.ID != hb.ID || *slow.Stats != *hb.Stats {
			t.Fatalf("%s: typed pass %+v, field by field %+v (%v)", body, hb, slow, err)
		}
	}
	if hb, _ := Decode([]byte(`{"ID":"a","Version":"v","zz":1}`)); hb == nil || hb.ID != "a" || fmt.Sprint(hb.Unknown) != "[zz]" {
		t.Fatalf("keys in another case: %+v", hb)
	}
	for _, c := range []struct {
		body, dropped string
		check         func(*Heartbeat) bool
	}{
		// finding 1: a last-success time past the year 9999 is dropped
		{`{"id":"a","version":"v","last":253402300800}`, "[last]", func(h *Heartbeat) bool { return !h.HasLast && h.LastSuccess == nil }},
		{`{"id":"a","version":"v","last":253402300799}`, "[]", func(h *Heartbeat) bool { return h.LastSuccess.Year() == 9999 }},
		{`{"id":"a","version":"v","last":1e300}`, "[last]", func(h *Heartbeat) bool { return !h.HasLast }},
		{`{"id":"a","version":"v","last":-1}`, "[]", func(h *Heartbeat) bool { return h.HasLast && h.LastSuccess == nil }},
		{`{"id":"a","version":"v","last":"soon"}`, "[last]", func(h *Heartbeat) bool { return !h.HasLast }},
		// counters: negative → 0, beyond 2^53−1 clamped, fractions cut, wrong type dropped
		{`{"id":"a","version":"v","statistics":{"errors":-5,"warnings":18446744073709551615,"metrics":2.5}}`,
			"[statistics.errors statistics.metrics statistics.warnings]",
			func(h *Heartbeat) bool {
				return *h.Stats == tc.Statistics{Errors: 0, Warnings: tc.MaxCounter, Metrics: 2}
			}},
		{`{"id":"a","version":"v","statistics":{"errors":9007199254740992,"warnings":1e400,"metrics":"x"}}`,
			"[statistics.errors statistics.metrics statistics.warnings]",
			func(h *Heartbeat) bool {
				return *h.Stats == tc.Statistics{Errors: tc.MaxCounter, Warnings: tc.MaxCounter}
			}},
		{`{"id":"a","version":"v","statistics":"x"}`, "[statistics]", func(h *Heartbeat) bool { return h.Stats == nil }},
		// log times outside 1970–9999 or not RFC 3339 are dropped, the entry kept
		{`{"id":"a","version":"v","logs":[{"time":"9999-12-31T23:59:59-01:00","message":"a"},{"time":"1969-12-31T23:59:59Z","message":"b"},` +
			`{"time":"bad","message":"c"},{"time":"2026-11-22T10:00:00+01:00","message":"d"},{"time":5,"message":"e"}]}`, "[logs.time]",
			func(h *Heartbeat) bool {
				return len(h.Logs) == 5 && h.Logs[0].Time.IsZero() && h.Logs[1].Time.IsZero() && h.Logs[2].Time.IsZero() &&
					h.Logs[3].Time.Equal(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)) && h.Logs[4].Time.IsZero() && h.Logs[4].Message == "e"
			}},
		{`{"id":"a","version":"v","logs":[{"attributes":[1],"message":"x"},7]}`, "[logs logs.attributes]",
			func(h *Heartbeat) bool { return len(h.Logs) == 1 && h.Logs[0].Attributes == nil && h.LogsReported == 1 }},
		{`{"id":"a","version":"v","logs":{"x":1}}`, "[logs]", func(h *Heartbeat) bool { return h.Logs == nil }},
		// strings: control characters replaced, long values cut on a character boundary
		{`{"id":"a","version":"v\u0000","hostname":"` + strings.Repeat("é", 200) + `","status":"` + strings.Repeat("x", 100) + `"}`, "[]",
			func(h *Heartbeat) bool {
				return h.Version == "v\uFFFD" && len(h.Hostname) == 256 && utf8.ValidString(h.Hostname) && len(h.StatusRaw) == 64
			}},
		{`{"id":"a","version":"v","hostname":5,"status":true,"configurations":["ok","bad\n",3]}`, "[configurations hostname status]",
			func(h *Heartbeat) bool {
				return h.Hostname == "" && h.Status == tc.StatusUndefined && fmt.Sprint(h.Configurations) == "[ok]"
			}},
		{`{"id":"a","version":"v","status":"fail"}`, "[]", func(h *Heartbeat) bool { return h.Status == tc.StatusFail && h.StatusRaw == "" }},
		{`{"id":"a","version":"v","schema":1000,"statistics":null,"logs":null,"hostname":null}`, "[]",
			func(h *Heartbeat) bool { return h.Stats == nil && h.Logs == nil }},
	} {
		hb, err := Decode([]byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if got := fmt.Sprint(hb.Dropped); got != c.dropped || !c.check(hb) {
			t.Errorf("%s: dropped %s (want %s): %+v", c.body, got, c.dropped, hb)
		}
	}
	for body, want := range map[string]string{
		`{"version":"v"}`:                       `missing "id"`,
		`{"id":"","version":"v"}`:               `"id" must not be empty`,
		`{"id":5,"version":"v"}`:                `"id" has the wrong type`,
		`{"id":"a\nb","version":"v"}`:           "control characters",
		`{"id":"a"}`:                            `missing "version"`,
		`{"id":"a","version":" "}`:              `missing "version"`,
		`{"id":"a","version":["v"]}`:            `"version" has the wrong type`,
		`{"id":"a","version":"v","schema":0}`:   "schema must be a whole number from 1",
		`{"id":"a","version":"v","schema":1.5}`: "schema must be a whole number from 1",
		`{"id":"a","version":"v","x":}`:         "malformed JSON",
		`{"id":"a","version":"v"} {}`:           "unexpected data after the JSON object",
		`[]`:                                    "body must be a JSON object",
	} {
		_, err := Decode([]byte(body))
		if err == nil || tc.ErrorCode(err) != tc.EInvalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an invalid error containing %q", body, err, want)
		}
	}
}

func TestCapLogs(t *testing.T) {
	var in []wireLog
	for i := 0; i < 300; i++ {
		level := "INFO"
		if i%10 == 0 {
			level = "ERROR"
		}
		in = append(in, wireLog{Time: "2026-11-22T10:00:00Z", Level: level, Message: fmt.Sprintf("m%03d", i)})
	}
	out, err := capLogs(in, &notes{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != maxLogEntries {
		t.Fatalf("kept %d", len(out))
	}
	errors := 0
	for i, e := range out {
		if e.Level == "ERROR" {
			errors++
		}
		if i > 0 && out[i-1].Message > e.Message {
			t.Fatalf("time order not restored at %d", i)
		}
	}
	if errors != 30 {
		t.Fatalf("errors kept %d, want all 30", errors)
	}
	if out[len(out)-1].Message != "m299" {
		t.Fatalf("most recent not kept: %s", out[len(out)-1].Message)
	}

	// Long messages are truncated; big attributes dropped; the byte budget holds.
	big := strings.Repeat("é", 10000)
	out, err = capLogs([]wireLog{{Level: "ERROR", Message: big, Attributes: map[string]any{"x": strings.Repeat("a", 3000)}}}, &notes{})
	if err != nil || len(out) != 1 || !out[0].Truncated || out[0].Attributes != nil || len(out[0].Message) > maxLogMessage+len(truncationMarker) || !strings.HasSuffix(out[0].Message, truncationMarker) {
		t.Fatalf("%+v %v", out, err)
	}
	in = nil
	for i := 0; i < 150; i++ {
		in = append(in, wireLog{Level: "WARN", Message: strings.Repeat("w", 1000)})
	}
	out, _ = capLogs(in, &notes{})
	b, _ := json.Marshal(out)
	if len(b) > maxLogBudget+len(out)+2 || len(out) >= 150 {
		t.Fatalf("budget: %d entries, %d bytes", len(out), len(b))
	}
}

// FuzzDecode: any input either decodes to a heartbeat with a non-empty ID
// or fails with an invalid error — never a panic, never another error kind.
// The seed corpus is every heartbeat body of the Telegraf fixtures.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/telegraf/run*.jsonl")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var c struct {
				Method, Body string
			}
			if json.Unmarshal([]byte(line), &c) == nil && c.Method == "POST" {
				f.Add([]byte(c.Body))
			}
		}
	}
	f.Add([]byte(`{"id":"x","version":"v","statistics":"x"}`))
	f.Add([]byte(`{"id":"x","version":"v","logs":[{"time":"bad"}]}`))
	f.Add([]byte(`{"id":"x","version":"v","schema":2,"status":"degraded","new":{"a":[1]},"statistics":{"errors":-1,"x":1}}`))
	f.Add([]byte(`{"id":"x","version":"v","last":253402300800,"logs":[{"time":"9999-12-31T23:59:59-23:00","attributes":{"n":1e308}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		hb, err := Decode(body)
		if err != nil {
			if tc.ErrorCode(err) != tc.EInvalid {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		checkBounds(t, hb)
	})
}

// checkBounds fails unless every value of hb is within tcd's bounds, so
// that storing and reading it back cannot fail.
func checkBounds(t *testing.T, hb *Heartbeat) {
	t.Helper()
	inRange := func(tm time.Time) bool { return !tm.Before(minTime) && !tm.After(maxTime) }
	text := func(s string, max int) bool {
		return len(s) <= max && utf8.ValidString(s) && !strings.ContainsFunc(s, isControl)
	}
	switch {
	case strings.TrimSpace(hb.ID) == "" || !text(hb.ID, maxIDLen), strings.TrimSpace(hb.Version) == "" || !text(hb.Version, maxFieldLen),
		!text(hb.Hostname, maxFieldLen), !text(hb.StatusRaw, maxStatusRawLen), !tc.ValidAgentStatus(hb.Status):
		t.Fatalf("text out of bounds: %+v", hb)
	case hb.LastSuccess != nil && !inRange(*hb.LastSuccess):
		t.Fatalf("last success %v", hb.LastSuccess)
	case hb.Stats != nil && (hb.Stats.Errors > tc.MaxCounter || hb.Stats.Warnings > tc.MaxCounter || hb.Stats.Metrics > tc.MaxCounter):
		t.Fatalf("counters %+v", hb.Stats)
	case len(hb.Configurations) > maxConfigs, len(hb.Logs) > maxLogEntries, len(hb.Unknown) > maxUnknownPerBody:
		t.Fatalf("too many: %+v", hb)
	}
	for _, c := range hb.Configurations {
		if !text(c, maxConfigLen) {
			t.Fatalf("configuration %q", c)
		}
	}
	for _, l := range hb.Logs {
		if !l.Time.IsZero() && !inRange(l.Time) {
			t.Fatalf("log time %v", l.Time)
		}
	}
	if hb.Logs != nil {
		if _, err := json.Marshal(hb.Logs); err != nil {
			t.Fatalf("logs cannot be encoded: %v", err)
		}
	}
}
