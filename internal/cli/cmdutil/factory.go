package cmdutil

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/client"
)

// Environment variables tcctl reads.
const (
	EnvURL    = "TCCTL_URL"
	EnvToken  = "TCCTL_TOKEN"
	EnvConfig = "TCCTL_CONFIG"
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
// errors never fail on a broken profile.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Getenv reads the environment (os.Getenv unless replaced).
	Getenv func(string) string
	// AppVersion goes into the User-Agent header.
	AppVersion string

	// Values of the global flags, bound by the root command.
	URLFlag    string
	ConfigFlag string
	CACertFlag string
	Output     Format

	profile *profile.Profile
	client  *client.Client
}

// New returns a Factory for ios.
func New(ios *iostreams.IOStreams, appVersion string) *Factory {
	return &Factory{IOStreams: ios, Getenv: os.Getenv, AppVersion: appVersion, Output: FormatTable}
}

func (f *Factory) env(name string) string { return strings.TrimSpace(f.Getenv(name)) }

// ProfilePath is --config, else TCCTL_CONFIG, else the default location.
func (f *Factory) ProfilePath() (string, error) {
	if f.ConfigFlag != "" {
		return f.ConfigFlag, nil
	}
	if p := f.env(EnvConfig); p != "" {
		return p, nil
	}
	return profile.DefaultPath()
}

// Profile loads the profile file once; a missing file is an empty profile.
func (f *Factory) Profile() (*profile.Profile, error) {
	if f.profile != nil {
		return f.profile, nil
	}
	path, err := f.ProfilePath()
	if err != nil {
		return nil, err
	}
	p, err := profile.Load(path)
	if err != nil {
		return nil, err
	}
	f.profile = p
	return p, nil
}

// SaveProfile writes p (mode 0600) and makes it the current profile.
func (f *Factory) SaveProfile(p *profile.Profile) error {
	path, err := f.ProfilePath()
	if err != nil {
		return err
	}
	if p.CACert == "" {
		p.CACert = f.CACert() // remember --ca-cert for the next commands
	}
	if err := profile.Save(path, p); err != nil {
		return err
	}
	f.profile = p
	return nil
}

// BaseURL is --url, else TCCTL_URL, else the profile's URL.
func (f *Factory) BaseURL() (string, error) {
	if f.URLFlag != "" {
		return f.URLFlag, nil
	}
	if u := f.env(EnvURL); u != "" {
		return u, nil
	}
	p, err := f.Profile()
	if err != nil {
		return "", err
	}
	if p.URL != "" {
		return p.URL, nil
	}
	return "", FlagErrorf("no tcd URL configured: pass --url, set %s, or run `tcctl login --url http://HOST:8888` once", EnvURL)
}

// Credential is TCCTL_TOKEN, else the profile's token, else none.
func (f *Factory) Credential() (string, CredentialSource, error) {
	if t := f.env(EnvToken); t != "" {
		return t, CredentialEnv, nil
	}
	p, err := f.Profile()
	if err != nil {
		return "", CredentialNone, err
	}
	if p.Token != "" {
		return p.Token, CredentialProfile, nil
	}
	return "", CredentialNone, nil
}

// Client returns the API client for the configured URL and credential,
// built on first use. Without a credential it still works for public
// routes; protected ones answer 401 and the caller prints a login hint.
func (f *Factory) Client() (*client.Client, error) {
	if f.client != nil {
		return f.client, nil
	}
	tok, _, err := f.Credential()
	if err != nil {
		return nil, err
	}
	c, err := f.ClientWithToken(tok)
	if err != nil {
		return nil, err
	}
	f.client = c
	return c, nil
}

// ClientWithToken returns a client for the configured URL that sends token
// ("" for none) instead of the configured credential: for setup, login and
// other public routes, and to validate a token before saving it.
func (f *Factory) ClientWithToken(token string) (*client.Client, error) {
	u, err := f.BaseURL()
	if err != nil {
		return nil, err
	}
	return f.NewClient(u, token)
}

// NewClient returns a client for an explicit URL and token, e.g. to end the
// session saved in the profile on the server it belongs to.
func (f *Factory) NewClient(baseURL, token string) (*client.Client, error) {
	return client.New(baseURL, client.WithToken(token), client.WithUserAgent("tcctl/"+f.AppVersion), client.WithCACert(f.CACert()))
}

// CACert is the PEM file to trust for https: --ca-cert, else TCCTL_CA_CERT,
// else the profile's.
func (f *Factory) CACert() string {
	if f.CACertFlag != "" {
		return absPath(f.CACertFlag)
	}
	if v := f.env("TCCTL_CA_CERT"); v != "" {
		return absPath(v)
	}
	if p, err := f.Profile(); err == nil && p != nil {
		return p.CACert
	}
	return ""
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
