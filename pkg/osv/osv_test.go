package osv

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/advisories/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseDocumentArrayAndZip(t *testing.T) {
	one, mixed := readTestdata(t, "TCTEST-2026-0001.json"), readTestdata(t, "mixed.json")
	for _, c := range []struct {
		name    string
		data    []byte
		total   int
		ids     string
		ignored int
	}{
		{"document", one, 1, "TCTEST-2026-0001", 0},
		{"array", mixed, 3, "TCTEST-2026-0002,TCTEST-2026-0003", 1},
		{"zip", zipOf(t, map[string][]byte{"a/TCTEST-2026-0001.json": one, "mixed.json": mixed, "README.md": []byte("not json")}), 4, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Parse(c.name, c.data)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range res.Entries {
				ids = append(ids, e.ID)
				if len(e.Document) == 0 || !bytes.Contains(e.Document, []byte(`"id":"`+e.ID+`"`)) {
					t.Errorf("%s: canonical document %s", e.ID, e.Document)
				}
			}
			if res.Total != c.total || res.Ignored() != c.ignored || (c.ids != "" && strings.Join(ids, ",") != c.ids) {
				t.Fatalf("total %d ignored %d ids %v", res.Total, res.Ignored(), ids)
			}
		})
	}
	res, _ := Parse("", one)
	e := res.Entries[0]
	if e.Level() != High || e.Modified == nil || e.Modified.Format("2006-01-02") != "2026-03-02" || len(e.Aliases) != 1 || e.References[0].URL == "" {
		t.Fatalf("entry: %+v level %s", e, e.Level())
	}
	if f := e.FixedVersions(); len(f) != 1 || f[0] != "1.38.0" {
		t.Fatalf("fixed %v", f)
	}
	// Canonical: the same entry reformatted is the same document.
	res2, err := Parse("", []byte(strings.ReplaceAll(string(one), "\n", "\n\t ")))
	if err != nil || !bytes.Equal(res2.Entries[0].Document, e.Document) {
		t.Fatalf("reformatted entry differs: %v\n%s\n%s", err, res2.Entries[0].Document, e.Document)
	}
}

// A malformed file is refused with the file and the JSON path of the value
// at fault.
func TestParseErrorsNameThePath(t *testing.T) {
	const tg = `"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"}`
	entry := func(affected string) string {
		return `{"id":"X-1","affected":[{` + tg + `,` + affected + `}]}`
	}
	for _, c := range []struct {
		name, data, path, msg string
	}{
		{"fixture", string(readTestdata(t, "malformed.json")), "$[3].affected[0].ranges[0].events[1].fixed", `"1.38" is not a semantic version`},
		{"syntax", "[\n{\"id\":\"X-1\",\n\"affected\":[}]", "$[0].affected", "malformed JSON at line 3, column 13"},
		{"truncated", `[{"id":"X-1"`, "$[0]", "ends too early"},
		{"trailing", `{"id":"X-1"} {"id":"X-2"}`, "$", "unexpected data after the JSON value"},
		{"scalar", `42`, "$", "must be an OSV document"},
		{"entry not object", `[{"id":"X-1"},"x"]`, "$[1]", "must be an object, not a string"},
		{"missing id", `[{"id":"X-1"},{"summary":"s"}]`, "$[1].id", "is required"},
		{"id type", `{"id":7}`, "$.id", "must be a string, not a number"},
		{"id spaces", `{"id":"a b"}`, "$.id", "is not an advisory ID"},
		{"duplicate key", `{"id":"X-1","id":"X-2"}`, "$.id", "duplicate key"},
		{"aliases", `{"id":"X-1","aliases":["a",1]}`, "$.aliases[1]", "must be a string"},
		{"affected not array", `{"id":"X-1","affected":{}}`, "$.affected", "must be an array"},
		{"no ecosystem", `{"id":"X-1","affected":[{"package":{"name":"n"}}]}`, "$.affected[0].package.ecosystem", "is required"},
		{"range type", entry(`"ranges":[{"type":"CALVER","events":[{"introduced":"0"}]}]`), "$.affected[0].ranges[0].type", "unknown range type"},
		{"no events", entry(`"ranges":[{"type":"SEMVER","events":[]}]`), "$.affected[0].ranges[0].events", "at least one event"},
		{"two keys", entry(`"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]`), "$.affected[0].ranges[0].events[0]", "exactly one of"},
		{"event type", entry(`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":1}]}]`), "$.affected[0].ranges[0].events[1].fixed", "must be a string"},
		{"no introduced", entry(`"ranges":[{"type":"SEMVER","events":[{"fixed":"1.2.0"}]}]`), "$.affected[0].ranges[0].events", `must include an "introduced"`},
		{"bad introduced", entry(`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"one"}]}]`), "$.affected[0].ranges[0].events[0].introduced", "is not a semantic version"},
		{"bad last_affected", entry(`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.2"}]}]`), "$.affected[0].ranges[0].events[1].last_affected", "is not a semantic version"},
		{"bad versions", entry(`"versions":["1.2.3","latest"]`), "$.affected[0].versions[1]", "is not a semantic version"},
		{"git without repo", entry(`"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]`), "$.affected[0].ranges[0].repo", "is required for a GIT range"},
		{"bad time", `{"id":"X-1","modified":"yesterday","affected":[{` + tg + `}]}`, "$.modified", "not an RFC 3339 time"},
		{"bad cvss", `{"id":"X-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}],"affected":[{` + tg + `}]}`, "$.severity[0].score", "is not a CVSS_V3 vector"},
		{"severity type", `{"id":"X-1","severity":[{"type":"STARS","score":"5"}],"affected":[{` + tg + `}]}`, "$.severity[0].type", "unknown severity type"},
		{"deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "$" + strings.Repeat("[0]", 33), "nested more than"},
		{"not utf-8", "{\"id\":\"X\xff\"}", "", "not valid UTF-8"},
		{"empty", " \n", "", "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.json", []byte(c.data))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("want *Error, got %v", err)
			}
			if pe.File != "f.json" || pe.Path != c.path || !strings.Contains(pe.Msg, c.msg) {
				t.Fatalf("got file %q path %q msg %q; want path %q msg containing %q", pe.File, pe.Path, pe.Msg, c.path, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "f.json: "+c.path) {
				t.Fatalf("message %q does not start with the file and path", err)
			}
		})
	}
	// Versions of packages tcd does not track are not its business: an
	// ecosystem with other version rules is accepted as long as it is well
	// shaped.
	if _, err := Parse("", []byte(`{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0rc1"}]}]}]}`)); err != nil {
		t.Fatalf("untracked ecosystem: %v", err)
	}
	// In a zip archive the member is named.
	z := zipOf(t, map[string][]byte{"bad.json": readTestdata(t, "malformed.json")})
	if _, err := Parse("all.zip", z); err == nil || !strings.HasPrefix(err.Error(), "all.zip: bad.json: $[3].affected[0].ranges[0].events[1].fixed: ") {
		t.Fatalf("zip member error: %v", err)
	}
}

func matcher(t *testing.T, affected string) *Matcher {
	t.Helper()
	res, err := Parse("", []byte(`{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},`+affected+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return res.Entries[0].Matcher(TelegrafModule)
}

// The range boundaries are exact: introduced is inclusive, fixed exclusive,
// last_affected inclusive, limit exclusive; pre-releases sort before their
// release.
func TestMatchBoundaries(t *testing.T) {
	semverRange := `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.36.0"},{"fixed":"1.38.0"}]}]`
	lastAffected := `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1.35.2"}]}]`
	twoWindows := `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.20.0"},{"fixed":"1.20.4"},{"introduced":"1.21.0"},{"fixed":"1.21.2"}]}]`
	unordered := `"ranges":[{"type":"SEMVER","events":[{"fixed":"1.21.2"},{"introduced":"1.21.0"},{"fixed":"1.20.4"},{"introduced":"1.20.0"}]}]`
	limited := `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"1.30.0"}]}]`
	empty := `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.5.0"},{"fixed":"1.5.0"}]}]`
	listed := `"versions":["1.33.1","1.33.3"]`
	openEnded := `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.40.0-rc.1"}]}]`
	for _, c := range []struct {
		affected, version string
		want              bool
		fixed             string
	}{
		{semverRange, "1.35.9", false, ""},
		{semverRange, "1.36.0-rc.2", false, ""}, // a pre-release of the first affected version is before it
		{semverRange, "1.36.0", true, "1.38.0"},
		{semverRange, "1.36.1", true, "1.38.0"},
		{semverRange, "1.37.2", true, "1.38.0"},
		{semverRange, "1.37.999", true, "1.38.0"},
		{semverRange, "1.38.0-rc.1", true, "1.38.0"}, // a pre-release of the fix is still affected
		{semverRange, "1.38.0", false, ""},
		{semverRange, "1.38.0+build.5", false, ""},
		{semverRange, "1.39.3", false, ""},
		{lastAffected, "0.0.1", true, ""},
		{lastAffected, "1.35.2", true, ""},
		{lastAffected, "1.35.3-rc.1", false, ""},
		{lastAffected, "1.35.3", false, ""},
		{twoWindows, "1.19.9", false, ""},
		{twoWindows, "1.20.3", true, "1.20.4"},
		{twoWindows, "1.20.4", false, ""},
		{twoWindows, "1.21.0", true, "1.21.2"},
		{twoWindows, "1.21.2", false, ""},
		{unordered, "1.20.0", true, "1.20.4"},
		{unordered, "1.20.9", false, ""},
		{unordered, "1.21.1", true, "1.21.2"},
		{limited, "1.29.9", true, ""},
		{limited, "1.30.0", false, ""},
		{empty, "1.5.0", false, ""},
		{listed, "1.33.1", true, ""},
		{listed, "1.33.2", false, ""},
		{openEnded, "1.40.0-rc.0", false, ""},
		{openEnded, "1.40.0-rc.1", true, ""},
		{openEnded, "2.0.0", true, ""},
	} {
		m := matcher(t, c.affected)
		got, fixed := m.Match(semver.MustParse(c.version))
		if got != c.want || fixed != c.fixed {
			t.Errorf("%s vs %s: affected %v fixed %q; want %v %q", c.version, c.affected, got, fixed, c.want, c.fixed)
		}
	}
	// An advisory about tcd says nothing about Telegraf, and the other way round.
	res, err := Parse("", []byte(`{"id":"X-2","affected":[{"package":{"ecosystem":"Go","name":"github.com/opentc/tc"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := res.Entries[0].Matcher(TelegrafModule).Match(semver.MustParse("1.0.0")); got {
		t.Fatal("a tcd advisory matched a Telegraf version")
	}
	if got, _ := res.Entries[0].Matcher(TCModule).Match(semver.MustParse("1.0.0")); !got {
		t.Fatal("a tcd advisory did not match a tcd version")
	}
	// GIT ranges name commits: never matched against versions.
	m := matcher(t, `"ranges":[{"type":"GIT","repo":"https://github.com/influxdata/telegraf","events":[{"introduced":"0"}]}]`)
	if got, _ := m.Match(semver.MustParse("1.0.0")); got {
		t.Fatal("a GIT range matched a version")
	}
}

func TestLevel(t *testing.T) {
	const tg = `"affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"}}]`
	for _, c := range []struct{ doc, want string }{
		{`{"id":"X",` + tg + `,"database_specific":{"severity":"MODERATE"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`, Medium},
		{`{"id":"X",` + tg + `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`, Critical},
		{`{"id":"X",` + tg + `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N"}]}`, Medium},
		{`{"id":"X",` + tg + `,"severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:C/I:C/A:C"}]}`, High},
		{`{"id":"X",` + tg + `,"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}`, Critical},
		{`{"id":"X",` + tg + `,"severity":[{"type":"Ubuntu","score":"low"}]}`, Low},
		{`{"id":"X",` + tg + `}`, Unknown},
	} {
		doc := c.doc
		res, err := Parse("", []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if got := res.Entries[0].Level(); got != c.want {
			t.Errorf("%s: level %s, want %s", doc, got, c.want)
		}
	}
	res, err := Parse("", []byte(`{"id":"X","affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},"ecosystem_specific":{"severity":"CRITICAL"}}]}`))
	if err != nil || res.Entries[0].Level() != Critical {
		t.Fatalf("package severity: %v", err)
	}
}

func TestDedupe(t *testing.T) {
	parse := func(doc string) Entry {
		res, err := Parse("", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return res.Entries[0]
	}
	const tg = `"affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"}}]`
	old := parse(`{"id":"X-1","modified":"2026-01-01T00:00:00Z","summary":"old",` + tg + `}`)
	newer := parse(`{"id":"X-1","modified":"2026-02-01T00:00:00Z","summary":"new",` + tg + `}`)
	other := parse(`{"id":"X-1","modified":"2026-02-01T00:00:00Z","summary":"other",` + tg + `}`)
	out, err := Dedupe([]Entry{newer, old, old})
	if err != nil || len(out) != 1 || out[0].Summary != "new" {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := Dedupe([]Entry{newer, other}); err == nil || !strings.Contains(err.Error(), "same modified time") {
		t.Fatalf("ambiguous duplicates: %v", err)
	}
}

func TestLongTextsAreCut(t *testing.T) {
	res, err := Parse("", []byte(`{"id":"X-1","summary":"`+strings.Repeat("é", 2000)+`","affected":[{"package":{"ecosystem":"Go","name":"github.com/opentc/tc"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Entries[0].Summary
	if len(s) > MaxSummaryLen || !strings.HasSuffix(s, cutMarker) || !strings.HasPrefix(s, "éé") {
		t.Fatalf("summary of %d bytes: %.40q", len(s), s)
	}
}
