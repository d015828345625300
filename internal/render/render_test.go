package render

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	consts := map[string]string{"region": "eu-west-1", "db_url": "http://db:8086"}
	tests := []struct {
		name    string
		tmpl    string
		query   string
		want    string
		missing []string
		undef   []string
	}{
		{name: "no placeholders", tmpl: "[agent]\n", want: "[agent]\n"},
		{name: "agent id", tmpl: `instance_id = "&{agent_id}"`, query: "agent_id=a1", want: `instance_id = "a1"`},
		{name: "missing required", tmpl: `a = "&{x}" b = "&{y}" c = "&{x}"`, missing: []string{"x", "y"}},
		{name: "default used", tmpl: `u = "&{db:https://localhost:8181}"`, want: `u = "https://localhost:8181"`},
		{name: "default overridden", tmpl: `u = "&{db:https://localhost:8181}"`, query: "db=h", want: `u = "h"`},
		{name: "empty value counts as given", tmpl: `u = "&{x}"`, query: "x=", want: `u = ""`},
		{name: "repeated values joined", tmpl: `urls = ["&{urls}"]`, query: "urls=a&urls=b", want: `urls = ["a", "b"]`},
		{name: "value escaped", tmpl: `id = "&{id}"`, query: "id=" + url.QueryEscape("x\"\n[[outputs.exec]]\\"), want: `id = "x\"\n[[outputs.exec]]\\"`},
		{name: "env and secrets untouched", tmpl: `t = "${INFLUX_TOKEN}" p = "@{vault:pw}" d = "${X:-y}"`, want: `t = "${INFLUX_TOKEN}" p = "@{vault:pw}" d = "${X:-y}"`},
		{name: "constant", tmpl: `r = "::{region}"`, want: `r = "eu-west-1"`},
		{name: "undefined constant", tmpl: `r = "::{nope}::{region}::{also}"`, undef: []string{"also", "nope"}},
		{name: "undefined beats missing", tmpl: `r = "::{nope}&{x}"`, undef: []string{"nope"}},
		{name: "no rescan of values", tmpl: `a = "&{a}"`, query: "a=" + url.QueryEscape("::{region}&{b}"), want: `a = "::{region}&{b}"`},
		{name: "malformed left alone", tmpl: `a = "&{} &{a b} ::{1x} &{x" &{y`, want: `a = "&{} &{a b} ::{1x} &{x" &{y`},
		{name: "unrelated query ignored", tmpl: `a = 1`, query: "zzz=1", want: `a = 1`},
		{name: "default with colon and url", tmpl: `a = "&{u:a:b:c}"`, want: `a = "a:b:c"`},
		{name: "dotted and dashed names", tmpl: `a = "&{my.param-1}"`, query: "my.param-1=v", want: `a = "v"`},
		{name: "comment never required", tmpl: "# instance_id = \"&{agent_id}\" ::{nope}\nx = \"&{x}\" # &{y}\n", query: "x=1", want: "# instance_id = \"&{agent_id}\" ::{nope}\nx = \"1\" # &{y}\n"},
		{name: "comment substituted when given", tmpl: "# id &{a} ::{region}\n", query: "a=v", want: "# id v eu-west-1\n"},
		{name: "hash inside strings is no comment", tmpl: `a = "#&{x}" b = '#' c = """#""" d = "&{y}"`, missing: []string{"x", "y"}},
		{name: "unicode kept", tmpl: `a = "&{n}"`, query: "n=" + url.QueryEscape("café ✓"), want: `a = "café ✓"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Render(tt.tmpl, consts, q)
			var me *MissingParamsError
			var ue *UndefinedConstantsError
			switch {
			case tt.missing != nil:
				if !errors.As(err, &me) || !reflect.DeepEqual(me.Names, tt.missing) {
					t.Fatalf("want missing %v, got %v / %v", tt.missing, got, err)
				}
			case tt.undef != nil:
				if !errors.As(err, &ue) || !reflect.DeepEqual(ue.Names, tt.undef) {
					t.Fatalf("want undefined %v, got %v / %v", tt.undef, got, err)
				}
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			case got != tt.want:
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParamsAndConstants(t *testing.T) {
	tmpl := `a = "&{x}" b = "&{y:1}" c = "&{x:2}" d = "::{B}::{A}::{B}"`
	want := []Param{{Name: "x", Default: "2", HasDefault: true}, {Name: "y", Default: "1", HasDefault: true}}
	if got := Params(tmpl); !reflect.DeepEqual(got, want) {
		t.Fatalf("params %+v", got)
	}
	if got := Constants(tmpl); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Fatalf("constants %v", got)
	}
	if !References(tmpl, "A") || References(tmpl, "C") {
		t.Fatal("References")
	}
}

func TestValidateTOML(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		line, col int
	}{
		{name: "valid with placeholders", doc: "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n  token = \"${T}\"\n  x = \"::{c}\"\n"},
		{name: "unquoted placeholder", doc: "[agent]\ninterval = &{i}\n", line: 2, col: 12},
		{name: "unclosed table", doc: "[agent\n", line: 2},
		{name: "duplicate key", doc: "[agent]\na = 1\n  a = 2\n", line: 3, col: 3},
		{name: "empty is valid", doc: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTOML(tt.doc)
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want syntax error, got %v", err)
			}
			if se.Line != tt.line || (tt.col > 0 && se.Column != tt.col) {
				t.Fatalf("position %d:%d, want %d:%d (%v)", se.Line, se.Column, tt.line, tt.col, se)
			}
			if !strings.Contains(se.Error(), "line") {
				t.Fatal(se.Error())
			}
		})
	}
}

func TestGroupAndDiff(t *testing.T) {
	out := Group("g", []Section{{Name: "one", ID: "1", TOML: "a = 1"}, {Name: "two", ID: "2", TOML: "b = 2\n"}})
	if !strings.HasPrefix(out, `# ---- config "one" (1)`) || !strings.Contains(out, "a = 1\n\n# ---- config \"two\" (2)") {
		t.Fatalf("group:\n%s", out)
	}
	if Group("g", nil) != "" {
		t.Fatal("empty group must be empty")
	}
	d := Diff("v1", "v2", "a = 1\n", "a = 2\n")
	if !strings.Contains(d, "-a = 1") || !strings.Contains(d, "+a = 2") {
		t.Fatal(d)
	}
	if Diff("v1", "v2", "x", "x") != "" {
		t.Fatal("equal inputs must not diff")
	}
}

func TestCanonicalQuery(t *testing.T) {
	a, _ := url.ParseQuery("b=2&a=1&a=0")
	b, _ := url.ParseQuery("a=1&b=2&a=0")
	if CanonicalQuery(a) != CanonicalQuery(b) || CanonicalQuery(a) != "a=1&a=0&b=2" {
		t.Fatal(CanonicalQuery(a))
	}
}
