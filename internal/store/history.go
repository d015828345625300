package store

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// Statistics history is stored in buckets (migration 8): one agent_history
// row per agent and HistoryBucket, holding that stretch's records as text,
// "<ms after bucket_ms>,<errors>,<warnings>,<metrics>;" each, appended as
// they come. A bucket never spans more than HistoryBucket, so the scheduler
// prunes by bucket_ms alone (a bucket that started more than the retention
// plus one bucket ago holds nothing newer than the retention), and reads
// trim the records older than the retention that a younger bucket still
// holds. Each agent's buckets start at an offset of its own (a hash of its
// ID), so a fleet's buckets expire spread over the hour instead of all at
// one tick.
const HistoryBucket = time.Hour

const historyBucketMs = int64(HistoryBucket / time.Millisecond)

// SQL text of the history statements: the resolution, and how far back
// a bucket holding a record of the last resolution can start.
var (
	historyResolutionMs = strconv.FormatInt(HistoryResolution.Milliseconds(), 10)
	historyWindow       = strconv.FormatInt(historyBucketMs+HistoryResolution.Milliseconds(), 10)
)

// historyBucketStart is the start of the bucket of agentID that holds a
// record made at atMs.
func historyBucketStart(agentID string, atMs int64) int64 {
	h := fnv.New32a()
	h.Write([]byte(agentID))
	off := int64(h.Sum32()) % historyBucketMs
	n := atMs - off
	q := n / historyBucketMs
	if n%historyBucketMs < 0 {
		q--
	}
	return q*historyBucketMs + off
}

// appendHistorySample encodes one record of a bucket.
func appendHistorySample(b []byte, bucketMs, atMs, errors, warnings, metrics int64) []byte {
	b = strconv.AppendInt(b, atMs-bucketMs, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, errors, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, warnings, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, metrics, 10)
	return append(b, ';')
}

// historySample is one decoded record.
type historySample struct {
	atMs                      int64
	errors, warnings, metrics int64
}

// parseHistorySamples decodes a bucket's records.
func parseHistorySamples(bucketMs int64, text string, out []historySample) ([]historySample, error) {
	for text != "" {
		rec, rest, _ := strings.Cut(text, ";")
		text = rest
		if rec == "" {
			continue
		}
		fields := strings.Split(rec, ",")
		if len(fields) != 4 {
			return out, fmt.Errorf("statistics history bucket %d: bad record %q", bucketMs, rec)
		}
		var v [4]int64
		for i, f := range fields {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return out, fmt.Errorf("statistics history bucket %d: bad record %q", bucketMs, rec)
			}
			v[i] = n
		}
		out = append(out, historySample{atMs: bucketMs + v[0], errors: v[1], warnings: v[2], metrics: v[3]})
	}
	return out, nil
}

// selectHistory picks what a history read returns from all of an agent's
// records: those in [fromMs, toMs] and not older than keepAfterMs, plus
// the newest record of all (always kept) if it lies in [fromMs, toMs];
// the newest limit of them, oldest first.
func selectHistory(all []historySample, fromMs, toMs, keepAfterMs int64, limit int) []tc.HeartbeatRecord {
	sort.Slice(all, func(i, j int) bool { return all[i].atMs < all[j].atMs })
	var keep []historySample
	for i, r := range all {
		if r.atMs < fromMs || r.atMs > toMs || (r.atMs < keepAfterMs && i != len(all)-1) {
			continue
		}
		keep = append(keep, r)
	}
	if limit > 0 && len(keep) > limit {
		keep = keep[len(keep)-limit:]
	}
	out := make([]tc.HeartbeatRecord, len(keep))
	for i, r := range keep {
		out[i] = tc.HeartbeatRecord{Time: msTime(r.atMs), Statistics: tc.Statistics{
			Errors: uint64(r.errors), Warnings: uint64(r.warnings), Metrics: uint64(r.metrics)}}
	}
	return out
}
