package rollouts

import (
	"hash/maphash"
	"reflect"
	"testing"

	"github.com/opentc/tc/pkg/tc"
)

func withRollout(a *active, members map[string]int) *Service {
	s := &Service{}
	a.members = map[uint64]int32{}
	for id, st := range members {
		a.members[maphash.String(memberSeed, id)] = int32(st)
	}
	s.snap.Store(&snapshot{byConfig: map[string]*active{a.configID: a}})
	return s
}

// Route serves the new version to the stages reached, the old one with a
// newer Last-Modified to a rolled-back stage, and everybody at the last.
func TestRoute(t *testing.T) {
	members := map[string]int{"a": 0, "b": 1, "c": 2}
	type want struct {
		v  int
		lm int64
		ok bool
	}
	cases := []struct {
		name string
		a    active
		got  map[string]want
	}{
		{"stage 2 running", active{configID: "c1", from: 1, to: 2, stage: 1, lmTo: 100},
			map[string]want{"a": {2, 100, true}, "b": {2, 100, true}, "c": {}, "x": {}, "": {}}},
		{"last stage", active{configID: "c1", from: 1, to: 2, stage: 2, all: true, lmTo: 100},
			map[string]want{"a": {2, 100, true}, "c": {2, 100, true}, "x": {2, 100, true}, "": {2, 100, true}}},
		{"stage 2 rolled back", active{configID: "c1", from: 1, to: 2, stage: 1, lmTo: 100, lmBack: 101, rolledBack: true},
			map[string]want{"a": {2, 100, true}, "b": {1, 101, true}, "c": {}, "": {}}},
		{"last stage rolled back", active{configID: "c1", from: 1, to: 2, stage: 2, all: true, lmTo: 100, lmBack: 101, rolledBack: true},
			map[string]want{"a": {2, 100, true}, "c": {1, 101, true}, "x": {1, 101, true}}},
	}
	for _, c := range cases {
		a := c.a
		s := withRollout(&a, members)
		for agent, w := range c.got {
			v, lm, ok := s.Route("c1", agent)
			if (want{v, lm, ok}) != w {
				t.Errorf("%s: Route(%q) = %d %d %v, want %+v", c.name, agent, v, lm, ok, w)
			}
		}
		if _, _, ok := s.Route("other", "a"); ok {
			t.Errorf("%s: another config is routed", c.name)
		}
	}
}

func TestStages(t *testing.T) {
	got, err := ParseStages("1, 10%,agents=a|b,selector=site=x,100%")
	if err != nil {
		t.Fatal(err)
	}
	want := []tc.RolloutStage{{Count: 1}, {Percent: 10}, {Agents: []string{"a", "b"}}, {Selector: "site=x"}, {Percent: 100}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseStages: %+v", got)
	}
	for _, bad := range []string{"0", "-1", "150%", "x", "0%"} {
		if _, err := ParseStages(bad); err == nil {
			t.Errorf("ParseStages(%q) accepted", bad)
		}
	}
	st, err := CheckStages([]tc.RolloutStage{{Count: 1}, {Percent: 50}})
	if err != nil || len(st) != 3 || st[2].Percent != 100 {
		t.Errorf("the last stage is not made 100%%: %+v %v", st, err)
	}
	for _, bad := range [][]tc.RolloutStage{{{Percent: 100}, {Count: 1}}, {{Count: 1, Percent: 5}}, {{}}, {{Selector: "a in (b"}}} {
		if _, err := CheckStages(bad); !tc.IsCode(err, tc.EInvalid) {
			t.Errorf("CheckStages(%+v): %v", bad, err)
		}
	}
	if d, _ := CheckStages(nil); !reflect.DeepEqual(d, DefaultStages()) {
		t.Errorf("default stages: %+v", d)
	}
}

// The hash order is stable and independent of the input order.
func TestHashOrder(t *testing.T) {
	a := hashOrder("cfg", []string{"a", "b", "c", "d", "e"})
	b := hashOrder("cfg", []string{"e", "d", "c", "b", "a"})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%v != %v", a, b)
	}
	if reflect.DeepEqual(a, hashOrder("other", []string{"a", "b", "c", "d", "e"})) && reflect.DeepEqual(a, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("order does not depend on the hash")
	}
}
