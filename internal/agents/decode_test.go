package agents

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func TestCapLogs(t *testing.T) {
	var in []wireLog
	for i := 0; i < 300; i++ {
		level := "INFO"
		if i%10 == 0 {
			level = "ERROR"
		}
		in = append(in, wireLog{Time: "2026-11-22T10:00:00Z", Level: level, Message: fmt.Sprintf("m%03d", i)})
	}
	out, err := capLogs(in)
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
	out, err = capLogs([]wireLog{{Level: "ERROR", Message: big, Attributes: map[string]any{"x": strings.Repeat("a", 3000)}}})
	if err != nil || len(out) != 1 || !out[0].Truncated || out[0].Attributes != nil || len(out[0].Message) > maxLogMessage+len(truncationMarker) || !strings.HasSuffix(out[0].Message, truncationMarker) {
		t.Fatalf("%+v %v", out, err)
	}
	in = nil
	for i := 0; i < 150; i++ {
		in = append(in, wireLog{Level: "WARN", Message: strings.Repeat("w", 1000)})
	}
	out, _ = capLogs(in)
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
	f.Fuzz(func(t *testing.T, body []byte) {
		hb, err := Decode(body)
		if err != nil {
			if tc.ErrorCode(err) != tc.EInvalid {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		if strings.TrimSpace(hb.ID) == "" || len(hb.Logs) > maxLogEntries {
			t.Fatalf("accepted %+v", hb)
		}
	})
}
