package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Attack: GET /metrics is public (unless --metrics-auth) and every scrape
// counted the agents in the database (tcd_agents, tcd_agents_exposed: a
// scan of the agents table each). A flood of unauthenticated scrapes while
// those counts are slow (100,000 agents; here the table is locked, so the
// result does not depend on the machine's speed) held every pooled
// connection, and an administrator's request waited behind them. Now
// concurrent scrapes share one count per gauge: the flood occupies at most
// one connection per gauge and the API still answers.
func TestMetricsFloodSharesOneCount(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	d := testutil.StartTCD(t, dsn)
	owner := d.Setup(t)
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
	if s, _ := postHeartbeat(t, d, "Bearer "+tok, hbBody("flood-1", 1)); s != 200 {
		t.Fatal(s)
	}
	must[tc.List[tc.Config]](t)(owner.ListConfigs(bg, client.ConfigFilter{})) // the session is cached

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.BeginTx(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback() //nolint:errcheck // released below; this is for a failure
	if _, err := lock.Exec("LOCK TABLE agents IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := lock.QueryRow("SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	waiting := func() int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const scrapers = 24 // more than the 16 connections of tcd's pool
	var wg sync.WaitGroup
	codes := make(chan int, scrapers)
	for i := 0; i < scrapers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(d.URL + "/metrics")
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	for waiting() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the other scrapes pile up
	blocked := waiting()

	// An administrator's request that does not touch the locked table.
	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	_, apiErr := owner.ListConfigs(ctx, client.ConfigFilter{})
	cancel()
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(codes)
	if blocked > 4 { // tcd_agents, tcd_agents_exposed, tc_agents_config_state, tc_rollouts
		t.Errorf("%d database connections counted for %d concurrent scrapes, want at most 4 (one per gauge counted in the database)", blocked, scrapers)
	}
	if apiErr != nil {
		t.Errorf("the API did not answer during the flood: %v", apiErr)
	}
	for c := range codes {
		if c != 200 {
			t.Errorf("a scrape answered %d", c)
		}
	}
	if fams, _ := scrape(t, d, ""); value(fams, "tcd_agents", map[string]string{"status": tc.StatusOK}) != 1 {
		t.Errorf("tcd_agents{status=ok} after the flood: %v", value(fams, "tcd_agents", map[string]string{"status": tc.StatusOK}))
	}
}

// A count is reused for a second (on tcd's clock): however many scrapes
// arrive, the database counts at most once a second per gauge; a second
// later the count is fresh.
func TestMetricsCountsReusedForASecond(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
		ok := func() float64 {
			fams, s := scrape(t, d, "")
			if s != 200 {
				t.Fatalf("scrape: %d", s)
			}
			return value(fams, "tcd_agents", map[string]string{"status": tc.StatusOK})
		}
		if s, _ := postHeartbeat(t, d, "Bearer "+tok, hbBody("r-1", 1)); s != 200 {
			t.Fatal(s)
		}
		if n := ok(); n != 1 {
			t.Fatalf("tcd_agents{status=ok} = %v, want 1", n)
		}
		if s, _ := postHeartbeat(t, d, "Bearer "+tok, hbBody("r-2", 1)); s != 200 {
			t.Fatal(s)
		}
		for i := 0; i < 20; i++ {
			if n := ok(); n != 1 {
				t.Fatalf("scrape %d within the second counted again: %v", i, n)
			}
		}
		d.Clock.Advance(time.Second)
		if n := ok(); n != 2 {
			t.Fatalf("tcd_agents{status=ok} a second later = %v, want 2", n)
		}
	})
}

// Attack: the heartbeat listener's requests were timed under a method
// label that was a view of fasthttp's request buffer (that listener does
// not copy request strings): the next request on the connection rewrote
// the labels of series already created ("POST" read "GETT", "DELETE"
// "GETETE"), anyone reaching the port could rename or merge another
// request's series, and the race detector saw the write. Each method
// must keep its own series with exactly its requests.
func TestMetricsMethodLabelsSurviveKeepAlive(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(d.HeartbeatURL(), "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	methods := []string{"POST", "GET", "DELETE", "OPTIONS", "PATCH", "PUT"}
	sent := map[string]float64{}
	for round := 0; round < 5; round++ {
		for _, m := range methods {
			path := "/health"
			if m == "POST" {
				path = "/agents/heartbeat"
			}
			fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: tcd\r\nContent-Length: 0\r\n\r\n", m, path)
			req, _ := http.NewRequest(m, path, nil)
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			sent[m]++
		}
	}
	fams, _ := scrape(t, d, "")
	f := fams["tcd_http_request_duration_seconds"]
	if f == nil {
		t.Fatal("tcd_http_request_duration_seconds is missing (duplicate series?)")
	}
	got := map[string]float64{}
	for _, m := range f.Metric {
		var listener, method string
		for _, lp := range m.Label {
			switch lp.GetName() {
			case "listener":
				listener = lp.GetValue()
			case "method":
				method = lp.GetValue()
			}
		}
		if listener == "heartbeat" {
			got[method] += float64(m.Histogram.GetSampleCount())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(sent) {
		t.Fatalf("heartbeat listener requests by method label: %v, want %v", got, sent)
	}
}

// A gzip scrape (what Prometheus sends) allocated a new gzip.Writer, about
// 800 KB of compressor state, on a public route: five times an identity
// scrape. Writers are now reused, so compressing costs little more than
// not compressing.
func TestMetricsGzipScrapeAllocatesLittle(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	allocated := func() float64 {
		fams, _ := scrape(t, d, "")
		return value(fams, "go_memstats_alloc_bytes_total", nil)
	}
	perScrape := func(encoding string) float64 {
		const n = 100
		cl := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		before := allocated()
		for i := 0; i < n; i++ {
			req, _ := http.NewRequest("GET", d.URL+"/metrics", nil)
			if encoding != "" {
				req.Header.Set("Accept-Encoding", encoding)
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Content-Encoding"); got != encoding {
				t.Fatalf("Content-Encoding %q, want %q", got, encoding)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return (allocated() - before) / (n + 1)
	}
	perScrape("gzip") // the first takes a writer from an empty pool
	plain, gz := perScrape(""), perScrape("gzip")
	t.Logf("allocated per scrape: %.0f bytes, %.0f with gzip", plain, gz)
	// Under -race sync.Pool drops a quarter of what is put back: about
	// 250 KB more per gzip scrape there, none without.
	if gz-plain > 512<<10 {
		t.Fatalf("a gzip scrape allocates %.0f bytes more than an identity one, want at most 512 KiB", gz-plain)
	}
}
