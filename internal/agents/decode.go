// Package agents is the fleet half of tcd: it decodes Telegraf heartbeats,
// writes them with group commit, evaluates reporting rules on a schedule, and
// serves the agents and reporting-rules API.
package agents

import (
	"bytes"
	"errors"
	json "github.com/goccy/go-json"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

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
	maxStatusRawLen   = 64
	maxConfigs        = 256
	maxConfigLen      = 4096
	maxLogEntries     = 200
	maxLogBudget      = 64 << 10
	maxLogMessage     = 8 << 10
	maxLogAttributes  = 2 << 10
	maxReportedLogs   = 100000
	maxUnknownPerBody = 32
	truncationMarker  = " … (truncated)"
	statusAbsentValue = tc.StatusUndefined
)

// Times an agent sends are kept only within the years 1970–9999, which
// every reader (JSON, both databases, the CLI) can represent.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// Heartbeat is a decoded heartbeat, every value within tcd's bounds.
type Heartbeat struct {
	ID            string
	Version       string
	VersionNumber string
	Hostname      string
	Status        string
	// StatusRaw is the status as sent when it is not one tcd knows.
	StatusRaw      string
	HasLast        bool
	LastSuccess    *time.Time
	Configurations []string // nil: not included
	Stats          *tc.Statistics
	Logs           []tc.LogEntry // nil: not included
	LogsReported   int
	// Unknown names the fields tcd does not know ("x", "statistics.x",
	// "logs.x"), sorted, each once, at most maxUnknownPerBody.
	Unknown []string
	// Dropped names the known fields whose values were dropped or clamped
	// to tcd's bounds (wrong type, out of range), sorted, each once.
	Dropped []string
}

func invalid(format string, args ...any) *tc.Error {
	return tc.Errorf(tc.EInvalid, format, args...)
}

// Decode parses one heartbeat body. It is liberal in what it accepts, so
// that agents newer than tcd keep reporting: fields it does not know are
// ignored (and named in Unknown), a status it does not know becomes
// undefined (kept in StatusRaw), a schema above 1 is read for the fields
// of schema 1, and optional values of the wrong type or out of bounds are
// dropped or clamped (named in Dropped). It refuses, with an EInvalid error
// that says what is wrong, only a body that is not one JSON object, an id
// or version that is missing or unusable, and a schema below 1.
//
// A heartbeat as Telegraf sends it decodes in one strict pass. One with
// unknown fields takes a second typed pass plus a scan of its keys (about
// 1.6 times the cost); one with a value of the wrong type is read field by
// field (about 2.5 times).
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
	var (
		w wireHeartbeat
		n notes
	)
	if err := decodeStrict(body, &w, true); err != nil {
		if syntaxProblem(err) {
			return nil, jsonProblem(err)
		}
		// Unknown fields, or a known one of another type. The first
		// alone is what newer agents send: the typed pass still takes
		// the body, and a scan of its keys names what it ignored.
		w = wireHeartbeat{}
		if err := decodeStrict(body, &w, false); err == nil {
			unknownKeys(body, &n)
		} else {
			w = wireHeartbeat{}
			if err := decodeLenient(body, &w, &n); err != nil {
				return nil, err
			}
		}
	}
	return build(&w, &n)
}

// Field names of schema 1, by object. Keys match them in any case, as in
// the typed pass (encoding/json's rule, which goccy/go-json follows).
var (
	topFields   = []string{"id", "instance_id", "version", "schema", "last", "hostname", "configurations", "statistics", "logs", "status"}
	statsFields = []string{"errors", "warnings", "metrics"}
	logFields   = []string{"time", "level", "source", "attributes", "message"}
)

func known(fields []string, k string) bool {
	for _, f := range fields {
		if strings.EqualFold(f, k) {
			return true
		}
	}
	return false
}

// unknownKeys notes the keys of a body, its statistics and its log entries
// that schema 1 does not have (the body is valid JSON: the typed pass
// took it).
func unknownKeys(body []byte, n *notes) {
	gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
		switch {
		case !known(topFields, k.Str):
			n.unknownField(k.Str)
		case strings.EqualFold(k.Str, "statistics") && v.IsObject():
			v.ForEach(func(k, _ gjson.Result) bool {
				if !known(statsFields, k.Str) {
					n.unknownField("statistics." + k.Str)
				}
				return true
			})
		case strings.EqualFold(k.Str, "logs") && v.IsArray():
			v.ForEach(func(_, e gjson.Result) bool {
				e.ForEach(func(k, _ gjson.Result) bool {
					if !known(logFields, k.Str) {
						n.unknownField("logs." + k.Str)
					}
					return true
				})
				return len(n.unknown) < maxUnknownPerBody
			})
		}
		return true
	})
}

// decodeStrict decodes a body that holds the fields of schema 1 with their
// types — only those if exact, the fast path.
func decodeStrict(body []byte, w *wireHeartbeat, exact bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if exact {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(w); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("unexpected data after the JSON object")
	}
	return nil
}

// syntaxProblem reports whether err means the body is not JSON at all (as
// opposed to JSON with fields or types the strict pass does not take).
func syntaxProblem(err error) bool {
	var syn *json.SyntaxError
	var te *tc.Error
	return errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &te)
}

// notes collects what the decoder ignored.
type notes struct {
	unknown, dropped []string
}

func (n *notes) unknownField(name string) {
	if len(n.unknown) < maxUnknownPerBody {
		// A copy: gjson's names are views of the whole body, which the
		// metric labels and the log-once set (kept for good) would pin.
		n.unknown = append(n.unknown, strings.Clone(name))
	}
}

func (n *notes) drop(name string) { n.dropped = append(n.dropped, name) }

// decodeLenient reads a body field by field into w: unknown fields are
// noted, optional fields that do not decode are dropped and noted.
func decodeLenient(body []byte, w *wireHeartbeat, n *notes) error {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&top); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("unexpected data after the JSON object")
	}
	for k, raw := range top {
		if isNull(raw) {
			continue
		}
		var err error
		switch strings.ToLower(k) {
		case "id":
			err = json.Unmarshal(raw, &w.ID)
		case "instance_id":
			err = json.Unmarshal(raw, &w.InstanceID)
		case "version":
			err = json.Unmarshal(raw, &w.Version)
		case "schema":
			var v float64
			if json.Unmarshal(raw, &v) != nil || v != math.Trunc(v) || v < 1 || v > math.MaxInt32 {
				return invalid("schema must be a whole number from 1 (got %s)", clip(string(raw), 40)).With("field", "schema")
			}
			s := int(v)
			w.Schema = &s
		case "last":
			if v, ok := lenientInt(raw); ok {
				w.Last = &v
			} else {
				n.drop("last")
			}
		case "hostname":
			if json.Unmarshal(raw, &w.Hostname) != nil {
				w.Hostname = nil
				n.drop("hostname")
			}
		case "status":
			if json.Unmarshal(raw, &w.Status) != nil {
				w.Status = nil
				n.drop("status")
			}
		case "configurations":
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil {
				n.drop("configurations")
				continue
			}
			cs := make([]string, 0, len(items))
			for _, it := range items {
				var c string
				if json.Unmarshal(it, &c) != nil {
					n.drop("configurations")
					continue
				}
				cs = append(cs, c)
			}
			w.Configurations = &cs
		case "statistics":
			w.Statistics = lenientStats(raw, n)
		case "logs":
			w.Logs = lenientLogs(raw, n)
		default:
			n.unknownField(k)
		}
		if err != nil {
			return invalid("field %q has the wrong type: it must be a string", k).With("field", k)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// lenientInt reads a JSON number as an integer (a fraction is cut off);
// false if it is not a number or outside ±2^62.
func lenientInt(raw json.RawMessage) (int64, bool) {
	t := strings.TrimSpace(string(raw))
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || t[0] == '"' || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// lenientCounter reads a counter: a negative one becomes 0, one beyond
// MaxCounter MaxCounter, a fraction is cut off (clamped reports any of
// these); ok is false if it is not a number.
func lenientCounter(raw json.RawMessage) (v uint64, clamped, ok bool) {
	t := strings.TrimSpace(string(raw))
	if v, err := strconv.ParseUint(t, 10, 64); err == nil {
		return v, false, true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false, false
	}
	switch {
	case f <= 0:
		return 0, f != 0, true
	case f >= tc.MaxCounter:
		return tc.MaxCounter, true, true
	}
	return uint64(f), f != math.Trunc(f), true
}

func lenientStats(raw json.RawMessage, n *notes) *wireStats {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		n.drop("statistics")
		return nil
	}
	st := &wireStats{}
	for k, v := range m {
		var dst **uint64
		switch strings.ToLower(k) {
		case "errors":
			dst = &st.Errors
		case "warnings":
			dst = &st.Warnings
		case "metrics":
			dst = &st.Metrics
		default:
			n.unknownField("statistics." + k)
			continue
		}
		if isNull(v) {
			continue
		}
		c, clamped, ok := lenientCounter(v)
		if !ok || clamped {
			n.drop("statistics." + k)
		}
		if ok {
			*dst = &c
		}
	}
	return st
}

func lenientLogs(raw json.RawMessage, n *notes) *[]wireLog {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		n.drop("logs")
		return nil
	}
	if len(items) > maxReportedLogs {
		// Decoded as is, capLogs refuses the body.
		out := make([]wireLog, len(items))
		return &out
	}
	out := make([]wireLog, 0, len(items))
	for _, it := range items {
		var m map[string]json.RawMessage
		if json.Unmarshal(it, &m) != nil {
			n.drop("logs")
			continue
		}
		var l wireLog
		for k, v := range m {
			if isNull(v) {
				continue
			}
			var dst *string
			switch strings.ToLower(k) {
			case "time":
				dst = &l.Time
			case "level":
				dst = &l.Level
			case "source":
				dst = &l.Source
			case "message":
				dst = &l.Message
			case "attributes":
				if json.Unmarshal(v, &l.Attributes) != nil {
					l.Attributes = nil
					n.drop("logs.attributes")
				}
				continue
			default:
				n.unknownField("logs." + k)
				continue
			}
			if json.Unmarshal(v, dst) != nil {
				*dst = ""
				n.drop("logs." + k)
			}
		}
		out = append(out, l)
	}
	return &out
}

// build checks a decoded body and brings every value within bounds.
func build(w *wireHeartbeat, n *notes) (*Heartbeat, error) {
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
	if w.Version == nil || strings.TrimSpace(*w.Version) == "" {
		return nil, invalid(`missing "version"`).With("field", "version")
	}
	hb.Version = bound(*w.Version, maxFieldLen)
	hb.VersionNumber = ParseVersion(hb.Version)
	if w.Schema != nil && *w.Schema < 1 {
		return nil, invalid("schema must be a whole number from 1 (got %d)", *w.Schema).With("field", "schema")
	}
	if w.Hostname != nil {
		hb.Hostname = bound(*w.Hostname, maxFieldLen)
	}
	hb.Status = statusAbsentValue
	if w.Status != nil {
		if s, ok := knownStatus(*w.Status); ok {
			hb.Status = s
		} else {
			hb.StatusRaw = bound(*w.Status, maxStatusRawLen)
		}
	}
	if w.Last != nil {
		switch last := *w.Last; {
		case last <= 0: // v1.37 sends -62135596800 when it never succeeded
			hb.HasLast = true
		case last > maxTime.Unix():
			n.drop("last")
		default:
			hb.HasLast = true
			t := time.Unix(last, 0).UTC()
			hb.LastSuccess = &t
		}
	}
	if w.Configurations != nil {
		cs := *w.Configurations
		hb.Configurations = make([]string, 0, min(len(cs), maxConfigs))
		for _, c := range cs {
			if len(hb.Configurations) == maxConfigs || checkText("configurations", c, maxConfigLen, false) != nil {
				n.drop("configurations")
				continue
			}
			hb.Configurations = append(hb.Configurations, c)
		}
	}
	if w.Statistics != nil {
		st := tc.Statistics{}
		for _, c := range []struct {
			name string
			in   *uint64
			out  *uint64
		}{{"errors", w.Statistics.Errors, &st.Errors}, {"warnings", w.Statistics.Warnings, &st.Warnings}, {"metrics", w.Statistics.Metrics, &st.Metrics}} {
			if c.in == nil {
				continue
			}
			*c.out = *c.in
			if *c.out > tc.MaxCounter {
				*c.out = tc.MaxCounter
				n.drop("statistics." + c.name)
			}
		}
		hb.Stats = &st
	}
	if w.Logs != nil {
		logs, err := capLogs(*w.Logs, n)
		if err != nil {
			return nil, err
		}
		hb.Logs = logs
		hb.LogsReported = len(*w.Logs)
	}
	hb.Unknown = sortedSet(n.unknown)
	hb.Dropped = sortedSet(n.dropped)
	return hb, nil
}

var statuses = map[string]string{"OK": tc.StatusOK, "WARN": tc.StatusWarn, "FAIL": tc.StatusFail, "UNDEFINED": tc.StatusUndefined}

func knownStatus(s string) (string, bool) {
	if v, ok := statuses[s]; ok {
		return v, true
	}
	v, ok := statuses[strings.ToUpper(s)]
	return v, ok
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// bound replaces control characters with U+FFFD and cuts s to at most max
// bytes on a character boundary.
func bound(s string, max int) string {
	if strings.ContainsFunc(s, isControl) {
		s = strings.Map(func(r rune) rune {
			if isControl(r) {
				return utf8.RuneError
			}
			return r
		}, s)
	}
	return clip(s, max)
}

func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func checkText(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return invalid("%q must not be empty", field).With("field", field)
	case len(s) > max:
		return invalid("%q is longer than %d bytes", field, max).With("field", field)
	case strings.ContainsFunc(s, isControl):
		return invalid("%q contains control characters", field).With("field", field)
	}
	return nil
}

func jsonProblem(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		te  *tc.Error
	)
	switch {
	case errors.As(err, &te):
		return te
	case errors.As(err, &syn):
		return invalid("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return invalid("field %q has the wrong type (%s)", typ.Field, typ.Value).With("field", typ.Field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the body ends too early")
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
func capLogs(in []wireLog, n *notes) ([]tc.LogEntry, error) {
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
		e := tc.LogEntry{Level: bound(strings.ToUpper(l.Level), maxFieldLen), Source: l.Source, Message: l.Message, Attributes: l.Attributes}
		if l.Time != "" {
			t, err := time.Parse(time.RFC3339Nano, l.Time)
			if t = t.UTC(); err != nil || t.Before(minTime) || t.After(maxTime) {
				n.drop("logs.time")
			} else {
				e.Time = t
			}
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
			e.Source = clip(e.Source, maxFieldLen)
			e.Truncated = true
		}
		if e.Attributes != nil {
			if b, _ := json.Marshal(e.Attributes); len(b) > maxLogAttributes {
				e.Attributes = nil
				e.Truncated = true
			}
		}
		// Its size as stored, at most: sized as a type without
		// LogEntry's omitzero, which goccy/go-json checks by reflection.
		b, _ := json.Marshal((*sizedLogEntry)(&e))
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

// sizedLogEntry is tc.LogEntry with the time always encoded.
type sizedLogEntry struct {
	Time       time.Time      `json:"time"`
	Level      string         `json:"level"`
	Source     string         `json:"source"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Message    string         `json:"message"`
	Truncated  bool           `json:"truncated,omitempty"`
}

func rank(level string) int {
	if r, ok := levelRank[level]; ok {
		return r
	}
	return len(levelRank)
}
