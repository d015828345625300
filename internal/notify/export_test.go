package notify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// ReadRowByRow makes s read not_reporting rules' agents row by row, as
// evaluations did before silent.go (the reference its tests compare with).
func ReadRowByRow(s *Service) { s.rowsOnly = true }

// SilentStats returns how many evaluations aggregated the silent fleet
// all from the tick's rows, carried over from the tick's rows or from their
// own statement, refused to carry over, and from scratch.
func SilentStats(s *Service) (tickAll, tickCarried, carried, carriedNot, full int) {
	st := s.silentStats
	return st.tickAll, st.tickCarried, st.carried, st.carriedNot, st.full
}

// SetSilentWalkMin changes the group size from which the agents a
// not_reporting group names are found walking the primary key; it returns
// a function that restores it.
func SetSilentWalkMin(n int64) (restore func()) {
	old := silentWalkMin
	silentWalkMin = n
	return func() { silentWalkMin = old }
}

// SetSilentAllMasksMax changes the number of silent agents above which
// the scheduler's tick reads only the masks of agents whose bucket grew.
func SetSilentAllMasksMax(s *Service, n int) { s.silentAllMasksMax = n }

// ObserveNotReporting runs the reads of one evaluation at now and describes
// what every not_reporting rule observed, with the agents each group
// names.
func ObserveNotReporting(t *testing.T, s *Service, now time.Time, tick *Tick) string {
	t.Helper()
	ctx := context.Background()
	var rules []ruleRow
	if err := s.st.Gorm(ctx).Where("enabled").Order("name").Find(&rules).Error; err != nil {
		t.Fatal(err)
	}
	e := &evalCtx{now: now, nowMs: now.UnixMilli(), groups: map[string]map[string]*groupRow{}, newGroups: map[*groupRow]bool{}, delMembers: map[string][]string{}}
	if err := s.loadEvalState(ctx, e, rules); err != nil {
		t.Fatal(err)
	}
	if err := s.observeSilent(ctx, e, rules, tick); err != nil {
		t.Fatal(err)
	}
	if (e.silent == nil) != s.rowsOnly {
		t.Fatalf("aggregates used: %v, row by row: %v", e.silent != nil, s.rowsOnly)
	}
	var err error
	if e.fleet, err = s.loadFleet(ctx, e, rules); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range rules {
		r := &rules[i]
		obs, err := s.observeCondition(ctx, e, r)
		if err != nil {
			t.Fatal(err)
		}
		values := make([]string, 0, len(obs))
		for v := range obs {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			o := obs[v]
			items := o.items
			if o.lazy {
				if items, err = s.silentItems(ctx, e, r, v, o.n); err != nil {
					t.Fatal(err)
				}
			}
			fmt.Fprintf(&b, "%s %q: n=%d start=%d items=%v\n", r.Name, v, o.n, o.startMs, items)
		}
	}
	return b.String()
}
