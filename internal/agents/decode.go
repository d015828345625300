// Package agents is the fleet half of tcd: it decodes Telegraf heartbeats,
// writes them with group commit, evaluates reporting rules on a schedule, and
// serves the agents and reporting-rules API.
package agents

import (
	"bytes"
	"errors"
	json "github.com/goccy/go-json"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opentc/tc/pkg/tc"
)

// wireHeartbeat is Telegraf's outputs.heartbeat body, schema v1
// (plugins/outputs/heartbeat). Pointers tell absent from empty.
type wireHeartbeat struct {
	ID             *string    `json:"id"`
	InstanceID     *string    `json:"instance_id"` // Telegraf Controller's docs name it so; Telegraf sends id
	Version        *string    `json:"version"`
	Schema         *int       `json:"schema"`
	Last           *int64     `json:"last"`
	Hostname       *string    `json:"hostname"`
	Configurations *[]string  `json:"configurations"`
	Statistics     *wireStats `json:"statistics"`
	Logs           *[]wireLog `json:"logs"`
	Status         *string    `json:"status"`
}

type wireStats struct {
	Errors   *uint64 `json:"errors"`
	Warnings *uint64 `json:"warnings"`
	Metrics  *uint64 `json:"metrics"`
}

type wireLog struct {
	Time       string         `json:"time"`
	Level      string         `json:"level"`
	Source     string         `json:"source"`
	Attributes map[string]any `json:"attributes"`
	Message    string         `json:"message"`
}

// Limits of a heartbeat.
const (
	MaxBodyBytes      = 1 << 20
	maxIDLen          = 256
	maxFieldLen       = 256
	maxConfigs        = 256
	maxConfigLen      = 4096
	maxLogEntries     = 200
	maxLogBudget      = 64 << 10
	maxLogMessage     = 8 << 10
	maxLogAttributes  = 2 << 10
	maxReportedLogs   = 100000
	truncationMarker  = " … (truncated)"
	statusAbsentValue = tc.StatusUndefined
)

// Heartbeat is a decoded, validated heartbeat.
type Heartbeat struct {
	ID             string
	Version        string
	VersionNumber  string
	Hostname       string
	Status         string
	HasLast        bool
	LastSuccess    *time.Time
	Configurations []string // nil: not included
	Stats          *tc.Statistics
	Logs           []tc.LogEntry // nil: not included
	LogsReported   int
}

func invalid(format string, args ...any) *tc.Error {
	return tc.Errorf(tc.EInvalid, format, args...)
}

// Decode parses and validates one heartbeat body. Every problem is an
// EInvalid error with a message that says what is wrong.
func Decode(body []byte) (*Heartbeat, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("empty body: send a Telegraf heartbeat (JSON schema v1)")
	}
	if !utf8.Valid(body) {
		return nil, invalid("body is not valid UTF-8")
	}
	if t := bytes.TrimSpace(body); t[0] != '{' {
		return nil, invalid("body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var w wireHeartbeat
	if err := dec.Decode(&w); err != nil {
		return nil, jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("unexpected data after the JSON object")
	}
	hb := &Heartbeat{}
	switch {
	case w.ID != nil:
		hb.ID = *w.ID
	case w.InstanceID != nil:
		hb.ID = *w.InstanceID
	default:
		return nil, invalid(`missing "id": set instance_id in [[outputs.heartbeat]]`).With("field", "id")
	}
	if err := checkText("id", hb.ID, maxIDLen, true); err != nil {
		return nil, err
	}
	if w.Version == nil {
		return nil, invalid(`missing "version"`).With("field", "version")
	}
	hb.Version = *w.Version
	if err := checkText("version", hb.Version, maxFieldLen, true); err != nil {
		return nil, err
	}
	hb.VersionNumber = ParseVersion(hb.Version)
	if w.Schema != nil && *w.Schema != 1 {
		return nil, invalid("unsupported heartbeat schema %d: tcd understands schema 1", *w.Schema).With("field", "schema")
	}
	if w.Hostname != nil {
		if err := checkText("hostname", *w.Hostname, maxFieldLen, false); err != nil {
			return nil, err
		}
		hb.Hostname = *w.Hostname
	}
	hb.Status = statusAbsentValue
	if w.Status != nil {
		s, ok := map[string]string{"OK": tc.StatusOK, "WARN": tc.StatusWarn, "FAIL": tc.StatusFail, "UNDEFINED": tc.StatusUndefined}[strings.ToUpper(*w.Status)]
		if !ok {
			return nil, invalid("unknown status %q: use OK, WARN, FAIL or UNDEFINED", *w.Status).With("field", "status")
		}
		hb.Status = s
	}
	if w.Last != nil {
		hb.HasLast = true
		if *w.Last > 0 { // v1.37 sends -62135596800 when it never succeeded
			t := time.Unix(*w.Last, 0).UTC()
			hb.LastSuccess = &t
		}
	}
	if w.Configurations != nil {
		cs := *w.Configurations
		if len(cs) > maxConfigs {
			return nil, invalid("too many configurations (%d, at most %d)", len(cs), maxConfigs).With("field", "configurations")
		}
		hb.Configurations = make([]string, 0, len(cs))
		for _, c := range cs {
			if err := checkText("configurations", c, maxConfigLen, false); err != nil {
				return nil, err
			}
			hb.Configurations = append(hb.Configurations, c)
		}
	}
	if w.Statistics != nil {
		st := tc.Statistics{}
		if w.Statistics.Errors != nil {
			st.Errors = *w.Statistics.Errors
		}
		if w.Statistics.Warnings != nil {
			st.Warnings = *w.Statistics.Warnings
		}
		if w.Statistics.Metrics != nil {
			st.Metrics = *w.Statistics.Metrics
		}
		const maxCounter = 1 << 62 // fits the BIGINT columns
		if st.Errors > maxCounter || st.Warnings > maxCounter || st.Metrics > maxCounter {
			return nil, invalid("statistics counter out of range").With("field", "statistics")
		}
		hb.Stats = &st
	}
	if w.Logs != nil {
		logs, err := capLogs(*w.Logs)
		if err != nil {
			return nil, err
		}
		hb.Logs = logs
		hb.LogsReported = len(*w.Logs)
	}
	return hb, nil
}

func checkText(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return invalid("%q must not be empty", field).With("field", field)
	case len(s) > max:
		return invalid("%q is longer than %d bytes", field, max).With("field", field)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid("%q contains control characters", field).With("field", field)
	}
	return nil
}

func jsonProblem(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return invalid("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return invalid("field %q has the wrong type (%s)", typ.Field, typ.Value).With("field", typ.Field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid("unknown field %q: not part of heartbeat schema 1", name).With("field", name)
	}
	return invalid("malformed JSON: %s", err.Error())
}

var versionRe = regexp.MustCompile(`(\d+)\.(\d+)\.(\d+)`)

// ParseVersion extracts x.y.z from "Telegraf 1.39.3 (git: HEAD@eb37a442)"
// ("" when there is none, e.g. "Telegraf unknown").
func ParseVersion(v string) string {
	return versionRe.FindString(v)
}

var levelRank = map[string]int{"ERROR": 0, "WARN": 1, "INFO": 2, "DEBUG": 3, "TRACE": 4}

// capLogs keeps at most maxLogEntries entries within maxLogBudget bytes,
// preferring higher severity, then recency, and restores time order; it
// truncates long messages and drops oversized attributes.
func capLogs(in []wireLog) ([]tc.LogEntry, error) {
	if len(in) > maxReportedLogs {
		return nil, invalid("too many log entries (%d)", len(in)).With("field", "logs")
	}
	type cand struct {
		e    tc.LogEntry
		idx  int
		size int
	}
	cands := make([]cand, 0, len(in))
	for i, l := range in {
		e := tc.LogEntry{Level: strings.ToUpper(l.Level), Source: l.Source, Message: l.Message, Attributes: l.Attributes}
		if l.Time != "" {
			t, err := time.Parse(time.RFC3339Nano, l.Time)
			if err != nil {
				return nil, invalid("logs[%d].time %q is not an RFC 3339 time", i, l.Time).With("field", "logs")
			}
			e.Time = t.UTC()
		}
		if len(e.Message) > maxLogMessage {
			cut := maxLogMessage
			for cut > 0 && !utf8.RuneStart(e.Message[cut]) {
				cut--
			}
			e.Message = e.Message[:cut] + truncationMarker
			e.Truncated = true
		}
		if len(e.Source) > maxFieldLen {
			e.Source = e.Source[:maxFieldLen]
			e.Truncated = true
		}
		if e.Attributes != nil {
			if b, _ := json.Marshal(e.Attributes); len(b) > maxLogAttributes {
				e.Attributes = nil
				e.Truncated = true
			}
		}
		b, _ := json.Marshal(e)
		cands = append(cands, cand{e: e, idx: i, size: len(b)})
	}
	// Most severe first, then most recent.
	sort.SliceStable(cands, func(i, j int) bool {
		ri, rj := rank(cands[i].e.Level), rank(cands[j].e.Level)
		if ri != rj {
			return ri < rj
		}
		return cands[i].idx > cands[j].idx
	})
	kept := cands[:0]
	budget := maxLogBudget
	for _, c := range cands {
		if len(kept) == maxLogEntries {
			break
		}
		if c.size > budget {
			continue
		}
		budget -= c.size
		kept = append(kept, c)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].idx < kept[j].idx })
	out := make([]tc.LogEntry, len(kept))
	for i, c := range kept {
		out[i] = c.e
	}
	return out, nil
}

func rank(level string) int {
	if r, ok := levelRank[level]; ok {
		return r
	}
	return len(levelRank)
}
