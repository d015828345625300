package cmdutil

import (
	"bytes"
	"testing"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

func TestPrintStructuredYAML(t *testing.T) {
	type sample struct {
		ID       string    `json:"id"`
		Count    int       `json:"count"`
		Big      int64     `json:"big"`
		Ratio    float64   `json:"ratio"`
		Flag     bool      `json:"flag"`
		Quoted   []string  `json:"quoted"`
		Empty    []string  `json:"empty"`
		Missing  *string   `json:"missing"`
		When     time.Time `json:"createdAt"`
		Nested   tc.Role   `json:"nestedRole"`
		Multi    string    `json:"multi"`
		Escaped  string    `json:"escaped"`
		Children []tc.User `json:"children"`
	}
	v := sample{ID: "u1", Count: 100, Big: 1_000_000, Ratio: 0.5, Flag: true,
		Quoted: []string{"true", "123", "null", "yes", "a: b"}, Empty: []string{},
		When: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Nested: tc.RoleViewer,
		Multi: "line1\nline2", Escaped: "<&>", Children: []tc.User{}}
	var buf bytes.Buffer
	if err := PrintStructured(&buf, FormatYAML, v); err != nil {
		t.Fatal(err)
	}
	want := `id: u1
count: 100
big: 1000000
ratio: 0.5
flag: true
quoted:
  - "true"
  - "123"
  - "null"
  - "yes"
  - 'a: b'
empty: []
missing: null
createdAt: "2025-03-01T12:00:00Z"
nestedRole: viewer
multi: |-
  line1
  line2
escaped: <&>
children: []
`
	if buf.String() != want {
		t.Errorf("YAML =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestPrintStructuredEmptyList(t *testing.T) {
	for _, f := range []Format{FormatJSON, FormatYAML} {
		var buf bytes.Buffer
		if err := PrintStructured(&buf, f, Items[tc.User](nil)); err != nil {
			t.Fatal(err)
		}
		if buf.String() != "[]\n" {
			t.Errorf("%s: empty list = %q, want []", f, buf.String())
		}
	}
}

func TestFormatSet(t *testing.T) {
	var f Format
	for _, in := range []string{"table", "JSON", " yaml "} {
		if err := f.Set(in); err != nil {
			t.Errorf("Set(%q) = %v", in, err)
		}
	}
	if f != FormatYAML {
		t.Errorf("f = %q", f)
	}
	if err := f.Set("xml"); err == nil {
		t.Error("Set(xml) accepted")
	}
}
