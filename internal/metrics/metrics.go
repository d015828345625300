// Package metrics holds tcd's Prometheus metrics, registered on a registry
// of its own and exposed at GET /metrics in Prometheus' exposition formats.
package metrics

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Metrics is every metric tcd exports.
type Metrics struct {
	Registry *prometheus.Registry
	// Now is the clock of the counts' reuse (see countCache); time.Now
	// unless set before the first scrape.
	Now func() time.Time

	HeartbeatsAccepted prometheus.Counter
	HeartbeatsRejected *prometheus.CounterVec // reason
	BatchSize          prometheus.Histogram
	CommitSeconds      prometheus.Histogram
	HTTPSeconds        *prometheus.HistogramVec
	SchedulerSeconds   prometheus.Histogram
	SchedulerChanges   *prometheus.CounterVec // change: not_reporting, deleted, pruned
	// HeartbeatUnknownFields counts accepted heartbeats by field tcd does
	// not know (field names capped by the heartbeat listener).
	HeartbeatUnknownFields *prometheus.CounterVec // field
	// HeartbeatDroppedValues counts accepted heartbeats by known field
	// whose value was dropped or clamped to tcd's bounds.
	HeartbeatDroppedValues *prometheus.CounterVec // field
}

// New creates and registers the metrics.
func New(version, commit string) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Now:      time.Now,
		HeartbeatsAccepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "tcd_heartbeats_accepted_total",
			Help: "Heartbeats committed and answered 2xx."}),
		HeartbeatsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tcd_heartbeats_rejected_total",
			Help: "Heartbeats refused, by reason (unauthorized, forbidden, invalid, too_large, unavailable, internal)."}, []string{"reason"}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tcd_heartbeat_batch_size",
			Help: "Heartbeats per group-commit transaction.", Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}}),
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tcd_heartbeat_commit_seconds",
			Help: "Time from the start of a group-commit transaction until it is durable (on disk), which is when its heartbeats are answered.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		HTTPSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tcd_http_request_duration_seconds",
			Help: "HTTP request latency by listener, method, route and status.", Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14)},
			[]string{"listener", "method", "route", "status"}),
		SchedulerSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tcd_scheduler_tick_seconds",
			Help: "Duration of one reporting-rules evaluation.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		SchedulerChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tcd_scheduler_changes_total",
			Help: "Agents marked not_reporting, agents auto-deleted and history records pruned."}, []string{"change"}),
		HeartbeatUnknownFields: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tcd_heartbeat_unknown_fields_total",
			Help: "Accepted heartbeats carrying a field tcd does not know (ignored), by field: \"name\", \"statistics.name\" or \"logs.name\"; names beyond the first 100 count as \"other\"."}, []string{"field"}),
		HeartbeatDroppedValues: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tcd_heartbeat_dropped_values_total",
			Help: "Accepted heartbeats with a value dropped or clamped to tcd's bounds (wrong type, time outside 1970-9999, counter out of range), by field."}, []string{"field"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tcd_build_info", Help: "tcd's version; always 1."},
		[]string{"version", "commit", "goversion"})
	build.WithLabelValues(version, commit, runtime.Version()).Set(1)
	r.MustRegister(m.HeartbeatsAccepted, m.HeartbeatsRejected, m.BatchSize, m.CommitSeconds,
		m.HTTPSeconds, m.SchedulerSeconds, m.SchedulerChanges, m.HeartbeatUnknownFields, m.HeartbeatDroppedValues, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, reason := range []string{"unauthorized", "forbidden", "invalid", "too_large", "unavailable", "internal"} {
		m.HeartbeatsRejected.WithLabelValues(reason)
	}
	return m
}

// CounterFunc registers a counter read at scrape time.
func (m *Metrics) CounterFunc(name, help string, labels prometheus.Labels, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Gauge registers a gauge read at scrape time.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// RegisterAgentsByStatus adds tcd_agents{status=…}, counted at scrape
// time (a count is shared and reused: see countCache).
func (m *Metrics) RegisterAgentsByStatus(statuses []string, count func(ctx context.Context) (map[string]int, error)) {
	m.RegisterCounts("tcd_agents", "Agents by status.", "status", statuses, count)
}

// RegisterAgentsExposed adds tcd_agents_exposed{severity=…}, counted at
// scrape time: agents to which an unacknowledged security advisory
// applies, each under the highest severity among them.
func (m *Metrics) RegisterAgentsExposed(severities []string, count func(ctx context.Context) (map[string]int, error)) {
	m.RegisterCounts("tcd_agents_exposed", "Agents to which an unacknowledged security advisory applies, by the highest severity among them.",
		"severity", severities, count)
}

// RegisterCounts adds a gauge name{label=…} over fixed label values,
// counted at scrape time (e.g. tc_rollouts{state=…}); the count is shared
// and reused (countCache), which its help is made to say.
func (m *Metrics) RegisterCounts(name, help, label string, values []string, count func(ctx context.Context) (map[string]int, error)) {
	m.Registry.MustRegister(&statusCollector{desc: prometheus.NewDesc(name, help+" "+countHelp, []string{label}, nil), statuses: values,
		counts: countCache{now: func() time.Time { return m.Now() }, count: count}})
}

// countHelp ends the help of every gauge of RegisterCounts.
const countHelp = "Counted in the database when scraped; concurrent scrapes share one count, which is reused for 1 s or ten times as long as it took, whichever is longer (at most a minute)."

// Reuse bounds of countCache.
const (
	countReuseMin    = time.Second
	countReuseFactor = 10
	countReuseMax    = time.Minute
)

// countCache runs a database count for GET /metrics, which is public
// unless --metrics-auth: without it every scrape ran its own count (a
// scan of the agents at 100,000 or 1,000,000 agents), so a flood of
// unauthenticated scrapes held every pooled connection and starved
// heartbeats and the API. Concurrent scrapes now wait for the one count
// in progress and share it, and a result (a failure too) is reused for
// countReuseMin or countReuseFactor times as long as the count took,
// whichever is longer (at most countReuseMax; a failure at most
// countReuseMin): counting then occupies at most one connection, and
// at most about a tenth of its time, however many scrapes arrive.
type countCache struct {
	now   func() time.Time
	count func(ctx context.Context) (map[string]int, error)

	mu    sync.Mutex // held while counting: the others wait and share
	until time.Time
	n     map[string]int
	err   error
}

func (c *countCache) get() (map[string]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.now()
	if start.Before(c.until) {
		return c.n, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.n, c.err = c.count(ctx)
	reuse := min(max(countReuseMin, countReuseFactor*c.now().Sub(start)), countReuseMax)
	if c.err != nil {
		reuse = countReuseMin
	}
	c.until = c.now().Add(reuse)
	return c.n, c.err
}

type statusCollector struct {
	desc     *prometheus.Desc
	statuses []string
	counts   countCache
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.counts.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range c.statuses {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}

// FiberHandler serves GET /metrics, written straight into fiber's response
// rather than through the net/http adaptor (which runs the handler on a
// goroutine of its own). It answers like promhttp with ContinueOnError:
// the format is negotiated from Accept (text format 0.0.4 unless the
// scraper asks for protobuf), the body is gzip-compressed when
// Accept-Encoding offers gzip, and metrics whose collection failed are
// left out while the rest are served; 500 only when nothing was gathered.
func (m *Metrics) FiberHandler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		mfs, err := m.Registry.Gather()
		if err != nil && len(mfs) == 0 {
			return fiber.NewError(fiber.StatusInternalServerError, "gathering metrics failed: "+err.Error())
		}
		h := http.Header{}
		h.Set("Accept", c.Get(fiber.HeaderAccept))
		format := expfmt.Negotiate(h)
		c.Set(fiber.HeaderContentType, string(format))
		var w io.Writer = c.Response().BodyWriter()
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			gz := gzipWriters.Get().(*gzip.Writer)
			gz.Reset(w)
			defer func() {
				_ = gz.Close()
				gz.Reset(nil)
				gzipWriters.Put(gz)
			}()
			w = gz
		}
		c.Vary(fiber.HeaderAcceptEncoding)
		enc := expfmt.NewEncoder(w, format)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				return err
			}
		}
		if cl, ok := enc.(expfmt.Closer); ok {
			return cl.Close()
		}
		return nil
	}
}

// gzipWriters are reused (as promhttp does): a new gzip.Writer allocates
// about 800 KB of compressor state, five times what a whole scrape
// otherwise allocates, on a route anyone may call.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// acceptsGzip reports whether an Accept-Encoding value offers gzip with a
// non-zero quality (RFC 9110 §12.5.3).
func acceptsGzip(v string) bool {
	for _, part := range strings.Split(v, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// Middleware times every request of a fiber app by its route pattern.
func (m *Metrics) Middleware(listener string) fiber.Handler {
	// The histogram of each (route, method, status) is looked up once:
	// hashing four label values on every request costs the hot paths
	// (config polls, heartbeats) more than observing.
	type key struct {
		route  *fiber.Route
		method string
		status int
	}
	var observers sync.Map // key → prometheus.Observer
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			// Answer the error now so the status observed is the one sent.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		// Unmatched requests share one key (fiber may make up a route
		// for them): the map stays as small as the label sets.
		r := c.Route()
		if r != nil && (r.Path == "/" || r.Path == "") {
			r = nil
		}
		k := key{r, c.Method(), status}
		o, ok := observers.Load(k)
		if !ok {
			// Without fiber's Immutable (the heartbeat listener) the
			// method is a view of fasthttp's request buffer, which the
			// connection's next request overwrites: the key and the label
			// keep a copy.
			k.method = strings.Clone(k.method)
			route := "unmatched"
			if r != nil {
				route = r.Path
			}
			o, _ = observers.LoadOrStore(k, m.HTTPSeconds.WithLabelValues(listener, k.method, route, strconv.Itoa(status)))
		}
		o.(prometheus.Observer).Observe(time.Since(start).Seconds())
		return nil
	}
}
