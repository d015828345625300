package osv

import (
	"fmt"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/opentc/tc/pkg/tc"
)

// Severity levels are tc's: critical, high, medium, low and unknown.
const (
	Critical = tc.SeverityCritical
	High     = tc.SeverityHigh
	Medium   = tc.SeverityMedium
	Low      = tc.SeverityLow
	Unknown  = tc.SeverityUnknown
)

// levelOfWord maps the words databases use: GitHub's LOW, MODERATE, HIGH,
// CRITICAL, and the usual synonyms ("" when unknown).
func levelOfWord(w string) string {
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "critical":
		return Critical
	case "high", "important":
		return High
	case "moderate", "medium":
		return Medium
	case "low", "negligible":
		return Low
	}
	return ""
}

// cvssScore returns the base score of a CVSS vector of the given type.
func cvssScore(typ, vector string) (float64, error) {
	switch typ {
	case ScoreCVSSv2:
		c, err := gocvss20.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	case ScoreCVSSv3:
		if strings.HasPrefix(vector, "CVSS:3.0/") {
			c, err := gocvss30.ParseVector(vector)
			if err != nil {
				return 0, err
			}
			return c.BaseScore(), nil
		}
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	case ScoreCVSSv4:
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.Score(), nil
	}
	return 0, fmt.Errorf("not a CVSS type")
}

// levelOfScore is the qualitative rating of a CVSS base score (CVSS v3 and
// v4 bands; v2 has no "critical": 7.0 and above is high).
func levelOfScore(typ string, score float64) string {
	switch {
	case score >= 9.0 && typ != ScoreCVSSv2:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	case score > 0:
		return Low
	}
	return Unknown
}

func checkScores(f *fields, path string, ss []Severity) {
	for i, s := range ss {
		sp := indexPath(path, i)
		switch s.Type {
		case ScoreCVSSv2, ScoreCVSSv3, ScoreCVSSv4:
			if _, err := cvssScore(s.Type, s.Score); err != nil {
				f.fail(keyPath(sp, "score"), "%.80q is not a %s vector: %v", s.Score, s.Type, err)
			}
		case ScoreUbuntu:
		default:
			f.fail(keyPath(sp, "type"), "unknown severity type %q: use CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu", s.Type)
		}
	}
}

// Level is the entry's severity: the database's own word
// (database_specific.severity, as GitHub's advisories carry it; then the
// tracked packages' database_specific or ecosystem_specific severity),
// else the highest rating of its CVSS scores, else the Ubuntu priority,
// else "unknown".
func (e *Entry) Level() string {
	if l := levelOfWord(e.DatabaseSeverity); l != "" {
		return l
	}
	best := ""
	for _, a := range e.TrackedAffected() {
		if l := levelOfWord(a.DatabaseSeverity); l != "" && tc.SeverityRank(l) > tc.SeverityRank(best) {
			best = l
		}
	}
	if best != "" {
		return best
	}
	scores := append([]Severity(nil), e.Severity...)
	for _, a := range e.TrackedAffected() {
		scores = append(scores, a.Severity...)
	}
	best = Unknown
	for _, s := range scores {
		var l string
		if s.Type == ScoreUbuntu {
			l = levelOfWord(s.Score)
		} else if score, err := cvssScore(s.Type, s.Score); err == nil {
			l = levelOfScore(s.Type, score)
		}
		if tc.SeverityRank(l) > tc.SeverityRank(best) {
			best = l
		}
	}
	return best
}

// Scores returns the entry's severity scores (the entry's own, then the
// tracked packages').
func (e *Entry) Scores() []Severity {
	out := append([]Severity{}, e.Severity...)
	for _, a := range e.TrackedAffected() {
		out = append(out, a.Severity...)
	}
	return out
}
