package render

import (
	"errors"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// Values are written for the TOML context they stand in, or refused.
func TestEncodeByContext(t *testing.T) {
	consts := map[string]string{"win": `C:\Program Files\Telegraf`, "tmp": `C:\temp`, "q": `it's "x"`, "n": "1000", "list": `["a", "b"]`, "bad": "10 00", "key": "cpu"}
	tests := []struct {
		tmpl, want, errKind string
	}{
		{tmpl: `[agent]` + "\n" + `logfile = "::{win}\\telegraf.log"`, want: `[agent]` + "\n" + `logfile = "C:\\Program Files\\Telegraf\\telegraf.log"`},
		{tmpl: `[agent]` + "\n" + `a = "::{tmp}"`, want: `[agent]` + "\n" + `a = "C:\\temp"`},
		{tmpl: `[agent]` + "\n" + `a = '::{tmp}'`, want: `[agent]` + "\n" + `a = 'C:\temp'`},
		{tmpl: `[agent]` + "\n" + `a = '::{q}'`, errKind: "'…' string"},
		{tmpl: `[agent]` + "\n" + `a = """::{q}"""`, want: `[agent]` + "\n" + `a = """it's \"x\""""`},
		{tmpl: "[agent]\na = '''::{q}\n'''", want: "[agent]\na = '''it's \"x\"\n'''"},
		{tmpl: "[agent]\nmetric_batch_size = ::{n}", want: "[agent]\nmetric_batch_size = 1000"},
		{tmpl: "[agent]\nurls = ::{list}", want: "[agent]\nurls = [\"a\", \"b\"]"},
		{tmpl: "[agent]\nx = ::{bad}", errKind: "bare value"},
		{tmpl: "[[inputs.::{key}]]", want: "[[inputs.cpu]]"},
		{tmpl: "[[inputs.::{q}]]", errKind: "a key"},
		{tmpl: "# ::{q}\n[agent]", want: "# it's \\\"x\\\"\n[agent]"},
	}
	for _, tt := range tests {
		got, err := Render(tt.tmpl, consts, nil)
		if tt.errKind != "" {
			var ve *ValueError
			if !errors.As(err, &ve) || !strings.Contains(ve.Error(), tt.errKind) {
				t.Errorf("%q: want a value error about %s, got %q %v", tt.tmpl, tt.errKind, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q:\n got %q %v\nwant %q", tt.tmpl, got, err, tt.want)
			continue
		}
		if _, err := Validate(got, Check{}); err != nil {
			t.Errorf("%q renders to %q, which Telegraf refuses: %v", tt.tmpl, got, err)
		}
	}
}

// A query value can never break out of where it stands: repeated values
// join only inside array elements, a bare value must be one TOML value.
func TestQueryValuesByContext(t *testing.T) {
	q := url.Values{"u": {"a", "b"}, "one": {`x"y`}, "num": {"5"}, "evil": {"1\n[[outputs.exec]]"}}
	for tmpl, want := range map[string]string{
		"[agent]\nurls = [\"&{u}\"]":     "[agent]\nurls = [\"a\", \"b\"]",
		"[agent]\nurls = ['&{u}']":       "[agent]\nurls = ['a', 'b']",
		"[agent]\nid = \"&{one}\"":       "[agent]\nid = \"x\\\"y\"",
		"[agent]\nn = &{num}":            "[agent]\nn = 5",
		"[agent]\nid = \"&{u}\"":         "error",
		"[agent]\nn = &{evil}":           "error",
		"[agent]\nid = '&{one}'":         "[agent]\nid = 'x\"y'",
		"[agent]\nd = \"&{none:C:\\x}\"": "[agent]\nd = \"C:\\\\x\"",
	} {
		got, err := Render(tmpl, nil, q)
		if want == "error" {
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Errorf("%q: want a value error, got %q %v", tmpl, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", tmpl, got, err, want)
		}
	}
}

// Issue 15 finding 3: a render stops at the limit instead of building a
// gigabyte: 16,000 uses of a 64 KiB value (1 GiB uncapped) allocate a
// small multiple of the 8 MiB limit.
func TestRenderStopsAtLimit(t *testing.T) {
	tmpl := "[agent]\n" + strings.Repeat("x = \"::{big}\"\n", 16000)
	consts := map[string]string{"big": strings.Repeat("a", 64<<10)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := RenderWith(tmpl, consts, nil, Options{MaxBytes: 8 << 20})
	runtime.ReadMemStats(&after)
	var te *TooLargeError
	if !errors.As(err, &te) || te.Limit != 8<<20 {
		t.Fatalf("want TooLargeError, got %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Fatalf("a capped render allocated %d MiB", alloc>>20)
	}
}

// Environment variables: Telegraf's expansion rules, known and unknown
// environments.
func TestSubstituteEnv(t *testing.T) {
	env := Env{"SET": "v", "EMPTY": ""}
	for in, want := range map[string]string{
		"$SET ${SET} $$SET":       "v v $SET",
		"${UNSET} $UNSET":         "${UNSET} $UNSET",
		"${UNSET:-d} ${EMPTY:-d}": "d d",
		"${EMPTY-d}|${UNSET-d}":   "|d",
		"${SET:+alt} ${UNSET:+x}": "alt ",
		"${1} ${} $5 ${SET!}":     "${1} ${} $5 ${SET!}",
		"${UNSET:-${SET}}":        "v",
		"price $ 5":               "price $ 5",
	} {
		got, err := substituteEnv(in, env)
		if err != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, err, want)
		}
	}
	var re *RequiredVarError
	if _, err := substituteEnv("a ${UNSET:?set it}", env); !errors.As(err, &re) || re.Name != "UNSET" || re.Offset != 2 {
		t.Fatalf("required: %v", err)
	}
	if _, err := substituteEnv("${EMPTY?x}", env); err != nil {
		t.Fatalf("? accepts an empty value: %v", err)
	}
	// Unknown environment: every variable set to a neutral value, defaults
	// as written, nothing required fails.
	if got, err := substituteEnv("${A} ${B:-10s} ${C:?x} $D", nil); err != nil || got != "0 10s 0 0" {
		t.Fatalf("unknown environment: %q %v", got, err)
	}
	e, err := ParseEnvFile(strings.NewReader("# c\nexport A=1\nB=\"two words\"\n\nC='x'\n"))
	if err != nil || e["A"] != "1" || e["B"] != "two words" || e["C"] != "x" {
		t.Fatalf("env file: %v %v", e, err)
	}
	if _, err := ParseEnvFile(strings.NewReader("not a pair\n")); err == nil {
		t.Fatal("a bad env file line was accepted")
	}
}

// Lint: unknown plugins, the heartbeat logs limit, include values, and a
// heartbeat URL that is not this tcd's.
func TestLint(t *testing.T) {
	doc := `[[inputs.cpu]]
[[inputs.nosuch]]
[[outputs.heartbeat]]
  url = "http://tcd.example:8000/agents/heartbeat"
  instance_id = "a"
  include = ["hostname", "bogus"]
  [outputs.heartbeat.logs]
    limit = 3
[[outputs.heartbeat]]
  url = "${HB_URL}"
  instance_id = "b"
`
	res, err := Validate(doc, Check{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, w := range res.Lint(LintOptions{HeartbeatURLs: []string{"https://tcd.example:8443"}}) {
		got[w.Code] = w.Line
	}
	want := map[string]int{WarnUnknownPlugin: 2, WarnHeartbeatURL: 4, WarnOption: 6, WarnCrash: 8}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: line %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if ws := res.Lint(LintOptions{HeartbeatPort: 8000}); len(ws) != 3 {
		t.Errorf("the listener's port matches: %v", ws)
	}
}

// Errors Telegraf's loader is certain to raise are refused from the text.
func TestLoadErrorsFromText(t *testing.T) {
	for doc, want := range map[string]string{
		"a = 1\n[agent]\n":                                         "outside any table",
		"[[agent]]\n":                                              "array of tables",
		"[processors.rename]\n":                                    "[[processors.rename]]",
		"[agent]\nx = 99999999999999999999999\n":                   "64 bits",
		"[agent]\n\n\n  a = 1\r\n  a = 2\r\n":                      "conflict",
		"[agent]\r\n  a = 1\r\n  b = [\r\n1,\r\n2]\r\n  a = 3\r\n": "line 6",
	} {
		_, err := Validate(doc, Check{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", doc, err, want)
		}
	}
}
