// Package osv reads vulnerability advisories in the OSV format (the open
// schema of osv.dev, the Go vulnerability database and GitHub's advisory
// database) and decides which versions of a package they affect.
//
// Parse accepts one OSV document, a JSON array of them, or a zip archive of
// such files. Every entry is checked for the schema's shape; entries about
// the packages tcd tracks (Telegraf and tcd itself, see Tracked) are also
// checked for valid versions, times and severity scores, since those are
// the ones tcd matches. The first problem is an *Error naming the file and
// the JSON path of the value at fault.
package osv

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Ecosystem is the OSV ecosystem of Go modules, the one Telegraf and tcd
// are published in.
const Ecosystem = "Go"

// Module paths of the packages tcd matches advisories against.
const (
	TelegrafModule = "github.com/influxdata/telegraf"
	TCModule       = "github.com/opentc/tc"
)

// Tracked lists the modules whose advisories tcd keeps.
var Tracked = []string{TelegrafModule, TCModule}

// Range types.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Severity score types.
const (
	ScoreCVSSv2 = "CVSS_V2"
	ScoreCVSSv3 = "CVSS_V3"
	ScoreCVSSv4 = "CVSS_V4"
	ScoreUbuntu = "Ubuntu"
)

// Limits applied to kept entries: longer texts are cut (with a marker).
const (
	MaxIDLen      = 200
	MaxSummaryLen = 1000
	MaxDetailsLen = 64 << 10
	cutMarker     = " … (truncated)"
)

// Entry is one OSV vulnerability entry.
type Entry struct {
	ID        string
	Summary   string
	Details   string
	Aliases   []string
	Modified  *time.Time
	Published *time.Time
	Withdrawn *time.Time
	Severity  []Severity
	// DatabaseSeverity is database_specific.severity (GitHub: LOW,
	// MODERATE, HIGH, CRITICAL).
	DatabaseSeverity string
	Affected         []Affected
	References       []Reference
	// Document is the entry as canonical JSON (keys sorted, no spaces):
	// equal documents have equal bytes.
	Document json.RawMessage
	// Path is where the entry was found, e.g. "$[3]" or "GHSA-x.json: $".
	Path string

	modified, published, withdrawn string
}

// Severity is one entry of "severity": a score type and its vector or value.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one entry of "affected".
type Affected struct {
	Ecosystem string
	Name      string
	Ranges    []Range
	Versions  []string
	Severity  []Severity
	// DatabaseSeverity is database_specific.severity or
	// ecosystem_specific.severity of this package.
	DatabaseSeverity string
	index            int
}

// Range is one entry of "ranges".
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is one entry of "references".
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Tracked reports whether a is about a module tcd tracks.
func (a Affected) Tracked() bool {
	if !strings.EqualFold(a.Ecosystem, Ecosystem) {
		return false
	}
	for _, m := range Tracked {
		if a.Name == m {
			return true
		}
	}
	return false
}

// Tracked reports whether e affects a module tcd tracks.
func (e *Entry) Tracked() bool {
	for _, a := range e.Affected {
		if a.Tracked() {
			return true
		}
	}
	return false
}

// TrackedAffected returns the affected entries about tracked modules.
func (e *Entry) TrackedAffected() []Affected {
	var out []Affected
	for _, a := range e.Affected {
		if a.Tracked() {
			out = append(out, a)
		}
	}
	return out
}

// decodeEntry reads the entry at path. Only its shape is checked here;
// check validates what matching relies on.
func decodeEntry(f *fields, path string, v any) Entry {
	e := Entry{Path: path}
	m := f.object(path, v)
	if m == nil {
		return e
	}
	e.ID = f.str(path, m, "id", true)
	if len(e.ID) > MaxIDLen || strings.ContainsFunc(e.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		f.fail(keyPath(path, "id"), "%.40q is not an advisory ID (at most %d characters, no spaces or control characters)", e.ID, MaxIDLen)
	}
	e.Summary = f.str(path, m, "summary", false)
	e.Details = f.str(path, m, "details", false)
	e.Aliases = f.strings(path, m, "aliases")
	e.modified = f.str(path, m, "modified", false)
	e.published = f.str(path, m, "published", false)
	e.withdrawn = f.str(path, m, "withdrawn", false)
	f.strings(path, m, "related")
	f.strings(path, m, "upstream")
	e.Severity = severities(f, path, m)
	if ds := f.optObject(path, m, "database_specific"); ds != nil {
		e.DatabaseSeverity = severityWord(ds)
	}
	for i, rv := range f.array(path, m, "references") {
		rp := indexPath(keyPath(path, "references"), i)
		if rm := f.object(rp, rv); rm != nil {
			e.References = append(e.References, Reference{Type: f.str(rp, rm, "type", false), URL: f.str(rp, rm, "url", true)})
		}
	}
	for i, av := range f.array(path, m, "affected") {
		ap := indexPath(keyPath(path, "affected"), i)
		if am := f.object(ap, av); am != nil {
			e.Affected = append(e.Affected, decodeAffected(f, ap, am, i))
		}
	}
	return e
}

// severityWord reads the "severity" string of a database_specific or
// ecosystem_specific object (other shapes are not this convention).
func severityWord(m map[string]any) string {
	s, _ := m["severity"].(string)
	return s
}

func severities(f *fields, path string, m map[string]any) []Severity {
	var out []Severity
	for i, sv := range f.array(path, m, "severity") {
		sp := indexPath(keyPath(path, "severity"), i)
		if sm := f.object(sp, sv); sm != nil {
			out = append(out, Severity{Type: f.str(sp, sm, "type", true), Score: f.str(sp, sm, "score", true)})
		}
	}
	return out
}

func decodeAffected(f *fields, path string, m map[string]any, index int) Affected {
	a := Affected{index: index}
	if pm := f.optObject(path, m, "package"); pm != nil {
		pp := keyPath(path, "package")
		a.Ecosystem = f.str(pp, pm, "ecosystem", true)
		a.Name = f.str(pp, pm, "name", true)
		f.str(pp, pm, "purl", false)
	}
	a.Severity = severities(f, path, m)
	for _, key := range []string{"database_specific", "ecosystem_specific"} {
		if dm := f.optObject(path, m, key); dm != nil && a.DatabaseSeverity == "" {
			a.DatabaseSeverity = severityWord(dm)
		}
	}
	a.Versions = f.strings(path, m, "versions")
	for i, rv := range f.array(path, m, "ranges") {
		rp := indexPath(keyPath(path, "ranges"), i)
		rm := f.object(rp, rv)
		if rm == nil {
			continue
		}
		r := Range{Type: f.str(rp, rm, "type", true), Repo: f.str(rp, rm, "repo", false)}
		switch r.Type {
		case RangeSemver, RangeEcosystem:
		case RangeGit:
			if r.Repo == "" {
				f.fail(keyPath(rp, "repo"), "is required for a GIT range")
			}
		case "":
		default:
			f.fail(keyPath(rp, "type"), "unknown range type %q: use SEMVER, ECOSYSTEM or GIT", r.Type)
		}
		evs := f.array(rp, rm, "events")
		if len(evs) == 0 {
			f.fail(keyPath(rp, "events"), "must list at least one event")
		}
		for j, ev := range evs {
			r.Events = append(r.Events, decodeEvent(f, indexPath(keyPath(rp, "events"), j), ev))
		}
		a.Ranges = append(a.Ranges, r)
	}
	return a
}

var eventKeys = []string{"introduced", "fixed", "last_affected", "limit"}

func decodeEvent(f *fields, path string, v any) Event {
	var e Event
	m := f.object(path, v)
	if m == nil {
		return e
	}
	n := 0
	for _, k := range eventKeys {
		if _, ok := m[k]; !ok {
			continue
		}
		n++
		s := f.str(path, m, k, true)
		switch k {
		case "introduced":
			e.Introduced = s
		case "fixed":
			e.Fixed = s
		case "last_affected":
			e.LastAffected = s
		case "limit":
			e.Limit = s
		}
	}
	if n != 1 {
		f.fail(path, "an event holds exactly one of introduced, fixed, last_affected or limit (this one has %d)", n)
	}
	return e
}

// check validates what tcd relies on in a tracked entry: times, severity
// scores, and the versions of the tracked packages' ranges.
func (e *Entry) check(f *fields) {
	for _, t := range []struct {
		key string
		raw string
		dst **time.Time
	}{{"modified", e.modified, &e.Modified}, {"published", e.published, &e.Published}, {"withdrawn", e.withdrawn, &e.Withdrawn}} {
		if t.raw == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, t.raw)
		if err != nil {
			f.fail(keyPath(e.Path, t.key), "%q is not an RFC 3339 time (e.g. 2026-03-01T12:00:00Z)", t.raw)
			continue
		}
		ts = ts.UTC()
		*t.dst = &ts
	}
	checkScores(f, keyPath(e.Path, "severity"), e.Severity)
	for _, a := range e.Affected {
		if !a.Tracked() {
			continue
		}
		ap := indexPath(keyPath(e.Path, "affected"), a.index)
		checkScores(f, keyPath(ap, "severity"), a.Severity)
		for i, v := range a.Versions {
			if _, err := parseVersion(v); err != nil {
				f.fail(indexPath(keyPath(ap, "versions"), i), "%q is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.38.0)", v)
			}
		}
		for i, r := range a.Ranges {
			rp := indexPath(keyPath(ap, "ranges"), i)
			if r.Type == RangeGit {
				continue // commits: nothing to compare an agent's version with
			}
			introduced := false
			for j, ev := range r.Events {
				ep := indexPath(keyPath(rp, "events"), j)
				switch {
				case ev.Introduced != "":
					introduced = true
					if ev.Introduced != "0" {
						checkVersion(f, keyPath(ep, "introduced"), ev.Introduced)
					}
				case ev.Fixed != "":
					checkVersion(f, keyPath(ep, "fixed"), ev.Fixed)
				case ev.LastAffected != "":
					checkVersion(f, keyPath(ep, "last_affected"), ev.LastAffected)
				case ev.Limit != "":
					if ev.Limit != "*" {
						checkVersion(f, keyPath(ep, "limit"), ev.Limit)
					}
				}
			}
			if !introduced {
				f.fail(keyPath(rp, "events"), `must include an "introduced" event ("0" for every earlier version)`)
			}
		}
	}
	// NUL is not text to PostgreSQL; the document keeps it escaped.
	e.Summary = cut(strings.ReplaceAll(e.Summary, "\x00", ""), MaxSummaryLen)
	e.Details = cut(strings.ReplaceAll(e.Details, "\x00", ""), MaxDetailsLen)
}

func checkVersion(f *fields, path, v string) {
	if _, err := parseVersion(v); err != nil {
		f.fail(path, "%q is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.38.0)", v)
	}
}

// parseVersion parses a strict semantic version, with or without Go's
// leading "v".
func parseVersion(v string) (*semver.Version, error) {
	return semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
}

// cut shortens s to at most max bytes on a rune boundary, with a marker.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	end := max - len(cutMarker)
	for end > 0 && !utf8RuneStart(s[end]) {
		end--
	}
	return s[:end] + cutMarker
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
