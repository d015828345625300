package render

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/influxdata/toml/ast"
)

// WarnSecretMissing is the lint code of a reference to a secret that the
// tcd secret set it would be read from does not hold.
const WarnSecretMissing = "secret-missing"

// SecretRef is one @{store:name} reference of a document.
type SecretRef struct {
	Store, Name  string
	Line, Column int
}

// SecretUse is what a document asks of tcd's secret sets: the stores it
// declares that read a tcd set (store id → set) and its references.
type SecretUse struct {
	Stores map[string]string
	// StoreLines are the lines the stores are declared at.
	StoreLines map[string]int
	Refs       []SecretRef
}

// secretRefRe is a reference as Telegraf matches it (config/secret.go).
var secretRefRe = regexp.MustCompile(`@\{(\w+):(\w+)\}`)

// setPathRe is the path of tcd's values endpoint.
var setPathRe = regexp.MustCompile(`^/api/secret-sets/([A-Za-z0-9_]+)/values/?$`)

// SecretUse finds the [[secretstores.http]] blocks whose url is a tcd
// values endpoint (/api/secret-sets/<set>/values, on any host: the lint
// cannot know every name tcd is reached by) and every secret reference
// outside comments.
func (r *Result) SecretUse() SecretUse {
	out := SecretUse{Stores: map[string]string{}, StoreLines: map[string]int{}}
	if ss, ok := r.Table.Fields["secretstores"].(*ast.Table); ok {
		for _, t := range pluginTables(ss.Fields["http"]) {
			id, okID := stringField(t, "id")
			raw, okURL := stringField(t, "url")
			if !okID || !okURL {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil {
				continue
			}
			if m := setPathRe.FindStringSubmatch(u.Path); m != nil {
				out.Stores[id] = m[1]
				out.StoreLines[id], _ = r.tableLine(t.Line)
			}
		}
	}
	if len(out.Stores) == 0 {
		return out
	}
	for i, line := range strings.Split(r.text, "\n") {
		for _, m := range secretRefRe.FindAllStringSubmatchIndex(line, -1) {
			if c := strings.IndexByte(line, '#'); c >= 0 && c < m[0] && !strings.ContainsAny(line[:c], `"'`) {
				continue // in a comment
			}
			out.Refs = append(out.Refs, SecretRef{Store: line[m[2]:m[3]], Name: line[m[4]:m[5]], Line: i + 1, Column: len([]rune(line[:m[0]])) + 1})
		}
	}
	return out
}

func stringField(t *ast.Table, name string) (string, bool) {
	kv, ok := t.Fields[name].(*ast.KeyValue)
	if !ok {
		return "", false
	}
	s, ok := kv.Value.(*ast.String)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// MissingSecret is a reference whose tcd set lacks the name (or does not
// exist).
type MissingSecret struct {
	SecretRef
	Set       string
	SetExists bool
}

// Missing returns the references to a store that reads a tcd set when the
// set (names: set → secret names, from tcd's store) lacks the name.
func (u SecretUse) Missing(names map[string]map[string]bool) []MissingSecret {
	var out []MissingSecret
	for _, ref := range u.Refs {
		set, ok := u.Stores[ref.Store]
		if !ok {
			continue
		}
		have, exists := names[set]
		if !have[ref.Name] {
			out = append(out, MissingSecret{SecretRef: ref, Set: set, SetExists: exists})
		}
	}
	return out
}

// Warning is the lint warning of a missing secret.
func (m MissingSecret) Warning() Warning {
	msg := fmt.Sprintf("@{%s:%s}: secret set %q has no secret %q: the agent cannot resolve it (tcctl secret set %s %s)", m.Store, m.Name, m.Set, m.Name, m.Set, m.Name)
	if !m.SetExists {
		msg = fmt.Sprintf("@{%s:%s}: store %q reads tcd secret set %q, which does not exist: create it with tcctl secret set %s %s", m.Store, m.Name, m.Store, m.Set, m.Set, m.Name)
	}
	return Warning{Line: m.Line, Column: m.Column, Code: WarnSecretMissing, Msg: msg}
}

// Lint is the warnings of Missing.
func (u SecretUse) Lint(names map[string]map[string]bool) []Warning {
	var out []Warning
	for _, m := range u.Missing(names) {
		out = append(out, m.Warning())
	}
	return out
}
