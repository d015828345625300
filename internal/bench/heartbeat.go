package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// HeartbeatOptions describe a simulated fleet.
type HeartbeatOptions struct {
	URL         string // heartbeat listener, e.g. http://127.0.0.1:8000
	Token       string // sent as "Authorization: Token …" (empty: none)
	Agents      int    // distinct agent IDs
	Prefix      string // agent ID prefix
	CounterBase uint64 // first statistics.metrics value minus one
	ConfigURL   string // reported in "configurations" (empty: none)
	Load
	// Ack receives one "<agent-id> <counter>\n" line per acknowledged (2xx)
	// heartbeat; nil: not recorded.
	Ack io.Writer
	// Acked, when set, counts acknowledged heartbeats as they happen.
	Acked *atomic.Int64
}

// AgentID returns the ID of simulated agent i.
func AgentID(prefix string, i int) string { return fmt.Sprintf("%s%07d", prefix, i) }

// heartbeatBody appends a schema-v1 body shaped like Telegraf 1.39's.
func heartbeatBody(b []byte, id string, counter uint64, configURL string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1763800000,"hostname":"host-`...)
	b = append(b, id...)
	b = append(b, `","configurations":[`...)
	if configURL != "" {
		b = append(b, '"')
		b = append(b, configURL...)
		b = append(b, `?agent_id=`...)
		b = append(b, id...)
		b = append(b, '"')
	}
	b = append(b, `],"statistics":{"errors":0,"warnings":1,"metrics":`...)
	b = strconv.AppendUint(b, counter, 10)
	b = append(b, `},"logs":[],"status":"OK"}`...)
	return b
}

// Client returns an HTTP client for one loopback host.
func Client(hostPort string, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{Addr: hostPort, MaxConns: conns, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxIdemponentCallAttempts: 1, NoDefaultUserAgentHeader: true}
}

// Heartbeats runs the heartbeat load. Agent a belongs to worker a mod C, so
// each agent sends its heartbeats one after another like a real Telegraf,
// and its counter only grows.
func Heartbeats(ctx context.Context, o HeartbeatOptions) (*Result, error) {
	u, err := CheckLoopback(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Agents < 1 {
		return nil, fmt.Errorf("agents must be at least 1")
	}
	if o.Agents < o.Concurrency {
		o.Concurrency = o.Agents
	}
	path := u.Path
	if path == "" || path == "/" {
		path = "/agents/heartbeat"
	}
	target := "http://" + u.Host + path
	hc := Client(u.Host, o.Concurrency)
	auth := ""
	if o.Token != "" {
		auth = "Token " + o.Token
	}
	type state struct {
		ids      []string
		counters []uint64
		body     []byte
		req      *fasthttp.Request
		resp     *fasthttp.Response
	}
	states := make([]*state, o.Concurrency)
	for w := range states {
		st := &state{req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
		for a := w; a < o.Agents; a += o.Concurrency {
			st.ids = append(st.ids, AgentID(o.Prefix, a))
			st.counters = append(st.counters, o.CounterBase)
		}
		st.req.SetRequestURI(target)
		st.req.Header.SetMethod(fasthttp.MethodPost)
		st.req.Header.SetContentType("application/json")
		st.req.Header.Set("User-Agent", "Telegraf/1.39.3 Go/1.26.8")
		if auth != "" {
			st.req.Header.Set("Authorization", auth)
		}
		states[w] = st
	}
	var (
		ackMu sync.Mutex
		ack   *bufio.Writer
	)
	if o.Ack != nil {
		ack = bufio.NewWriterSize(o.Ack, 1<<16)
	}
	res, err := Run(ctx, "heartbeat", o.Load, func(w int, seq int64) (int, error) {
		st := states[w]
		i := int(seq % int64(len(st.ids)))
		st.counters[i]++
		st.body = heartbeatBody(st.body[:0], st.ids[i], st.counters[i], o.ConfigURL)
		st.req.SetBodyRaw(st.body)
		if err := hc.DoTimeout(st.req, st.resp, 30*time.Second); err != nil {
			return 0, err
		}
		code := st.resp.StatusCode()
		if o.Acked != nil && code >= 200 && code < 300 {
			o.Acked.Add(1)
		}
		if ack != nil && code >= 200 && code < 300 {
			ackMu.Lock()
			fmt.Fprintf(ack, "%s %d\n", st.ids[i], st.counters[i])
			ackMu.Unlock()
		}
		return code, nil
	})
	if ack != nil {
		if ferr := ack.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}
	return res, err
}

// Seed sends one heartbeat for each of n agents (as fast as c connections
// allow) so that a tcd holds n agents.
func Seed(ctx context.Context, o HeartbeatOptions) (*Result, error) {
	o.Count = int64(o.Agents)
	o.Duration = MaxDuration
	return Heartbeats(ctx, o)
}
