package config

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Acceptance 5 (operability): every option in configs/tcd.example.yaml is a
// real option, every real option (but config itself) is in the file with its
// environment variable, and the file loads.
func TestExampleConfigFile(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "tcd.example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#\s?([a-z][a-z-]+):`).FindAllStringSubmatch(string(data), -1) {
		inFile[m[1]] = true
	}
	known := map[string]bool{}
	for _, o := range Options {
		known[o.Key] = true
		if o.Key == "config" {
			continue
		}
		if !inFile[o.Key] {
			t.Errorf("option %s is missing from %s", o.Key, path)
		}
		if !strings.Contains(string(data), o.Env) {
			t.Errorf("environment variable %s of %s is not mentioned in %s", o.Env, o.Key, path)
		}
	}
	var unknown []string
	for k := range inFile {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("%s names options tcd does not have: %v", path, unknown)
	}
	// Uncommented, the file is a valid configuration.
	uncommented := regexp.MustCompile(`(?m)^# ?([a-z][a-z-]+: .*)$`).ReplaceAllString(string(data), "$1")
	seen := map[string]bool{}
	var lines []string
	for _, l := range strings.Split(uncommented, "\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") && l != "" {
			if seen[k] { // the file shows alternatives; keep the first
				continue
			}
			seen[k] = true
		}
		lines = append(lines, l)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cert.pem"), nil, 0o600)
	full := strings.Join(lines, "\n")
	full = regexp.MustCompile(`(?m)^(ssl-cert|ssl-key|owner-[a-z]+|reset-owner-password|database|config-agent-env-file):.*$`).ReplaceAllString(full, "")
	clearEnv(t)
	file := filepath.Join(dir, "tcd.yaml")
	os.WriteFile(file, []byte(full), 0o600)
	if _, err := load(t, "--config", file); err != nil {
		t.Fatalf("the example, uncommented, does not load: %v", err)
	}
}

// docs/configuration.md documents every option with its flag, variable and
// default.
func TestConfigurationReference(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, o := range Options {
		def := o.Default
		if def == "" {
			def = "—"
		}
		row := "| `--" + o.Key + "` | `" + o.Env + "` | `" + def + "` |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/configuration.md lacks the row %s", row)
		}
	}
	rows := regexp.MustCompile("(?m)^\\| `--([a-z-]+)`").FindAllStringSubmatch(doc, -1)
	if len(rows) != len(Options) {
		t.Errorf("docs/configuration.md has %d option rows, tcd has %d options", len(rows), len(Options))
	}
}
