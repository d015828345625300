package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Environment variables tcctl reads.
const (
	EnvURL     = "TCCTL_URL"
	EnvToken   = "TCCTL_TOKEN"
	EnvConfig  = "TCCTL_CONFIG"
	EnvContext = "TCCTL_CONTEXT"
	EnvCACert  = "TCCTL_CA_CERT"
)

// CredentialSource says where the credential of the client came from; the
// hint printed after a 401 depends on it.
type CredentialSource int

const (
	CredentialNone CredentialSource = iota
	CredentialEnv
	CredentialProfile
)

// Factory builds what commands need, lazily: nothing is read from disk or
// the environment until a run function asks for it, so `--help` and usage
// errors never fail on a broken configuration file.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Getenv reads the environment (os.Getenv unless replaced).
	Getenv func(string) string
	// AppVersion goes into the User-Agent header.
	AppVersion string

	// Values of the global flags, bound by the root command.
	URLFlag     string
	ConfigFlag  string
	ContextFlag string
	CACertFlag  string
	Output      Format

	file   *profile.File
	target *Target
	client *client.Client
}

// Target is what a command talks to: the tcd URL, the credential for it and
// the context both came from.
type Target struct {
	URL    string
	Token  string
	Source CredentialSource
	// Context is the context whose credential (or URL) is used, or nil.
	Context *profile.Context
}

// New returns a Factory for ios.
func New(ios *iostreams.IOStreams, appVersion string) *Factory {
	return &Factory{IOStreams: ios, Getenv: os.Getenv, AppVersion: appVersion, Output: FormatTable}
}

func (f *Factory) env(name string) string { return strings.TrimSpace(f.Getenv(name)) }

// ConfigPath is --config, else TCCTL_CONFIG, else the default location.
func (f *Factory) ConfigPath() (string, error) {
	if f.ConfigFlag != "" {
		return f.ConfigFlag, nil
	}
	if p := f.env(EnvConfig); p != "" {
		return p, nil
	}
	return profile.DefaultPath()
}

// Contexts loads the configuration file once; a missing file is empty.
func (f *Factory) Contexts() (*profile.File, error) {
	if f.file != nil {
		return f.file, nil
	}
	path, err := f.ConfigPath()
	if err != nil {
		return nil, err
	}
	p, err := profile.Load(path)
	if err != nil {
		return nil, err
	}
	f.file = p
	return p, nil
}

// SaveContexts writes the configuration file (mode 0600).
func (f *Factory) SaveContexts(p *profile.File) error {
	path, err := f.ConfigPath()
	if err != nil {
		return err
	}
	if err := profile.Save(path, p); err != nil {
		return err
	}
	f.file, f.target, f.client = p, nil, nil
	return nil
}

// SelectedContext is --context, else TCCTL_CONTEXT ("" for neither).
func (f *Factory) SelectedContext() string {
	if f.ContextFlag != "" {
		return f.ContextFlag
	}
	return f.env(EnvContext)
}

// Target resolves the URL and the credential:
//
//   - the URL is --url, else TCCTL_URL, else the URL of the selected
//     context (--context / TCCTL_CONTEXT), else of the current context;
//   - the credential is TCCTL_TOKEN, else the token of the context for that
//     URL: the selected one, else the current one, else the only one saved
//     for the URL. A context's token is never sent to another URL.
func (f *Factory) Target() (*Target, error) {
	if f.target != nil {
		return f.target, nil
	}
	file, err := f.Contexts()
	if err != nil {
		return nil, err
	}
	var selected *profile.Context
	if name := f.SelectedContext(); name != "" {
		if selected = file.Get(name); selected == nil {
			return nil, FlagErrorf("no context %q: see tcctl context list", name)
		}
	}
	t := &Target{URL: f.URLFlag}
	if t.URL == "" {
		t.URL = f.env(EnvURL)
	}
	switch {
	case t.URL != "":
	case selected != nil:
		t.URL = selected.URL
	case file.Current() != nil:
		t.URL = file.Current().URL
	default:
		return nil, FlagErrorf("no tcd URL configured: pass --url, set %s, or run `tcctl login --url http://HOST:8888` once", EnvURL)
	}
	switch {
	case selected != nil:
		if !profile.SameURL(selected.URL, t.URL) {
			return nil, FlagErrorf("context %q belongs to %s, not %s: drop --url/%s or choose another context", selected.Name, selected.URL, t.URL, EnvURL)
		}
		t.Context = selected
	case file.Current() != nil && profile.SameURL(file.Current().URL, t.URL):
		t.Context = file.Current()
	default:
		switch m := file.Match(t.URL); len(m) {
		case 0:
		case 1:
			t.Context = m[0]
		default:
			names := make([]string, len(m))
			for i, c := range m {
				names[i] = c.Name
			}
			return nil, FlagErrorf("%d contexts hold a login for %s (%s): choose one with --context", len(m), t.URL, strings.Join(names, ", "))
		}
	}
	if tok := f.env(EnvToken); tok != "" {
		t.Token, t.Source = tok, CredentialEnv
	} else if t.Context != nil && t.Context.Token != "" {
		t.Token, t.Source = t.Context.Token, CredentialProfile
	}
	f.target = t
	return t, nil
}

// BaseURL is the URL of the Target.
func (f *Factory) BaseURL() (string, error) {
	t, err := f.Target()
	if err != nil {
		return "", err
	}
	return t.URL, nil
}

// Credential is the credential of the Target and where it came from.
func (f *Factory) Credential() (string, CredentialSource, error) {
	t, err := f.Target()
	if err != nil {
		return "", CredentialNone, err
	}
	return t.Token, t.Source, nil
}

// ErrNoCredential is returned by Client when tcctl holds no credential for
// the URL it would talk to; nothing is sent. It exits with ExitAuth.
type ErrNoCredential struct{ URL string }

func (e *ErrNoCredential) Error() string {
	return fmt.Sprintf("not logged in to %s: run `tcctl login --url %s` (or set %s)", e.URL, e.URL, EnvToken)
}

// Client returns the API client for the Target, built on first use. Without
// a credential for the Target's URL it returns *ErrNoCredential and sends
// nothing: a credential saved for another server is never used instead.
func (f *Factory) Client() (*client.Client, error) {
	if f.client != nil {
		return f.client, nil
	}
	t, err := f.Target()
	if err != nil {
		return nil, err
	}
	if t.Token == "" {
		return nil, &ErrNoCredential{URL: t.URL}
	}
	c, err := f.NewClient(t.URL, t.Token)
	if err != nil {
		return nil, err
	}
	f.client = c
	return c, nil
}

// ClientWithToken returns a client for the Target's URL that sends token
// ("" for none) instead of the saved credential: for setup, login and other
// public routes, and to validate a token before saving it.
func (f *Factory) ClientWithToken(token string) (*client.Client, error) {
	u, err := f.BaseURL()
	if err != nil {
		return nil, err
	}
	return f.NewClient(u, token)
}

// NewClient returns a client for an explicit URL and token, e.g. to end the
// session saved in a context on the server it belongs to.
func (f *Factory) NewClient(baseURL, token string) (*client.Client, error) {
	c, err := client.New(baseURL, client.WithToken(token), client.WithUserAgent("tcctl/"+f.AppVersion), client.WithCACert(f.caCertFor(baseURL)))
	if err != nil {
		var te *tc.Error
		if errors.As(err, &te) && te.Code == tc.EInvalid {
			return nil, &FlagError{Err: err}
		}
	}
	return c, err
}

// CACert is the PEM file to trust for https at the Target's URL:
// --ca-cert, else TCCTL_CA_CERT, else the one saved with the context.
func (f *Factory) CACert() string {
	u, err := f.BaseURL()
	if err != nil {
		return f.caCertFor("")
	}
	return f.caCertFor(u)
}

func (f *Factory) caCertFor(baseURL string) string {
	if f.CACertFlag != "" {
		return absPath(f.CACertFlag)
	}
	if v := f.env(EnvCACert); v != "" {
		return absPath(v)
	}
	if file, err := f.Contexts(); err == nil && baseURL != "" {
		for _, c := range file.Match(baseURL) {
			if c.CACert != "" {
				return c.CACert
			}
		}
	}
	return ""
}

// SaveMode says how SaveLogin treats the contexts already saved.
type SaveMode int

const (
	// SaveLogin (tcctl login) updates the context for the URL — the one
	// selected with --context, else the one of the same user, else the
	// current one if it is for this URL, else the only one for the URL —
	// or adds one, and makes it current.
	SaveLogin SaveMode = iota
	// SaveNewAccount (setup, accept-invite) never replaces another user's
	// credential: it updates a context only of the same user at the same
	// URL and otherwise adds one. It makes it current only when no context
	// is current (makeCurrent forces it).
	SaveNewAccount
)

// SaveCredential stores token for username at baseURL as SaveMode says and
// returns the context it is saved in and whether that is now current.
func (f *Factory) SaveCredential(mode SaveMode, baseURL, token, username string, makeCurrent bool) (*profile.Context, bool, error) {
	file, err := f.Contexts()
	if err != nil {
		return nil, false, err
	}
	var target *profile.Context
	if name := f.SelectedContext(); name != "" {
		target = file.Get(name)
		if target == nil {
			target = &profile.Context{Name: name}
		}
	} else {
		matches := file.Match(baseURL)
		for _, c := range matches {
			if c.Username == username {
				target = c
				break
			}
		}
		if target == nil && mode == SaveLogin {
			if cur := file.Current(); cur != nil && profile.SameURL(cur.URL, baseURL) {
				target = cur
			} else if len(matches) == 1 {
				target = matches[0]
			}
		}
	}
	c := profile.Context{URL: baseURL, Token: token, Username: username, CACert: f.caCertFor(baseURL)}
	if target != nil {
		c.Name = target.Name
	} else {
		c.Name = file.NewName(c)
	}
	file.Put(c)
	current := mode == SaveLogin || makeCurrent || file.Current() == nil
	if current {
		file.CurrentContext = c.Name
	}
	if err := f.SaveContexts(file); err != nil {
		return nil, false, err
	}
	return file.Get(c.Name), current, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
