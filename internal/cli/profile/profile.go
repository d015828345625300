// Package profile reads and writes tcctl's configuration file: named
// contexts, each a tcd URL with the session (or API token) issued by that
// tcd, and which context is current. A credential is only ever sent to the
// URL of its own context (see Match). The file holds credentials, so it is
// created with mode 0600 in a 0700 directory; it never holds a password.
//
// Files written before contexts existed (top-level url, token, username,
// caCert) are read as one context and rewritten in the new shape the next
// time tcctl saves.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Context is one tcd and the credential tcctl holds for it.
type Context struct {
	Name     string `yaml:"name"`
	URL      string `yaml:"url"`
	Username string `yaml:"username,omitempty"`
	// Token is the session or API token issued by the tcd at URL; it is
	// sent to no other URL.
	Token string `yaml:"token,omitempty"`
	// CACert is a PEM file trusted for an https URL (tcctl --ca-cert).
	CACert string `yaml:"caCert,omitempty"`
}

// Credential names the kind of the saved token: "session", "token" (an
// API token) or "none".
func (c Context) Credential() string {
	switch {
	case c.Token == "":
		return "none"
	case strings.HasPrefix(c.Token, "tc-session_"):
		return "session"
	}
	return "token"
}

// File is the content of the configuration file.
type File struct {
	CurrentContext string    `yaml:"currentContext,omitempty"`
	Contexts       []Context `yaml:"contexts,omitempty"`
}

// legacy is the single-login shape of files written by earlier tcctl.
type legacy struct {
	URL      string `yaml:"url"`
	Token    string `yaml:"token"`
	Username string `yaml:"username"`
	CACert   string `yaml:"caCert"`
}

// DefaultPath is $XDG_CONFIG_HOME/tcctl/config.yaml (os.UserConfigDir).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user configuration directory (%v): pass --config or set TCCTL_CONFIG", err)
	}
	return filepath.Join(dir, "tcctl", "config.yaml"), nil
}

// Load reads the file at path. A missing file is an empty File; a file in
// the old single-login shape becomes one context, made current.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f := &File{}
	if err := yaml.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", path, err)
	}
	var old legacy
	if err := yaml.Unmarshal(data, &old); err == nil && old.URL != "" && len(f.Contexts) == 0 {
		c := Context{URL: old.URL, Token: old.Token, Username: old.Username, CACert: old.CACert}
		c.Name = f.freeName(c)
		f.Contexts = []Context{c}
		f.CurrentContext = c.Name
	}
	for i, c := range f.Contexts {
		if c.Name == "" || c.URL == "" {
			return nil, fmt.Errorf("%s: context %d has no name or no url: fix or delete it", path, i+1)
		}
	}
	return f, nil
}

// Save writes f to path atomically: a 0600 temporary file in the same
// directory renamed over the old one, so a crash never leaves half a
// credential and an existing file with looser permissions ends up 0600.
func Save(path string, f *File) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create configuration directory: %w", err)
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	tf, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	tmp := tf.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := tf.Chmod(0o600); err != nil {
		tf.Close()
		return fmt.Errorf("write configuration: %w", err)
	}
	if _, err := tf.Write(data); err != nil {
		tf.Close()
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := tf.Close(); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// Get returns the context called name, or nil.
func (f *File) Get(name string) *Context {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			return &f.Contexts[i]
		}
	}
	return nil
}

// Current returns the current context, or nil.
func (f *File) Current() *Context {
	if f.CurrentContext == "" {
		return nil
	}
	return f.Get(f.CurrentContext)
}

// Match returns the contexts whose URL is the same server as rawURL (see
// SameURL), in file order.
func (f *File) Match(rawURL string) []*Context {
	var out []*Context
	for i := range f.Contexts {
		if SameURL(f.Contexts[i].URL, rawURL) {
			out = append(out, &f.Contexts[i])
		}
	}
	return out
}

// Put stores c: it replaces the context of the same name or adds it.
func (f *File) Put(c Context) {
	if old := f.Get(c.Name); old != nil {
		*old = c
		return
	}
	f.Contexts = append(f.Contexts, c)
}

// Delete removes the context called name (and unsets it as current); it
// reports whether there was one.
func (f *File) Delete(name string) bool {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			f.Contexts = append(f.Contexts[:i], f.Contexts[i+1:]...)
			if f.CurrentContext == name {
				f.CurrentContext = ""
			}
			return true
		}
	}
	return false
}

// Rename renames a context (and the current-context pointer with it).
func (f *File) Rename(from, to string) error {
	c := f.Get(from)
	if c == nil {
		return fmt.Errorf("no context %q", from)
	}
	if f.Get(to) != nil {
		return fmt.Errorf("a context %q exists already", to)
	}
	c.Name = to
	if f.CurrentContext == from {
		f.CurrentContext = to
	}
	return nil
}

// NewName is the name a new context for c gets: the host:port of its URL,
// or user@host:port when that is taken, with a number added if need be.
func (f *File) NewName(c Context) string { return f.freeName(c) }

func (f *File) freeName(c Context) string {
	host := c.URL
	if u, err := parse(c.URL); err == nil {
		host = u.Host
	}
	candidates := []string{host}
	if c.Username != "" {
		candidates = append(candidates, c.Username+"@"+host)
	}
	for _, n := range candidates {
		if f.Get(n) == nil {
			return n
		}
	}
	base := candidates[len(candidates)-1]
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s-%d", base, i); f.Get(n) == nil {
			return n
		}
	}
}

// SameURL reports whether a and b name the same server: scheme, host and
// port compared case-insensitively, default ports and a trailing slash
// ignored, a missing scheme read as http (as tcctl does).
func SameURL(a, b string) bool {
	ua, err1 := parse(a)
	ub, err2 := parse(b)
	if err1 != nil || err2 != nil {
		return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host && ua.Path == ub.Path
}

// parse normalises a tcd URL: lower-case scheme and host, explicit port,
// no trailing slash.
func parse(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	u.Host = net.JoinHostPort(strings.ToLower(strings.Trim(host, "[]")), port)
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}
