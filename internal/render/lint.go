package render

import (
	_ "embed"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/influxdata/toml/ast"
)

// pluginList is the plugin names (kind.name) registered in Telegraf 1.40.
//
//go:embed data/telegraf-plugins-1.40.txt
var pluginList string

// PluginsVersion is the Telegraf release the plugin list comes from.
const PluginsVersion = "1.40"

var knownPlugins = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(pluginList, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}()

// KnownPlugin reports whether kind.name (inputs.cpu) is a plugin of
// Telegraf PluginsVersion.
func KnownPlugin(kind, name string) bool { return knownPlugins[kind+"."+name] }

// LintOptions tell Lint about this tcd.
type LintOptions struct {
	// HeartbeatURLs are the base URLs (scheme://host:port) agents reach
	// this tcd's heartbeat listener at; a heartbeat output whose url starts
	// with none of them is reported. Empty: only the path is checked.
	HeartbeatURLs []string
	// HeartbeatPort, when not 0 and HeartbeatURLs is empty, is the port
	// the heartbeat listener has.
	HeartbeatPort int
}

var pluginKinds = []string{"inputs", "outputs", "processors", "aggregators", "secretstores"}

// heartbeatIncludes are the values outputs.heartbeat accepts in include.
var heartbeatIncludes = map[string]bool{"hostname": true, "statistics": true, "configs": true, "logs": true, "status": true}

// Lint returns the warnings of a parsed config (with r's own), sorted by
// line: plugin names Telegraf PluginsVersion does not know, options known
// to crash agents, outputs.heartbeat settings Telegraf refuses, and a
// heartbeat output that does not report to this tcd.
func (r *Result) Lint(o LintOptions) []Warning {
	out := append([]Warning(nil), r.Warnings...)
	for name, v := range r.Table.Fields {
		t, ok := v.(*ast.Table)
		if !ok {
			continue
		}
		kind := name
		switch name {
		case "agent", "global_tags", "tags":
			continue
		case "inputs", "outputs", "processors", "aggregators", "secretstores", "plugins":
			if name == "plugins" {
				kind = "inputs"
			}
		default: // Telegraf takes an unknown top-level table as an input
			if !KnownPlugin("inputs", name) {
				line, col := r.tableLine(t.Line)
				out = append(out, Warning{Line: line, Column: col, Code: WarnUnknownPlugin,
					Msg: fmt.Sprintf("[%s] is not a section of Telegraf's config, and Telegraf %s has no input plugin %q: the agent will refuse the config (undefined but requested input)", name, PluginsVersion, name)})
			}
			continue
		}
		for plugin, pv := range t.Fields {
			tables := pluginTables(pv)
			if !KnownPlugin(kind, plugin) {
				if len(tables) > 0 {
					line, col := r.tableLine(tables[0].Line)
					out = append(out, Warning{Line: line, Column: col, Code: WarnUnknownPlugin,
						Msg: fmt.Sprintf("Telegraf %s has no plugin %s.%s: an agent without it refuses the config (check the spelling, or ignore this for a custom build)", PluginsVersion, kind, plugin)})
				}
				continue
			}
			if kind == "outputs" && plugin == "heartbeat" {
				for _, ht := range tables {
					out = append(out, r.lintHeartbeat(ht, o)...)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

func pluginTables(v any) []*ast.Table {
	switch t := v.(type) {
	case *ast.Table:
		return []*ast.Table{t}
	case []*ast.Table:
		return t
	}
	return nil
}

func (r *Result) lintHeartbeat(t *ast.Table, o LintOptions) []Warning {
	var out []Warning
	if logs, ok := t.Fields["logs"].(*ast.Table); ok {
		if kv, ok := logs.Fields["limit"].(*ast.KeyValue); ok {
			if n, ok := kv.Value.(*ast.Integer); !ok || n.Value != "0" {
				line, col := r.tableLine(kv.Line)
				out = append(out, Warning{Line: line, Column: col, Code: WarnCrash,
					Msg: "[outputs.heartbeat.logs] limit crashes Telegraf 1.38 to 1.40 (a nil pointer in the heartbeat's log selection once more entries are buffered than the limit and a more severe level has none): remove limit"})
			}
		}
	}
	if kv, ok := t.Fields["include"].(*ast.KeyValue); ok {
		if arr, ok := kv.Value.(*ast.Array); ok {
			for _, e := range arr.Value {
				s, ok := e.(*ast.String)
				if ok && !heartbeatIncludes[s.Value] && !strings.Contains(s.Value, "$") {
					line, col := r.runePos(s.Position.Begin)
					out = append(out, Warning{Line: line, Column: col, Code: WarnOption,
						Msg: fmt.Sprintf("outputs.heartbeat include %q is not one of hostname, statistics, configs, logs, status: Telegraf refuses the plugin", s.Value)})
				}
			}
		}
	}
	kv, ok := t.Fields["url"].(*ast.KeyValue)
	if !ok {
		line, col := r.tableLine(t.Line)
		return append(out, Warning{Line: line, Column: col, Code: WarnHeartbeatURL, Msg: "outputs.heartbeat has no url: Telegraf refuses the plugin (url required)"})
	}
	s, ok := kv.Value.(*ast.String)
	if !ok || strings.Contains(s.Value, "${") || strings.Contains(s.Value, "@{") || strings.HasPrefix(s.Value, "$") {
		return out // decided on the agent
	}
	if msg := heartbeatURLProblem(s.Value, o); msg != "" {
		line, col := r.runePos(s.Position.Begin)
		out = append(out, Warning{Line: line, Column: col, Code: WarnHeartbeatURL, Msg: msg})
	}
	return out
}

func heartbeatURLProblem(raw string, o LintOptions) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("outputs.heartbeat url %q is not an absolute URL", raw)
	}
	if u.Path != "/agents/heartbeat" && u.Path != "/heartbeat" {
		return fmt.Sprintf("outputs.heartbeat url %q does not end in /agents/heartbeat, where tcd takes heartbeats", raw)
	}
	if len(o.HeartbeatURLs) > 0 {
		for _, base := range o.HeartbeatURLs {
			b, err := url.Parse(base)
			if err == nil && strings.EqualFold(b.Scheme, u.Scheme) && strings.EqualFold(b.Host, u.Host) {
				return ""
			}
		}
		return fmt.Sprintf("outputs.heartbeat url %q does not point at this tcd (heartbeat URL %s)", raw, strings.Join(o.HeartbeatURLs, ", "))
	}
	if o.HeartbeatPort != 0 {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if port != strconv.Itoa(o.HeartbeatPort) {
			return fmt.Sprintf("outputs.heartbeat url %q does not point at this tcd: its heartbeat listener is on port %d (set the public heartbeat URL with tcctl settings set heartbeatUrl=… if a proxy sits between)", raw, o.HeartbeatPort)
		}
	}
	return ""
}
