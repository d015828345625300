package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// ConfigOptions describe config polling: GET with parameters (what an
// agent fetches at start) or HEAD (what --config-url-watch-interval sends).
type ConfigOptions struct {
	BaseURL string   // API listener, e.g. http://127.0.0.1:8888
	Token   string   // "Authorization: Token …" (empty: none)
	Configs []string // config IDs or aliases polled round-robin
	Method  string   // GET or HEAD
	Params  url.Values
	// Agents > 0: each request carries one of that many agent identities
	// (IDParam=bench-0000042, default parameter agent_id), in turn, and
	// agent i polls config i mod len(Configs) — as a fleet where each agent
	// runs one config. With Count = Agents every agent fetches once.
	Agents  int
	IDParam string
	Load
}

// ConfigPath is the path Telegraf polls for a config.
func ConfigPath(ref string) string { return "/api/configs/" + url.PathEscape(ref) + "/toml" }

// Configs runs the config polling load.
func Configs(ctx context.Context, o ConfigOptions) (*Result, error) {
	u, err := CheckLoopback(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if len(o.Configs) == 0 {
		return nil, fmt.Errorf("name at least one config")
	}
	method := strings.ToUpper(o.Method)
	if method != fasthttp.MethodGet && method != fasthttp.MethodHead {
		return nil, fmt.Errorf("method must be GET or HEAD")
	}
	q := ""
	if len(o.Params) > 0 {
		q = "?" + o.Params.Encode()
	}
	hc := Client(u.Host, o.Concurrency)
	reqs := make([]*fasthttp.Request, o.Concurrency)
	resps := make([]*fasthttp.Response, o.Concurrency)
	targets := make([]string, len(o.Configs))
	for i, c := range o.Configs {
		targets[i] = "http://" + u.Host + strings.TrimSuffix(u.Path, "/") + ConfigPath(c) + q
	}
	for w := range reqs {
		reqs[w], resps[w] = fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		reqs[w].Header.SetMethod(method)
		reqs[w].Header.Set("User-Agent", "Telegraf/1.39.3 Go/1.26.8")
		reqs[w].Header.Set("Accept", "application/toml")
		if o.Token != "" {
			reqs[w].Header.Set("Authorization", "Token "+o.Token)
		}
		resps[w].SkipBody = method == fasthttp.MethodHead
	}
	idParam := o.IDParam
	if idParam == "" {
		idParam = "agent_id"
	}
	rest := ""
	if len(o.Params) > 0 {
		p := url.Values{}
		for k, v := range o.Params {
			if k != idParam {
				p[k] = v
			}
		}
		if len(p) > 0 {
			rest = "&" + p.Encode()
		}
	}
	bufs := make([][]byte, o.Concurrency)
	var next atomic.Int64
	return Run(ctx, "config "+method, o.Load, func(w int, seq int64) (int, error) {
		req := reqs[w]
		if o.Agents > 0 {
			a := (next.Add(1) - 1) % int64(o.Agents)
			b := bufs[w][:0]
			b = append(b, "http://"+u.Host+strings.TrimSuffix(u.Path, "/")...)
			b = append(b, ConfigPath(o.Configs[a%int64(len(o.Configs))])...)
			b = append(b, '?')
			b = append(b, idParam...)
			b = append(b, "=bench-"...)
			b = fmt.Appendf(b, "%07d", a)
			b = append(b, rest...)
			bufs[w] = b
			req.SetRequestURIBytes(b)
		} else {
			req.SetRequestURI(targets[(int64(w)+seq)%int64(len(targets))])
		}
		if err := hc.DoTimeout(req, resps[w], 30*time.Second); err != nil {
			return 0, err
		}
		return resps[w].StatusCode(), nil
	})
}
