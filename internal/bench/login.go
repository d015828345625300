package bench

import (
	"context"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// LoginFloodOptions describe a flood of failed logins: Concurrency
// connections each send POST /api/auth/login with a wrong password, one
// after another, until the context ends (Load's Duration or Count bound it
// too).
type LoginFloodOptions struct {
	URL string // tcd's API, e.g. http://127.0.0.1:8888
	Load
}

// LoginFlood runs the flood and returns its result: OK counts the (never
// expected) 2xx answers; Errors holds the refusals by status — 401 for a
// wrong password that was checked, 429 for one refused without a check.
func LoginFlood(ctx context.Context, o LoginFloodOptions) (*Result, error) {
	u, err := CheckLoopback(o.URL)
	if err != nil {
		return nil, err
	}
	hc := Client(u.Host, o.Concurrency)
	target := "http://" + u.Host + "/api/auth/login"
	type state struct {
		req  *fasthttp.Request
		resp *fasthttp.Response
		body []byte
	}
	states := make([]*state, o.Concurrency)
	for w := range states {
		st := &state{req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
		st.req.SetRequestURI(target)
		st.req.Header.SetMethod(fasthttp.MethodPost)
		st.req.Header.SetContentType("application/json")
		states[w] = st
	}
	return Run(ctx, "login flood", o.Load, func(w int, seq int64) (int, error) {
		st := states[w]
		// A different username per connection and a different password per
		// attempt, as a password sprayer sends them.
		st.body = append(st.body[:0], `{"username":"flood-`...)
		st.body = strconv.AppendInt(st.body, int64(w), 10)
		st.body = append(st.body, `","password":"wrong-`...)
		st.body = strconv.AppendInt(st.body, seq, 10)
		st.body = append(st.body, `"}`...)
		st.req.SetBodyRaw(st.body)
		if err := hc.DoTimeout(st.req, st.resp, 30*time.Second); err != nil {
			return 0, err
		}
		return st.resp.StatusCode(), nil
	})
}
