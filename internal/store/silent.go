package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// SilentSpec asks for the silent fleet aggregated the way notification
// rules read it (internal/notify, docs/performance.md "Notifications"):
// agents silent past their reporting rule's threshold plus each of ForS
// seconds, counted by bucket and by a bit mask of the labels and config
// scopes they carry.
type SilentSpec struct {
	// ForS are the minimum durations (s), ascending and distinct.
	ForS []int64
	// Labels are the label IDs of mask bits 0, 1, …; ConfigScopes the
	// bits after them: set when the agent's reported configurations
	// contain one of the fragments ("configId":"…").
	Labels       []string
	ConfigScopes [][]string
	// AllMasks reads every silent agent's mask, not only those whose
	// bucket grew: the rows are then the whole silent fleet by themselves.
	AllMasks bool
}

// SilentRow is one row of SilentFleet: N agents in bucket BNow now and
// BPrev at the previous time (bucket b: silent past ForS[b-1], 0: not
// silent), with MinStart the earliest time one of them turned silent
// (last heartbeat plus threshold) and SumSeen the sum of their last
// heartbeats. Mask is the agents' label mask where BNow > BPrev (or
// everywhere with SilentSpec.AllMasks) and -1 elsewhere (not read: the
// caller knows them already).
type SilentRow struct {
	BNow, BPrev, Mask, N, MinStart, SumSeen int64
}

// SilentFleet aggregates the silent fleet at nowMs against prevMs (0: no
// previous time, every silent agent's mask is read). One scan of the
// agents table; the labels of the agents whose bucket grew come from their
// rows' label_set (migration 46), or — while a label ID holds a comma —
// are looked up in agent_labels by primary key.
//
// version is fleet_changes as read just before the rows: the rows reflect
// every change it counts (and maybe later ones).
func (s *Store) SilentFleet(ctx context.Context, spec *SilentSpec, prevMs, nowMs int64) (rows []SilentRow, version int64, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		var err error
		rows, version, err = tx.silentFleet(ctx, spec, prevMs, nowMs)
		return err
	})
	return rows, version, err
}

func (s *Store) silentFleet(ctx context.Context, spec *SilentSpec, prevMs, nowMs int64) ([]SilentRow, int64, error) {
	db := s.db.WithContext(ctx)
	var version int64
	if err := db.Raw("SELECT version FROM fleet_changes WHERE id = 1").Scan(&version).Error; err != nil {
		return nil, 0, err
	}
	if s.dialect == Postgres {
		// The estimates of these expressions are guesses; compiling the
		// plan costs more than running it.
		if err := db.Exec("SET LOCAL jit = off").Error; err != nil {
			return nil, 0, err
		}
	}
	var args []any
	bucket := func(at int64) string {
		var b strings.Builder
		b.WriteString("CASE")
		for i := len(spec.ForS) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, " WHEN a.last_seen_ms < ? - (rr.not_reporting_after + %d) * 1000 THEN %d", spec.ForS[i], i+1)
			args = append(args, at)
		}
		b.WriteString(" ELSE 0 END")
		return b.String()
	}
	bNow, bPrev := bucket(nowMs), bucket(prevMs)
	grew := "1 = 1"
	if !spec.AllMasks {
		grew = bNow + " > " + bPrev
		// The mask's CASE repeats both bucket expressions and their arguments.
		args = append(args, args...)
	}
	var mask []string
	bySet := false
	if len(spec.Labels) > 0 {
		// agents.label_set (migration 46) answers from the row the scan
		// reads anyway, unless a label ID holds its separator.
		var commas int64
		if err := db.Raw("SELECT COUNT(*) FROM labels WHERE " + instrSQL[s.dialect] + "(id, ',') > 0").Scan(&commas).Error; err != nil {
			return nil, 0, err
		}
		bySet = commas == 0
	}
	if bySet {
		var b strings.Builder
		for i, id := range spec.Labels {
			if i > 0 {
				b.WriteString(" + ")
			}
			fmt.Fprintf(&b, "CASE WHEN %s(a.label_set, ?) > 0 THEN %d ELSE 0 END", instrSQL[s.dialect], int64(1)<<i)
			args = append(args, ","+id+",")
		}
		mask = append(mask, b.String())
	} else if len(spec.Labels) > 0 {
		var b strings.Builder
		b.WriteString("(SELECT COALESCE(SUM(CASE g.label_id")
		for i, id := range spec.Labels {
			fmt.Fprintf(&b, " WHEN ? THEN %d", int64(1)<<i)
			args = append(args, id)
		}
		b.WriteString(" ELSE 0 END), 0) FROM agent_labels g WHERE g.agent_id = a.id AND g.label_id IN ?)")
		args = append(args, spec.Labels)
		mask = append(mask, b.String())
	}
	for i, frags := range spec.ConfigScopes {
		var or []string
		for _, f := range frags {
			or = append(or, instrSQL[s.dialect]+"(a.configurations, ?) > 0")
			args = append(args, f)
		}
		if len(or) == 0 {
			continue
		}
		mask = append(mask, fmt.Sprintf("CASE WHEN %s THEN %d ELSE 0 END", strings.Join(or, " OR "), int64(1)<<(len(spec.Labels)+i)))
	}
	if len(mask) == 0 {
		mask = []string{"0"}
	}
	q := `SELECT b_now, b_prev, mask, COUNT(*), MIN(start_ms), CAST(SUM(last_seen_ms) AS BIGINT)
		FROM (SELECT ` + bNow + ` AS b_now, ` + bPrev + ` AS b_prev,
				CASE WHEN ` + grew + ` THEN ` + strings.Join(mask, " + ") + ` ELSE -1 END AS mask,
				a.last_seen_ms + rr.not_reporting_after * 1000 AS start_ms, a.last_seen_ms
			FROM agents a JOIN reporting_rules rr ON rr.id = a.reporting_rule_id
			WHERE a.last_seen_ms < ? - (rr.not_reporting_after + ?) * 1000) s
		GROUP BY b_now, b_prev, mask`
	args = append(args, nowMs, spec.ForS[0])
	out, err := scanSilent(db.Raw(q, args...))
	if err != nil {
		return nil, 0, err
	}
	if s.dialect == Postgres {
		// The rest of a scheduler tick's transaction as before.
		if err := db.Exec("SET LOCAL jit TO DEFAULT").Error; err != nil {
			return nil, 0, err
		}
	}
	return out, version, nil
}

func scanSilent(q *gorm.DB) ([]SilentRow, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SilentRow{} // not nil: the statement ran
	for rows.Next() {
		var r SilentRow
		if err := rows.Scan(&r.BNow, &r.BPrev, &r.Mask, &r.N, &r.MinStart, &r.SumSeen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// instrSQL is the substring-position function of each engine.
var instrSQL = map[string]string{SQLite: "instr", Postgres: "strpos"}

// tickSilent is the scheduler tick's count of agents that turned
// not_reporting since sinceMs, taken from the silent fleet when spec asks
// for it: the same scan answers both (the spec gains a zero minimum
// duration if it lacks one; its rows are returned in the spec's buckets).
func (s *Store) tickSilent(ctx context.Context, spec *SilentSpec, sinceMs, nowMs int64) (int64, []SilentRow, int64, error) {
	full := *spec
	added := len(spec.ForS) == 0 || spec.ForS[0] != 0
	if added {
		full.ForS = append([]int64{0}, spec.ForS...)
	}
	rows, version, err := s.silentFleet(ctx, &full, sinceMs, nowMs)
	if err != nil {
		return 0, nil, 0, err
	}
	var turned int64
	type key struct{ bNow, bPrev, mask int64 }
	merged := map[key]*SilentRow{}
	out := []SilentRow{}
	for _, r := range rows {
		if r.BNow >= 1 && r.BPrev == 0 {
			turned += r.N
		}
		if !added {
			out = append(out, r)
			continue
		}
		r.BNow, r.BPrev = max(r.BNow-1, 0), max(r.BPrev-1, 0)
		if r.BNow == 0 {
			continue
		}
		if r.BNow == r.BPrev && !spec.AllMasks {
			r.Mask = -1
		}
		k := key{r.BNow, r.BPrev, r.Mask}
		if m := merged[k]; m != nil {
			m.N += r.N
			m.MinStart = min(m.MinStart, r.MinStart)
			m.SumSeen += r.SumSeen
			continue
		}
		cp := r
		merged[k] = &cp
	}
	for _, r := range merged {
		out = append(out, *r)
	}
	return turned, out, version, nil
}
