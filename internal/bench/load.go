// Package bench is the load generator behind cmd/tcbench and the crash-safety
// test: closed-loop workers that record every request's latency and status.
// It only ever talks to loopback addresses.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds that keep every run finite whatever the flags say.
const (
	MaxDuration    = time.Hour
	MaxCount       = 100_000_000
	MaxConcurrency = 4096
	maxSamples     = 20_000_000 // latency samples kept (80 MB); beyond, counted only
)

// Load is a closed-loop load: Concurrency workers each send one request,
// wait for the answer, and send the next, until Duration passed or Count
// requests were sent (whichever comes first; zero means "no limit of this
// kind", but at least one must be set).
type Load struct {
	Concurrency int
	Duration    time.Duration
	Count       int64
}

func (l Load) check() error {
	switch {
	case l.Concurrency < 1 || l.Concurrency > MaxConcurrency:
		return fmt.Errorf("concurrency must be 1–%d", MaxConcurrency)
	case l.Duration <= 0 && l.Count <= 0:
		return errors.New("give a duration or a count")
	case l.Duration > MaxDuration:
		return fmt.Errorf("duration is at most %s", MaxDuration)
	case l.Count > MaxCount:
		return fmt.Errorf("count is at most %d", MaxCount)
	}
	return nil
}

// Result is what one load run measured.
type Result struct {
	Name     string
	Requests int64
	OK       int64            // 2xx
	Errors   map[string]int64 // by HTTP status, or "transport" for no answer
	Elapsed  time.Duration
	lat      []uint32 // microseconds, sorted after the run
}

// Throughput is successful requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the latency at p (0–100) over all requests.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return time.Duration(r.lat[i]) * time.Microsecond
}

// Max returns the slowest request's latency.
func (r *Result) Max() time.Duration { return r.Percentile(100) }

// ErrorCount is the number of requests that were not 2xx.
func (r *Result) ErrorCount() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// Do sends request seq of worker and returns the HTTP status (0 when there
// was no answer).
type Do func(worker int, seq int64) (status int, err error)

type worker struct {
	lat    []uint32
	ok     int64
	errors map[string]int64
	sent   int64
}

// Run drives the load and returns the measurements.
func Run(ctx context.Context, name string, l Load, do Do) (*Result, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if l.Duration <= 0 {
		l.Duration = MaxDuration
	}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	var issued atomic.Int64
	perWorker := maxSamples / l.Concurrency
	ws := make([]*worker, l.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ws {
		w := &worker{errors: map[string]int64{}, lat: make([]uint32, 0, min(perWorker, 1<<16))}
		ws[i] = w
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for seq := int64(0); ctx.Err() == nil; seq++ {
				if l.Count > 0 && issued.Add(1) > l.Count {
					return
				}
				t0 := time.Now()
				status, err := do(id, seq)
				d := time.Since(t0)
				w.sent++
				if len(w.lat) < perWorker {
					w.lat = append(w.lat, uint32(min(d.Microseconds(), 1<<32-1)))
				}
				switch {
				case err != nil || status == 0:
					w.errors["transport"]++
					if ctx.Err() == nil {
						time.Sleep(10 * time.Millisecond) // nobody listening: do not spin
					}
				case status >= 200 && status < 300:
					w.ok++
				default:
					w.errors[fmt.Sprint(status)]++
				}
			}
		}(i)
	}
	wg.Wait()
	r := &Result{Name: name, Elapsed: time.Since(start), Errors: map[string]int64{}}
	for _, w := range ws {
		r.Requests += w.sent
		r.OK += w.ok
		for k, v := range w.errors {
			r.Errors[k] += v
		}
		r.lat = append(r.lat, w.lat...)
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r, nil
}

// CheckLoopback refuses any URL whose host is not a loopback address: the
// tool is for measuring a tcd on this machine, never for loading others.
func CheckLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%q: only http:// URLs", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%q: tcbench targets only 127.0.0.1 (loopback)", raw)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("%q: give the port", raw)
	}
	u.Host = net.JoinHostPort(host, u.Port())
	return u, nil
}

// Report formats a result as aligned text; baseline may be nil.
func Report(r, baseline *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %10.0f req/s  (%d ok of %d in %s)\n", r.Name, r.Throughput(), r.OK, r.Requests, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-22s p50 %s  p90 %s  p99 %s  max %s\n", "  latency", r.Percentile(50), r.Percentile(90), r.Percentile(99), r.Max())
	if len(r.Errors) > 0 {
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s×%d", k, r.Errors[k])
		}
		fmt.Fprintf(&b, "%-22s %s\n", "  errors", strings.Join(parts, "  "))
	}
	if baseline != nil && baseline.Throughput() > 0 {
		fmt.Fprintf(&b, "%-22s %.1f %% of baseline (%.0f req/s)\n", "  ratio", 100*r.Throughput()/baseline.Throughput(), baseline.Throughput())
	}
	return b.String()
}
