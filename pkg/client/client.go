// Package client is a typed HTTP client for the tcd API. It speaks pkg/tc
// types and returns *tc.Error for every API error, so callers can switch on
// tc.ErrorCode(err) and read Status() for the HTTP status.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// Client talks to one tcd. The zero value is not usable; call New.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
	caFile    string
}

// Option configures a Client.
type Option func(*Client)

// WithToken sets the credential sent as "Authorization: Bearer <token>"; it
// may be an API token or a session token.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the default HTTP client (30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithCACert trusts the PEM certificate(s) in file (in addition to the
// system pool) for https URLs, e.g. a tcd with a self-signed certificate.
func WithCACert(file string) Option {
	return func(c *Client) {
		if file == "" {
			return
		}
		c.caFile = file
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for the tcd at baseURL (e.g. http://localhost:8888).
func New(baseURL string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(baseURL) == "" {
		return nil, tc.Errorf(tc.EInvalid, "no tcd URL given: pass --url or set TCCTL_URL (e.g. http://localhost:8888)")
	}
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, tc.Errorf(tc.EInvalid, "invalid tcd URL %q: expected http://host:port or https://host:port", baseURL)
	}
	c := &Client{base: u, http: &http.Client{Timeout: 30 * time.Second}, userAgent: "tc-client"}
	for _, o := range opts {
		o(c)
	}
	if u.Scheme == "https" {
		tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.caFile != "" {
			pem, err := os.ReadFile(c.caFile)
			if err != nil {
				return nil, tc.Errorf(tc.EInvalid, "read CA certificate %s: %v", c.caFile, err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, tc.Errorf(tc.EInvalid, "%s holds no PEM certificate", c.caFile)
			}
			tlsCfg.RootCAs = pool
		}
		if c.http.Transport == nil || c.caFile != "" {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = tlsCfg
			tr.DialTLSContext = dialTLS(tlsCfg)
			hc := *c.http
			hc.Transport = tr
			c.http = &hc
		}
	}
	return c, nil
}

// BaseURL returns the tcd URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Token returns the credential the client sends ("" for none).
func (c *Client) Token() string { return c.token }

// HTTPStatus returns the HTTP status an API error arrived with, or 0.
func HTTPStatus(err error) int {
	var e *tc.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Do sends one request. body (if not nil) is encoded as JSON; a 2xx response
// body is decoded into out (if not nil). Exported so tools can reach routes
// this package has no method for yet.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	_, err := c.do(ctx, method, path, query, body, out)
	return err
}

// DoHeader is Do with extra request headers (e.g. If-Match); it returns the
// response's headers (e.g. ETag), also with an API error.
func (c *Client) DoHeader(ctx context.Context, method, path string, query url.Values, header http.Header, body, out any) (http.Header, error) {
	resp, err := c.doH(ctx, method, path, query, header, body, out)
	if resp == nil {
		return nil, err
	}
	return resp.Header, err
}

// IsPreconditionFailed reports whether err is tcd's 412: the object changed
// since the If-Match tag was read.
func IsPreconditionFailed(err error) bool { return tc.IsCode(err, tc.EPreconditionFailed) }

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) (*http.Response, error) {
	return c.doH(ctx, method, path, query, nil, body, out)
}

func (c *Client) doH(ctx context.Context, method, path string, query url.Values, header http.Header, body, out any) (*http.Response, error) {
	u := *c.base
	// path arrives escaped (see esc); keep that encoding on the wire.
	raw := c.base.EscapedPath() + path
	unescaped, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid request path %q: %w", path, err)
	}
	u.Path, u.RawPath = unescaped, raw
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, tc.Errorf(tc.EUnavailable, "cannot reach tcd at %s: %v", c.base.String(), unwrapNetErr(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, decodeError(resp, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("decode response from %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

func unwrapNetErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response, data []byte) error {
	e := &tc.Error{}
	var raw map[string]any
	envelope := false
	if json.Unmarshal(data, &raw) == nil {
		code, okCode := raw["code"].(string)
		msg, okMsg := raw["message"].(string)
		envelope = okCode && okMsg && tc.StatusForCode(code) == resp.StatusCode
		if okCode {
			e.Code = code
		}
		if okMsg {
			e.Message = msg
		}
		for k, v := range raw {
			if k != "code" && k != "message" {
				e.Details = setDetail(e.Details, k, v)
			}
		}
	}
	if resp.StatusCode == http.StatusNotFound && !envelope && resp.Request.Method != http.MethodHead {
		// Not tcd's "not found": a wrong URL (another service, a proxy
		// path) must not look like a missing object to a script.
		return &tc.Error{Code: tc.EUnavailable, Status: resp.StatusCode, Message: fmt.Sprintf(
			"%s %s answered %s without tcd's error format: is %s the tcd API (default port 8888)?",
			resp.Request.Method, resp.Request.URL.Path, resp.Status, resp.Request.URL.Scheme+"://"+resp.Request.URL.Host)}
	}
	if e.Code == "" {
		e.Code = tc.CodeForStatus(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("tcd answered %s", resp.Status)
	}
	e.Status = resp.StatusCode
	return e
}

func setDetail(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

func pageQuery(p tc.Page, extra url.Values) url.Values {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	if p.Limit > 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
	if p.Offset > 0 {
		q.Set("offset", fmt.Sprint(p.Offset))
	}
	return q
}

func esc(s string) string { return url.PathEscape(s) }
