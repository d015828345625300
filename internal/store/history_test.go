package store

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

func TestHistoryBucketStart(t *testing.T) {
	const t0 = int64(1_763_800_000_000)
	offsets := map[int64]bool{}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("agent-%04d", i)
		start := historyBucketStart(id, t0)
		if start > t0 || t0 >= start+historyBucketMs {
			t.Fatalf("%s: bucket %d does not hold %d", id, start, t0)
		}
		// Every record of the bucket's hour maps to it, the next hour to the next one.
		if got := historyBucketStart(id, start+historyBucketMs-1); got != start {
			t.Fatalf("%s: end of bucket maps to %d, want %d", id, got, start)
		}
		if got := historyBucketStart(id, start+historyBucketMs); got != start+historyBucketMs {
			t.Fatalf("%s: next bucket %d", id, got)
		}
		offsets[(start%historyBucketMs)/time.Minute.Milliseconds()] = true
	}
	// A fleet's buckets start spread over the hour, not at one minute.
	if len(offsets) < 55 {
		t.Fatalf("1,000 agents' buckets start in only %d distinct minutes of the hour", len(offsets))
	}
	if got := historyBucketStart("x", 5); got > 5 || 5 >= got+historyBucketMs {
		t.Fatalf("bucket of an early time: %d", got)
	}
}

func TestHistorySamplesRoundTrip(t *testing.T) {
	const bucket = int64(1_763_800_000_000)
	min := HistoryResolution.Milliseconds()
	var b []byte
	b = appendHistorySample(b, bucket, bucket+5*min, 30, 1, 2, 3)
	b = appendHistorySample(b, bucket, bucket+59*min, 1, 0, 0, tc.MaxCounter)
	b = append(b, "3599999,7,8,9;"...) // a record from before migration 15: one heartbeat
	b = append(b, "5,0,0,-1;"...)      // ... whose counter above MaxInt64 wrapped
	got, err := parseHistorySamples(bucket, string(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []historySample{{bucket + 5*min, bucket + 6*min, 30, 1, 2, 3}, {bucket + 59*min, bucket + 60*min, 1, 0, 0, tc.MaxCounter},
		{bucket + 3_599_999, bucket + 3_599_999, 1, 7, 8, 9}, {bucket + 5, bucket + 5, 1, 0, 0, -1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if r := selectHistory(got, 0, math.MaxInt64, 0, 0); r[0].Metrics != tc.MaxCounter {
		t.Fatalf("a wrapped counter reads as %d, want MaxCounter", r[0].Metrics)
	}
	for _, bad := range []string{"1,2,3;", "1,2,3,4,5,6;", "a,1,2,3;", "1,,2,3;"} {
		if _, err := parseHistorySamples(bucket, bad, nil); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestHistorySlot(t *testing.T) {
	min := HistoryResolution.Milliseconds()
	for at, want := range map[int64]int64{0: 0, 1: 0, min - 1: 0, min: min, 5*min + 7: 5 * min, -1: -min} {
		if got := historySlot(at); got != want {
			t.Errorf("historySlot(%d) = %d, want %d", at, got, want)
		}
	}
}

func TestSelectHistory(t *testing.T) {
	min := time.Minute.Milliseconds()
	var all []historySample
	for i := int64(10); i >= 1; i-- { // out of order, as buckets come
		all = append(all, historySample{startMs: i * min, endMs: (i + 1) * min, heartbeats: 2, metrics: i})
	}
	metrics := func(rs []tc.HeartbeatRecord) (out []uint64) {
		for _, r := range rs {
			out = append(out, r.Metrics)
		}
		return out
	}
	for _, c := range []struct {
		from, to, keepAfter int64
		limit               int
		want                string
	}{
		{0, 100 * min, 0, 0, "[1 2 3 4 5 6 7 8 9 10]"},
		{0, 100 * min, 0, 3, "[8 9 10]"},
		{3 * min, 5 * min, 0, 0, "[3 4 5]"},
		{3*min + 1, 5*min - 1, 0, 0, "[3 4]"}, // buckets overlapping [from, to]
		{0, 100 * min, 8 * min, 0, "[8 9 10]"},
		{0, 100 * min, 20 * min, 0, "[10]"}, // all expired: the newest stays
		{0, 5 * min, 20 * min, 0, "[]"},     // ... unless outside [from, to]
	} {
		got := fmt.Sprint(metrics(selectHistory(append([]historySample(nil), all...), c.from, c.to, c.keepAfter, c.limit)))
		if got != c.want && !(c.want == "[]" && got == "[]") {
			t.Errorf("from %d to %d keepAfter %d limit %d: %s, want %s", c.from/min, c.to/min, c.keepAfter/min, c.limit, got, c.want)
		}
	}
	r := selectHistory(all[:1], 0, 100*min, 0, 0)[0]
	if !r.Start.Equal(time.UnixMilli(10*min)) || !r.End.Equal(time.UnixMilli(11*min)) || !r.Time.Equal(r.Start) || r.Heartbeats != 2 {
		t.Fatalf("record %+v", r)
	}
}
