package e2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// groupRaceRounds is how often each race is run: on PostgreSQL (READ
// COMMITTED) an unserialized check lost within the first few rounds.
const groupRaceRounds = 8

// One rollout per group holds under concurrency: simultaneous starts of
// configs sharing a group (over HTTP, against a real tcd) leave at most one
// of them running; every other start is refused with 409 or, when it asked
// to, queued. Without serializing the check with the insert, PostgreSQL
// let two or more start, each transaction blind to the other's insert.
func TestGroupSiblingStartsRace(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		const n = 6
		for round := 0; round < groupRaceRounds; round++ {
			var ids []string
			for i := 0; i < n; i++ {
				ids = append(ids, twoVersions(t, owner, fmt.Sprintf("r%d-c%d", round, i)).ID)
			}
			must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: fmt.Sprintf("r%d", round), Members: ids}))
			type answer struct {
				queue bool
				ro    tc.Rollout
				err   error
			}
			answers := make([]answer, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range ids {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					// Back to version 1, or a new version staged by the
					// start itself (as config push --rollout does).
					q := i%2 == 1
					req := tc.StartRolloutRequest{Config: ids[i], To: 1, Queue: q}
					if i%3 == 2 {
						req.To, req.TOML = 0, ptr(memberTOML("three"))
					}
					ro, err := owner.StartRollout(bg, req)
					answers[i] = answer{q, ro, err}
				}(i)
			}
			close(start)
			wg.Wait()
			active := 0
			for i, a := range answers {
				switch {
				case a.err != nil && (a.queue || tc.ErrorCode(a.err) != tc.EConflict):
					t.Fatalf("round %d: start of %s (queue %v): %v", round, ids[i], a.queue, a.err)
				case a.err != nil:
					// refused: fine
				case a.ro.State == tc.RolloutRunning:
					active++
				case a.ro.State != tc.RolloutQueued || !a.queue:
					t.Fatalf("round %d: start of %s (queue %v) answered state %s", round, ids[i], a.queue, a.ro.State)
				}
			}
			list := must[tc.List[tc.Rollout]](t)(owner.ListRollouts(bg, "", true, 0))
			var running []string
			for _, ro := range list.Items {
				for _, id := range ids {
					if ro.ConfigID == id && (ro.State == tc.RolloutRunning || ro.State == tc.RolloutPaused) {
						running = append(running, ro.ConfigName+" "+ro.ID)
					}
				}
			}
			if len(running) > 1 || active > 1 {
				t.Fatalf("round %d: %d rollouts of one group's configs run at once (%d starts answered running): %v", round, len(running), active, running)
			}
			if active != 1 || len(running) != 1 {
				t.Fatalf("round %d: no start of the group's configs ran (%d answered running, %v)", round, active, running)
			}
		}
	})
}

// A group create or edit (through the group API or an apply) racing with
// starts of the configs it brings together: either the group holds at most
// one config being rolled out, or the group change is refused (409).
func TestGroupEditStartsRace(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		for round := 0; round < groupRaceRounds; round++ {
			for _, how := range []string{"create", "edit", "apply"} {
				name := fmt.Sprintf("r%d-%s", round, how)
				edit := how != "create"
				x, y := twoVersions(t, owner, name+"-x"), twoVersions(t, owner, name+"-y")
				var g tc.ConfigGroup
				if edit {
					g = must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: name, Members: []string{x.ID}}))
				}
				var (
					wg     sync.WaitGroup
					gerr   error
					starts [2]error
				)
				start := make(chan struct{})
				for i, id := range []string{x.ID, y.ID} {
					wg.Add(1)
					go func(i int, id string) {
						defer wg.Done()
						<-start
						_, starts[i] = owner.StartRollout(bg, tc.StartRolloutRequest{Config: id, To: 1})
					}(i, id)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					both := []string{x.ID, y.ID}
					switch how {
					case "create":
						g, gerr = owner.CreateGroup(bg, tc.GroupRequest{Name: name, Members: both})
					case "edit":
						_, gerr = owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &both})
					case "apply":
						_, gerr = owner.Apply(bg, tc.ApplyRequest{Resources: []tc.Resource{{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfigGroup,
							Metadata: tc.ResourceMetadata{Name: name}, Spec: tc.ResourceSpec{Members: []string{x.Name, y.Name}}}}})
					}
				}()
				close(start)
				wg.Wait()
				if gerr != nil && tc.ErrorCode(gerr) != tc.EConflict {
					t.Fatalf("%s: group change: %v", name, gerr)
				}
				for i, err := range starts {
					if err != nil && tc.ErrorCode(err) != tc.EConflict {
						t.Fatalf("%s: start %d: %v", name, i, err)
					}
				}
				if gerr != nil && !edit {
					continue // no group was created
				}
				together := must[tc.ConfigGroup](t)(owner.GetGroup(bg, g.ID))
				if gerr == nil && len(together.Members) != 2 {
					t.Fatalf("%s: group change answered ok, members %v", name, together.Members)
				}
				if len(together.Members) == 2 && starts[0] == nil && starts[1] == nil {
					t.Fatalf("%s: the group holds %s and %s, both being rolled out", name, x.Name, y.Name)
				}
			}
		}
	})
}

// memberTOML is a config that any number of group members can share (no
// [agent] table, which Telegraf takes once per document).
func memberTOML(release string) string { return "# member release " + release + "\n[[inputs.mem]]\n" }

// twoVersions creates a config at version 2, so that a rollout can go back
// to version 1 without staging a version first.
func twoVersions(t *testing.T, owner *client.Client, name string) tc.Config {
	t.Helper()
	c := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: name, TOML: memberTOML("one")}))
	return must[tc.Config](t)(owner.UpdateConfig(bg, c.ID, tc.UpdateConfigRequest{TOML: ptr(memberTOML("two"))}))
}
