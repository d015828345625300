package bench

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8000", "http://localhost:8888/x", "http://[::1]:8000"} {
		if _, err := CheckLoopback(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8000", "http://example.com:80", "https://127.0.0.1:8000", "http://127.0.0.1", "127.0.0.1:8000", "http://0.0.0.0:8000"} {
		if _, err := CheckLoopback(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestLoadBounds(t *testing.T) {
	for _, l := range []Load{{}, {Concurrency: 1}, {Concurrency: 1, Duration: 2 * MaxDuration}, {Concurrency: 1, Count: MaxCount + 1}, {Concurrency: MaxConcurrency + 1, Count: 1}} {
		if _, err := Run(context.Background(), "x", l, func(int, int64) (int, error) { return 200, nil }); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}

// Against the baseline endpoint: the count is exact, every acknowledged
// heartbeat is in the ack file, and each agent's counters only grow.
func TestHeartbeatsAckFile(t *testing.T) {
	b, err := StartBaseline()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var acks bytes.Buffer
	r, err := Heartbeats(context.Background(), HeartbeatOptions{URL: b.URL(), Agents: 10, Prefix: "t-", CounterBase: 100,
		Load: Load{Concurrency: 4, Count: 200, Duration: time.Minute}, Ack: &acks})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 200 || r.OK != 200 || r.ErrorCount() != 0 {
		t.Fatalf("%+v", r)
	}
	last := map[string]uint64{}
	n := 0
	sc := bufio.NewScanner(&acks)
	for sc.Scan() {
		id, c, _ := strings.Cut(sc.Text(), " ")
		v, err := strconv.ParseUint(c, 10, 64)
		if err != nil || v <= last[id] || v <= 100 {
			t.Fatalf("line %q after %d", sc.Text(), last[id])
		}
		last[id] = v
		n++
	}
	if n != 200 || len(last) != 10 {
		t.Fatalf("%d acks for %d agents", n, len(last))
	}
	if r.Percentile(50) <= 0 || r.Max() < r.Percentile(99) || !strings.Contains(Report(r, r), "100.0 % of baseline") {
		t.Fatalf("report: %s", Report(r, r))
	}
}
