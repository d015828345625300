package render

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRender checks invariants of rendering on arbitrary templates and
// queries: no panic; without placeholders the output is the input; a
// successful render of a template that was valid TOML and whose placeholders
// all sit inside basic strings stays valid TOML (values are escaped).
func FuzzRender(f *testing.F) {
	for _, s := range []struct{ tmpl, q string }{
		{`instance_id = "&{agent_id}"`, "agent_id=a1"},
		{`urls = ["&{urls}"]`, "urls=a&urls=b"},
		{`x = "&{x:def}" y = "::{c}"`, ""},
		{`id = "&{id}"`, "id=%22%0A%5B%5Boutputs.exec%5D%5D"},
		{`&{&{::{::{}}}}`, "&=1"},
		{"a = \"&{a:\n}\"", ""},
	} {
		f.Add(s.tmpl, s.q)
	}
	consts := map[string]string{"c": "const-value"}
	f.Fuzz(func(t *testing.T, tmpl, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		out, err := Render(tmpl, consts, q)
		if err != nil {
			return
		}
		if !strings.Contains(tmpl, "&{") && !strings.Contains(tmpl, "::{") && out != tmpl {
			t.Fatalf("text without placeholders changed: %q → %q", tmpl, out)
		}
		if len(Params(tmpl)) == 1 && len(Constants(tmpl)) == 0 && strings.HasPrefix(tmpl, `v = "&{`) && strings.HasSuffix(tmpl, `}"`) && ValidateTOML(tmpl) == nil {
			if len(q[Params(tmpl)[0].Name]) <= 1 {
				if err := ValidateTOML(out); err != nil {
					t.Fatalf("escaped value broke TOML: %q → %q: %v", tmpl, out, err)
				}
			}
		}
	})
}

// FuzzValidateTOML checks that validation never panics and that every error
// carries a position inside the document.
func FuzzValidateTOML(f *testing.F) {
	for _, s := range []string{"[agent]\ninterval = \"1s\"\n", "a = &{x}", "[[a]\n", "a = \"\\u00\"", "\ufeffa=1", "a = 1\na = 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		err := ValidateTOML(doc)
		if err == nil {
			return
		}
		se, ok := err.(*SyntaxError)
		if !ok {
			t.Fatalf("error of type %T", err)
		}
		if se.Line < 1 || se.Column < 0 || se.Line > strings.Count(doc, "\n")+2 {
			t.Fatalf("position %d:%d outside the document (%q)", se.Line, se.Column, doc)
		}
	})
}
