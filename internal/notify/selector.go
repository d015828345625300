package notify

import (
	"strings"

	"github.com/opentc/tc/pkg/tc"
)

// Labels in tc are plain names. A name of the form key=value gives the key
// and the value a selector or a rule's groupBy speak of ("site=a" has key
// site and value a); any other name is a key with the empty value.

// labelKV splits a label name into its key and value.
func labelKV(name string) (key, value string) {
	k, v, ok := strings.Cut(name, "=")
	if !ok {
		return strings.TrimSpace(name), ""
	}
	return strings.TrimSpace(k), strings.TrimSpace(v)
}

// Selector operators.
const (
	opIn     = "in"     // key=value, key==value, key in (a,b)
	opNotIn  = "notin"  // key!=value, key notin (a,b)
	opExists = "exists" // key
	opAbsent = "absent" // !key
)

// requirement is one comma-separated term of a selector.
type requirement struct {
	key    string
	op     string
	values []string
}

// Selector is a parsed label selector: every requirement must hold.
type Selector []requirement

// maxSelectorLen bounds a selector's text.
const maxSelectorLen = 1000

// ParseSelector parses kubectl-style label selector text: comma-separated
// requirements key=value (or ==), key!=value, key in (v1,v2),
// key notin (v1,v2), key (has the key) and !key (lacks it). Values cannot
// contain commas or parentheses. Empty text selects everything.
func ParseSelector(s string) (Selector, error) {
	bad := func(format string, args ...any) error {
		return tc.Errorf(tc.EInvalid, "selector: "+format, args...).With("field", "selector")
	}
	if len(s) > maxSelectorLen {
		return nil, bad("at most %d characters", maxSelectorLen)
	}
	var out Selector
	for _, term := range splitTerms(s) {
		term = strings.TrimSpace(term)
		if term == "" {
			if strings.TrimSpace(s) == "" {
				continue
			}
			return nil, bad("empty requirement in %q (remove the extra comma)", s)
		}
		r, err := parseRequirement(term)
		if err != nil {
			return nil, bad("%s", err.Error())
		}
		out = append(out, r)
	}
	return out, nil
}

// splitTerms splits at commas outside parentheses.
func splitTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

type parseError string

func (e parseError) Error() string { return string(e) }

func parseRequirement(t string) (requirement, error) {
	if strings.HasPrefix(t, "!") && !strings.ContainsAny(t, "=()") {
		k := strings.TrimSpace(t[1:])
		if err := checkKey(k); err != nil {
			return requirement{}, err
		}
		return requirement{key: k, op: opAbsent}, nil
	}
	if i := strings.Index(t, "!="); i >= 0 {
		return kv(t[:i], t[i+2:], opNotIn)
	}
	if i := strings.Index(t, "=="); i >= 0 {
		return kv(t[:i], t[i+2:], opIn)
	}
	if i := strings.Index(t, "="); i >= 0 {
		return kv(t[:i], t[i+1:], opIn)
	}
	if open := strings.Index(t, "("); open >= 0 {
		if !strings.HasSuffix(t, ")") {
			return requirement{}, parseError("missing ) in " + quote(t))
		}
		fields := strings.Fields(t[:open])
		if len(fields) != 2 || (fields[1] != "in" && fields[1] != "notin") {
			return requirement{}, parseError(quote(t) + " is not `key in (values)` or `key notin (values)`")
		}
		if err := checkKey(fields[0]); err != nil {
			return requirement{}, err
		}
		var vals []string
		for _, v := range strings.Split(t[open+1:len(t)-1], ",") {
			v = strings.TrimSpace(v)
			if v == "" || strings.ContainsAny(v, "()") {
				return requirement{}, parseError("empty or malformed value in " + quote(t))
			}
			vals = append(vals, v)
		}
		op := opIn
		if fields[1] == "notin" {
			op = opNotIn
		}
		return requirement{key: fields[0], op: op, values: vals}, nil
	}
	if err := checkKey(t); err != nil {
		return requirement{}, err
	}
	return requirement{key: t, op: opExists}, nil
}

func kv(k, v string, op string) (requirement, error) {
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if err := checkKey(k); err != nil {
		return requirement{}, err
	}
	if v == "" || strings.ContainsAny(v, "()!=") {
		return requirement{}, parseError("missing or malformed value after " + quote(k))
	}
	return requirement{key: k, op: op, values: []string{v}}, nil
}

// checkKey validates a label key (of a selector or a groupBy).
func checkKey(k string) error {
	if k == "" {
		return parseError("missing label key")
	}
	if strings.ContainsAny(k, "=!(), \t\"\\/") {
		return parseError("label key " + quote(k) + " must not contain spaces, quotes, slashes or any of = ! ( ) ,")
	}
	if len(k) > tc.MaxNameLen {
		return parseError("label key " + quote(k) + " is too long")
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// Matches reports whether a set of label names satisfies every
// requirement (used for published events, whose labels are in memory).
func (sel Selector) Matches(labelNames []string) bool {
	kvs := map[string]map[string]bool{}
	for _, n := range labelNames {
		k, v := labelKV(n)
		if kvs[k] == nil {
			kvs[k] = map[string]bool{}
		}
		kvs[k][v] = true
	}
	for _, r := range sel {
		vals, has := kvs[r.key]
		switch r.op {
		case opExists:
			if !has {
				return false
			}
		case opAbsent:
			if has {
				return false
			}
		case opIn, opNotIn:
			any := false
			for _, v := range r.values {
				any = any || vals[v]
			}
			if any != (r.op == opIn) {
				return false
			}
		}
	}
	return true
}

// labelMatch is one requirement resolved to label IDs: the object must
// (positive) or must not carry one of ids.
type labelMatch struct {
	positive bool
	ids      []string
}

// resolve turns the selector into label-ID requirements given every label
// (ID → name). A positive requirement no label satisfies matches nothing
// (ok is false then).
func (sel Selector) resolve(labels map[string]string) (out []labelMatch, ok bool) {
	for _, r := range sel {
		var ids []string
		for id, name := range labels {
			k, v := labelKV(name)
			if k != r.key {
				continue
			}
			switch r.op {
			case opExists, opAbsent:
				ids = append(ids, id)
			default:
				for _, want := range r.values {
					if v == want {
						ids = append(ids, id)
					}
				}
			}
		}
		positive := r.op == opIn || r.op == opExists
		if len(ids) == 0 {
			if positive {
				return nil, false
			}
			continue // nothing carries it: "must not" holds for all
		}
		out = append(out, labelMatch{positive: positive, ids: ids})
	}
	return out, true
}

// groupLabels returns the labels that give a group value for key: label ID
// → value.
func groupLabels(key string, labels map[string]string) map[string]string {
	out := map[string]string{}
	if key == "" {
		return out
	}
	for id, name := range labels {
		if k, v := labelKV(name); k == key {
			out[id] = v
		}
	}
	return out
}
