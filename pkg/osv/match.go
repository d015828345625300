package osv

import (
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Matcher decides which versions of the tracked modules an entry affects,
// following the OSV evaluation rules: a version is affected when one of
// the entry's "versions" equals it, or when, in one of its SEMVER or
// ECOSYSTEM ranges, the last event at or below it is an "introduced"
// (with "fixed" exclusive and "last_affected" inclusive) and it is below
// the range's "limit", if any. GIT ranges name commits and are not
// matched. Build metadata is ignored; a pre-release sorts before its
// release (1.38.0-rc.1 < 1.38.0), as semantic versioning orders them.
type Matcher struct {
	ranges   []compiledRange
	versions []*semver.Version
}

type eventKind int

// Kinds in the order events at the same version are applied.
const (
	evIntroduced eventKind = iota
	evFixed
	evLastAffected
	evLimit
)

type compiledEvent struct {
	kind eventKind
	v    *semver.Version // nil: "0" (introduced) or "*" (limit)
}

type compiledRange struct {
	events    []compiledEvent
	hasLimits bool
}

// Matcher compiles the entry's ranges and versions of one module (e.g.
// TelegrafModule: an advisory about tcd says nothing about Telegraf). The
// entry must have come from Parse (its versions are valid).
func (e *Entry) Matcher(module string) *Matcher {
	m := &Matcher{}
	for _, a := range e.TrackedAffected() {
		if a.Name != module {
			continue
		}
		for _, s := range a.Versions {
			if v, err := parseVersion(s); err == nil {
				m.versions = append(m.versions, v)
			}
		}
		for _, r := range a.Ranges {
			if r.Type == RangeGit {
				continue
			}
			var cr compiledRange
			for _, ev := range r.Events {
				ce := compiledEvent{}
				var s string
				switch {
				case ev.Introduced != "":
					ce.kind, s = evIntroduced, ev.Introduced
				case ev.Fixed != "":
					ce.kind, s = evFixed, ev.Fixed
				case ev.LastAffected != "":
					ce.kind, s = evLastAffected, ev.LastAffected
				default:
					ce.kind, s = evLimit, ev.Limit
					cr.hasLimits = true
				}
				if !(ce.kind == evIntroduced && s == "0") && !(ce.kind == evLimit && s == "*") {
					v, err := parseVersion(s)
					if err != nil {
						continue
					}
					ce.v = v
				}
				cr.events = append(cr.events, ce)
			}
			sort.SliceStable(cr.events, func(i, j int) bool { return cr.events[i].less(cr.events[j]) })
			m.ranges = append(m.ranges, cr)
		}
	}
	return m
}

// less orders events by version ("0" first, "*" last), then by kind, so an
// empty range (introduced X, fixed X) affects nothing.
func (a compiledEvent) less(b compiledEvent) bool {
	av, bv := a.rank(), b.rank()
	if av != bv {
		return av < bv
	}
	if a.v != nil && b.v != nil {
		if c := a.v.Compare(b.v); c != 0 {
			return c < 0
		}
	}
	return a.kind < b.kind
}

// rank places the unbounded events: -1 for introduced "0", 1 for limit "*".
func (a compiledEvent) rank() int {
	switch {
	case a.v != nil:
		return 0
	case a.kind == evIntroduced:
		return -1
	}
	return 1
}

// Empty reports whether the matcher can match nothing (the entry has no
// ranges or versions for its module).
func (m *Matcher) Empty() bool { return len(m.ranges) == 0 && len(m.versions) == 0 }

// Match reports whether v is affected and, when it is, the version that
// fixes it: the lowest "fixed" above v in the range that matched ("" when
// none is known, e.g. a range closed by last_affected).
func (m *Matcher) Match(v *semver.Version) (affected bool, fixed string) {
	for _, x := range m.versions {
		if x.Equal(v) {
			affected = true
		}
	}
	var best *semver.Version
	for _, r := range m.ranges {
		in, fix := r.match(v)
		if !in {
			continue
		}
		affected = true
		if fix != nil && (best == nil || fix.LessThan(best)) {
			best = fix
		}
	}
	if best != nil {
		fixed = best.Original()
	}
	return affected, fixed
}

func (r compiledRange) match(v *semver.Version) (bool, *semver.Version) {
	in := false
	for _, ev := range r.events {
		switch ev.kind {
		case evIntroduced:
			if ev.v == nil || !v.LessThan(ev.v) {
				in = true
			}
		case evFixed:
			if !v.LessThan(ev.v) {
				in = false
			}
		case evLastAffected:
			if v.GreaterThan(ev.v) {
				in = false
			}
		}
	}
	if in && r.hasLimits {
		below := false
		for _, ev := range r.events {
			if ev.kind == evLimit && (ev.v == nil || v.LessThan(ev.v)) {
				below = true
			}
		}
		in = below
	}
	if !in {
		return false, nil
	}
	for _, ev := range r.events {
		if ev.kind == evFixed && v.LessThan(ev.v) {
			return true, ev.v
		}
	}
	return true, nil
}

// FixedVersions lists the distinct "fixed" versions of the tracked
// modules' ranges, lowest first.
func (e *Entry) FixedVersions() []string {
	var vs []*semver.Version
	seen := map[string]bool{}
	for _, a := range e.TrackedAffected() {
		for _, r := range a.Ranges {
			if r.Type == RangeGit {
				continue
			}
			for _, ev := range r.Events {
				if ev.Fixed == "" || seen[ev.Fixed] {
					continue
				}
				if v, err := parseVersion(ev.Fixed); err == nil {
					seen[ev.Fixed] = true
					vs = append(vs, v)
				}
			}
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].LessThan(vs[j]) })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Original()
	}
	return out
}

func cmpTime(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	case a.After(*b):
		return 1
	case a.Before(*b):
		return -1
	}
	return 0
}
