package cmdutil

import (
	"bytes"
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
// from the JSON encoding so that both carry the same camelCase keys.
func PrintStructured(w io.Writer, f Format, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if f != FormatYAML {
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(numbers(generic)); err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	return enc.Close()
}

// numbers turns json.Number values into int64 or float64; yaml.v3 would
// otherwise quote them as strings.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
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
func Successf(ios *iostreams.IOStreams, format string, args ...any) {
	if ios.IsStdoutTTY() {
		fmt.Fprintf(ios.ErrOut, "✓ "+format+"\n", args...)
	}
}
