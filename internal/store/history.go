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

// Statistics history has two levels of buckets.
//
// What a read returns is one record per agent and minute (HistoryResolution,
// aligned to the minute): how many heartbeats with statistics came in that
// minute and the sums of their counters, so no count an agent reported is
// lost however often it reports. The agent's current minute — its open
// record — lives in its agents row (hist_slot_ms, hist_n, hist_errors, …;
// migration 15): every heartbeat adds to it in the UPDATE that writes the
// agent anyway. The first heartbeat of a later minute appends the open
// record to agent_history and starts the next (one statement per agent and
// minute, as before; a history cache hit skips it).
//
// Closed records are stored in hourly rows (migration 8): one agent_history
// row per agent and HistoryBucket, holding that stretch's records as text,
// "<ms of the minute after bucket_ms>,<heartbeats>,<errors>,<warnings>,<metrics>;"
// each, appended as they come ("<ms>,<errors>,<warnings>,<metrics>;", one
// heartbeat each, before migration 15). A row never spans more than
// HistoryBucket, so the scheduler prunes by bucket_ms alone (a row that
// started more than the retention plus one bucket ago holds nothing newer
// than the retention), and reads trim the records older than the retention
// that a younger row still holds. Each agent's rows start at an offset of
// its own (a hash of its ID), so a fleet's rows expire spread over the
// hour instead of all at one tick.
const HistoryBucket = time.Hour

const historyBucketMs = int64(HistoryBucket / time.Millisecond)

// historyOffset is where agentID's hourly rows start within the hour.
func historyOffset(agentID string) int64 {
	h := fnv.New32a()
	h.Write([]byte(agentID))
	return int64(h.Sum32()) % historyBucketMs
}

// historyBucketStart is the start of the row of agentID that holds a
// record made at atMs.
func historyBucketStart(agentID string, atMs int64) int64 {
	off := historyOffset(agentID)
	n := atMs - off
	q := n / historyBucketMs
	if n%historyBucketMs < 0 {
		q--
	}
	return q*historyBucketMs + off
}

// historySlot is the start of the minute record a heartbeat at atMs adds to.
func historySlot(atMs int64) int64 {
	res := HistoryResolution.Milliseconds()
	s := atMs - atMs%res
	if atMs%res < 0 {
		s -= res
	}
	return s
}

// SQL of the statement that closes an open record: where it goes (the row
// of its minute, given the agent's offset) and its text. Both take the
// open record's minute as "a.hist_slot_ms" and the offset as "v.off".
const (
	historyIntoBucket = `((a.hist_slot_ms - v.off) % 3600000 + 3600000) % 3600000`
	historySampleSQL  = `CAST(` + historyIntoBucket + ` AS TEXT) || ',' || CAST(a.hist_n AS TEXT) || ',' || CAST(a.hist_errors AS TEXT) || ',' ||
		CAST(a.hist_warnings AS TEXT) || ',' || CAST(a.hist_metrics AS TEXT) || ';'`
	maxCounterSQL = "9007199254740991" // tc.MaxCounter
)

// appendHistorySample encodes one closed record of a bucket row (the
// statements build the same text in SQL; tests use this).
func appendHistorySample(b []byte, bucketMs, slotMs, heartbeats, errors, warnings, metrics int64) []byte {
	b = strconv.AppendInt(b, slotMs-bucketMs, 10)
	for _, v := range [...]int64{heartbeats, errors, warnings, metrics} {
		b = append(b, ',')
		b = strconv.AppendInt(b, v, 10)
	}
	return append(b, ';')
}

// historySample is one decoded record: heartbeats counted in
// [startMs, endMs).
type historySample struct {
	startMs, endMs            int64
	heartbeats                int64
	errors, warnings, metrics int64
}

// parseHistorySamples decodes a bucket row's records.
func parseHistorySamples(bucketMs int64, text string, out []historySample) ([]historySample, error) {
	for text != "" {
		rec, rest, _ := strings.Cut(text, ";")
		text = rest
		if rec == "" {
			continue
		}
		fields := strings.Split(rec, ",")
		if len(fields) != 4 && len(fields) != 5 {
			return out, fmt.Errorf("statistics history bucket %d: bad record %q", bucketMs, rec)
		}
		var v [5]int64
		for i, f := range fields {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return out, fmt.Errorf("statistics history bucket %d: bad record %q", bucketMs, rec)
			}
			v[i] = n
		}
		at := bucketMs + v[0]
		if len(fields) == 4 { // one heartbeat, before migration 15
			out = append(out, historySample{startMs: at, endMs: at, heartbeats: 1, errors: v[1], warnings: v[2], metrics: v[3]})
			continue
		}
		out = append(out, historySample{startMs: at, endMs: at + HistoryResolution.Milliseconds(), heartbeats: v[1],
			errors: v[2], warnings: v[3], metrics: v[4]})
	}
	return out, nil
}

// selectHistory picks what a history read returns from all of an agent's
// records: those overlapping [fromMs, toMs] that did not start before
// keepAfterMs, plus the newest record of all (always kept) if it overlaps
// [fromMs, toMs]; the newest limit of them, oldest first.
func selectHistory(all []historySample, fromMs, toMs, keepAfterMs int64, limit int) []tc.HeartbeatRecord {
	sort.SliceStable(all, func(i, j int) bool { return all[i].startMs < all[j].startMs })
	var keep []historySample
	for i, r := range all {
		overlaps := r.startMs <= toMs && (r.endMs > fromMs || r.startMs >= fromMs)
		if !overlaps || (r.startMs < keepAfterMs && i != len(all)-1) {
			continue
		}
		keep = append(keep, r)
	}
	if limit > 0 && len(keep) > limit {
		keep = keep[len(keep)-limit:]
	}
	out := make([]tc.HeartbeatRecord, len(keep))
	for i, r := range keep {
		out[i] = tc.HeartbeatRecord{Time: msTime(r.startMs), Start: msTime(r.startMs), End: msTime(r.endMs), Heartbeats: r.heartbeats,
			Statistics: tc.Statistics{Errors: counter(r.errors), Warnings: counter(r.warnings), Metrics: counter(r.metrics)}}
	}
	return out
}

// counter reads a stored count: values from before migration 15 may lie
// beyond tc.MaxCounter (or have wrapped below zero).
func counter(v int64) uint64 {
	if v < 0 || v > tc.MaxCounter {
		return tc.MaxCounter
	}
	return uint64(v)
}
