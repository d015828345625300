// Package profile reads and writes the file in which tcctl remembers the
// tcd URL and the session (or API token) of the last login. The file holds
// a credential, so it is created with mode 0600 in a 0700 directory; it
// never holds a password.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Profile is the content of the profile file.
type Profile struct {
	URL      string `yaml:"url,omitempty"`
	Token    string `yaml:"token,omitempty"`
	Username string `yaml:"username,omitempty"`
	// CACert is a PEM file trusted for an https URL (tcctl --ca-cert).
	CACert string `yaml:"caCert,omitempty"`
}

// DefaultPath is $XDG_CONFIG_HOME/tcctl/config.yaml (os.UserConfigDir).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user configuration directory (%v): pass --config or set TCCTL_CONFIG", err)
	}
	return filepath.Join(dir, "tcctl", "config.yaml"), nil
}

// Load reads the profile at path. A missing file is an empty profile.
func Load(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Profile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p := &Profile{}
	if err := yaml.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("profile %s is not valid YAML: %w", path, err)
	}
	return p, nil
}

// Save writes p to path atomically: a 0600 temporary file in the same
// directory renamed over the old one, so a crash never leaves half a
// credential and an existing file with looser permissions ends up 0600.
func Save(path string, p *Profile) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	data, err := yaml.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	f, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return os.Chmod(path, 0o600)
}
