package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/opentc/tc/internal/cli/iostreams"
	"gopkg.in/yaml.v3"
)

// Format is the value of -o/--output. It implements pflag.Value, so an
// unknown format is a flag error (exit 2) before anything runs.
type Format string

// Output formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Formats lists the valid formats, for help and completion.
var Formats = []string{string(FormatTable), string(FormatJSON), string(FormatYAML)}

func (f *Format) String() string { return string(*f) }
func (f *Format) Type() string   { return "format" }

// Set implements pflag.Value.
func (f *Format) Set(s string) error {
	switch v := Format(strings.ToLower(strings.TrimSpace(s))); v {
	case FormatTable, FormatJSON, FormatYAML:
		*f = v
		return nil
	}
	return fmt.Errorf("must be one of table, json, yaml")
}

// Structured reports whether the format prints API objects (json or yaml)
// rather than a table for people.
func (f Format) Structured() bool { return f == FormatJSON || f == FormatYAML }

// PrintStructured writes v as indented JSON or as YAML. YAML is produced
// from the JSON encoding (JSON is YAML), so both carry the same camelCase
// keys in the same order and the same values.
func PrintStructured(w io.Writer, f Format, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if f != FormatYAML {
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	return enc.Close()
}

// blockStyle drops the JSON look (flow collections, quoted strings) so the
// encoder writes ordinary block YAML. Strings keep their quotes where the
// encoder would quote a Go string too, e.g. "yes", which YAML 1.1 readers
// would take for a boolean.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if probe, err := yaml.Marshal(n.Value); err == nil && len(probe) > 0 && probe[0] == '"' {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// Items returns list items ready for printing: never nil, so an empty list
// prints as [] and not null.
func Items[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

// Successf prints a "✓ …" line on stderr, and only when stdout is a
// terminal: scripts get data and exit codes, people get confirmation.
// String arguments are made Safe.
func Successf(ios *iostreams.IOStreams, format string, args ...any) {
	if ios.IsStdoutTTY() {
		fmt.Fprintf(ios.ErrOut, "✓ "+format+"\n", safeArgs(args)...)
	}
}

// Reportf is what a verb that named several objects says about what it
// did: a "✓ …" line on a terminal as Successf, and a plain line on stderr
// in a script when partial (some objects were not found), so that a script
// log shows what was done beside the error.
func Reportf(ios *iostreams.IOStreams, partial bool, format string, args ...any) {
	switch {
	case ios.IsStdoutTTY():
		Successf(ios, format, args...)
	case partial:
		Notef(ios, format, args...)
	}
}

// Notef prints a note on stderr whether or not stdout is a terminal: what a
// script's author must see too (a truncated list, names not found). String
// arguments are made Safe.
func Notef(ios *iostreams.IOStreams, format string, args ...any) {
	fmt.Fprintf(ios.ErrOut, format+"\n", safeArgs(args)...)
}
