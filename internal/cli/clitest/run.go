package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
)

// Env is one test's world: a fake tcd, a private home and config directory
// (the real one is never touched) and no TCCTL_* variables unless a test
// sets them.
type Env struct {
	T      *testing.T
	Server *Server
	// ProfilePath is where tcctl keeps its profile by default in this Env.
	ProfilePath string
}

// NewEnv prepares an Env. It uses t.Setenv, so tests using it cannot be
// parallel.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, k := range []string{"TCCTL_URL", "TCCTL_TOKEN", "TCCTL_CONFIG", "TCCTL_CONTEXT", "NO_COLOR"} {
		t.Setenv(k, "")
	}
	return &Env{T: t, Server: NewServer(t), ProfilePath: filepath.Join(home, ".config", "tcctl", "config.yaml")}
}

// Opts describe how tcctl is run.
type Opts struct {
	// Stdin is what tcctl reads on standard input.
	Stdin string
	// TTY puts stdin, stdout and stderr in terminal mode.
	TTY bool
	// Passwords answer the hidden prompts, in order.
	Passwords []string
}

// Result is what a run produced.
type Result struct {
	Code    int
	Stdout  string
	Stderr  string
	Prompts []string // hidden prompts shown, in order
}

// Run runs tcctl with args in non-terminal mode and no stdin.
func (e *Env) Run(args ...string) Result { return e.RunWith(Opts{}, args...) }

// RunWith runs tcctl with args and the given streams.
func (e *Env) RunWith(o Opts, args ...string) Result {
	e.T.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(o.Stdin)
	ios.SetTerminal(o.TTY)
	var mu sync.Mutex
	var prompts []string
	pending := append([]string(nil), o.Passwords...)
	ios.ReadPassword = func(ctx context.Context, prompt string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		prompts = append(prompts, prompt)
		if len(pending) == 0 {
			return "", errors.New("clitest: no password left for prompt " + prompt)
		}
		pw := pending[0]
		pending = pending[1:]
		return pw, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := cli.Run(ctx, args, ios)
	mu.Lock()
	defer mu.Unlock()
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String(), Prompts: prompts}
}

// LoginAs writes a configuration file whose one, current context holds a
// fresh session of username on the fake tcd, as `tcctl login` would, and
// returns the session token.
func (e *Env) LoginAs(username string) string {
	e.T.Helper()
	tok := e.Server.Session(username)
	c := profile.Context{Name: "test", URL: e.Server.URL, Token: tok, Username: username}
	if err := profile.Save(e.ProfilePath, &profile.File{CurrentContext: c.Name, Contexts: []profile.Context{c}}); err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// SaveContext writes a configuration file whose one, current context is c
// (named "test" unless c has a name).
func (e *Env) SaveContext(c profile.Context) {
	e.T.Helper()
	if c.Name == "" {
		c.Name = "test"
	}
	if err := profile.Save(e.ProfilePath, &profile.File{CurrentContext: c.Name, Contexts: []profile.Context{c}}); err != nil {
		e.T.Fatal(err)
	}
}

// Profile reads the configuration file tcctl wrote and returns its current
// context, failing the test if there is none.
func (e *Env) Profile() profile.Context {
	e.T.Helper()
	if _, err := os.Stat(e.ProfilePath); err != nil {
		e.T.Fatalf("no configuration file: %v", err)
	}
	p, err := profile.Load(e.ProfilePath)
	if err != nil {
		e.T.Fatal(err)
	}
	if p.Current() == nil {
		e.T.Fatalf("no current context in %+v", p)
	}
	return *p.Current()
}

// ProfileMode returns the permission bits of the profile file.
func (e *Env) ProfileMode() os.FileMode {
	e.T.Helper()
	st, err := os.Stat(e.ProfilePath)
	if err != nil {
		e.T.Fatal(err)
	}
	return st.Mode().Perm()
}

// Expect checks the exit code and that stdout and stderr contain the given
// fragments; it reports the whole result on failure.
func (r Result) Expect(t *testing.T, code int, stdoutHas, stderrHas []string) {
	t.Helper()
	ok := r.Code == code
	for _, s := range stdoutHas {
		ok = ok && strings.Contains(r.Stdout, s)
	}
	for _, s := range stderrHas {
		ok = ok && strings.Contains(r.Stderr, s)
	}
	if !ok {
		t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout to contain %q and stderr %q",
			r.Code, code, r.Stdout, r.Stderr, stdoutHas, stderrHas)
	}
}

// JSON decodes stdout into v, failing the test if it is not JSON.
func (r Result) JSON(t *testing.T, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(r.Stdout)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, r.Stdout)
	}
}
