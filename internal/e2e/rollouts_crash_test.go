package e2e

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// waitRollout polls until cond holds for the rollout (10 s at most).
func waitRollout(t *testing.T, c *client.Client, id string, what string, cond func(tc.Rollout) bool) tc.Rollout {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var r tc.Rollout
	var err error
	for time.Now().Before(deadline) {
		if r, err = c.GetRollout(bg, id); err == nil && cond(r) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("rollout never %s: %+v (%v)", what, r, err)
	return r
}

// checkServed fetches as every agent and checks the stage's agents (up to
// stage) get release two and the others release one, with an unchanged
// Last-Modified when keep is set.
func checkServed(t *testing.T, f *simFleet, r tc.Rollout, stage int, keep map[string]string) {
	t.Helper()
	in := stageMembers(r, stage)
	for _, a := range f.ids {
		body, lm := f.fetch(a)
		want := "one"
		if in[a] {
			want = "two"
		}
		if versionOf(body) != want {
			t.Errorf("stage %d: %s got %q, want %q", stage+1, a, versionOf(body), want)
		}
		if keep != nil && keep[a] != "" && lm != keep[a] {
			t.Errorf("stage %d: Last-Modified of %s moved across the restart: %s to %s", stage+1, a, keep[a], lm)
		}
	}
}

// Acceptance 3: kill -9 of tcd in the middle of a rollout; after the
// restart the rollout resumes in the same stage (same agents, same
// Last-Modified) and completes.
func TestRolloutSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd as a process and kills it: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		token := "tc-apiv1_5d2e8f0a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
		env := []string{"TC_ROLLOUT_INTERVAL=100ms", "TC_SERVED_FLUSH_INTERVAL=50ms", "TC_KEY_FILE=" + filepath.Join(t.TempDir(), "tcd.key")}
		p := startCrashTCD(t, e.DSN, token, env...)
		owner, _ := client.New(p.api, client.WithToken(token))
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "fleet", Preset: tc.PresetTelegrafAgent}).Raw
		f := fleetAt(t, p.api, p.hb, agentTok, cfg.ID, 6)
		for _, a := range f.ids {
			f.fetch(a)
			f.beat(a, "OK")
		}
		f.flush()
		two, one := rolloutTOML("two"), 1
		r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &two, Heartbeats: &one,
			Stages: []tc.RolloutStage{{Count: 1}, {Percent: 50}, {Percent: 100}}}))
		for a := range stageMembers(r, 0) {
			f.fetch(a)
		}
		f.flush()
		for a := range stageMembers(r, 0) {
			f.beat(a, "OK")
		}
		r = waitRollout(t, owner, r.ID, "reached stage 2", func(r tc.Rollout) bool { return r.Stage == 1 })
		checkServed(t, f, r, 1, nil)
		seen := map[string]string{}
		for k, v := range f.lm {
			seen[k] = v
		}

		p.kill(t) // kill -9 in stage 2, before its agents reported
		p = startCrashTCD(t, e.DSN, token, env...)
		f.api, f.hb = p.api, p.hb
		owner, _ = client.New(p.api, client.WithToken(token))
		after := must[tc.Rollout](t)(owner.GetRollout(bg, r.ID))
		if after.State != tc.RolloutRunning || after.Stage != 1 {
			t.Fatalf("after the restart: stage %d %s, want stage 2 running", after.Stage+1, after.State)
		}
		if len(stageMembers(after, 1)) != len(stageMembers(r, 1)) {
			t.Fatalf("stage members changed across the restart")
		}
		checkServed(t, f, after, 1, seen)
		f.flush()
		for a := range stageMembers(after, 1) {
			f.beat(a, "OK")
		}
		r = waitRollout(t, owner, r.ID, "reached stage 3", func(r tc.Rollout) bool { return r.Stage == 2 })
		for _, a := range f.ids {
			f.fetch(a)
		}
		f.flush()
		for _, a := range f.ids {
			f.beat(a, "OK")
		}
		waitRollout(t, owner, r.ID, "completed", func(r tc.Rollout) bool { return r.State == tc.RolloutCompleted })
		p.stop(t)
	})
}

// Acceptance 3: on a two-node cluster only the leader advances a rollout,
// both nodes serve by stage, and kill -9 of the leader hands the rollout
// over to the other node, which completes it.
func TestRolloutLeaderHandover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd processes")
	}
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	keyFile := "TC_KEY_FILE=" + filepath.Join(t.TempDir(), "tcd.key")
	env := []string{"TC_ROLLOUT_INTERVAL=100ms", "TC_SERVED_FLUSH_INTERVAL=50ms", keyFile}
	nodes := []*node{startNode(t, dsn, env...)}
	nodes[0].waitReady(t) // the first node migrates and creates the key file
	nodes = append(nodes, startNode(t, dsn, env...))
	nodes[1].waitReady(t)
	var leader *node
	for deadline := time.Now().Add(10 * time.Second); leader == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if l := leaders(nodes); len(l) == 1 {
			leader = l[0]
		}
	}
	if leader == nil {
		t.Fatal("no leader")
	}
	other := nodes[0]
	if other == leader {
		other = nodes[1]
	}
	anon, _ := client.New(other.api)
	lr, err := anon.Login(bg, tc.LoginRequest{Username: "root", Password: "rootpass1"})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := client.New(other.api, client.WithToken(lr.Token))
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
	agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "fleet", Preset: tc.PresetTelegrafAgent}).Raw
	// The agents talk to the node that survives; rollout state reaches it
	// over the cache bus.
	f := fleetAt(t, other.api, other.hb, agentTok, cfg.ID, 4)
	for _, a := range f.ids {
		f.fetch(a)
		f.beat(a, "OK")
	}
	f.flush()
	two, one := rolloutTOML("two"), 1
	r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &two, Heartbeats: &one,
		Stages: []tc.RolloutStage{{Count: 1}, {Percent: 50}, {Percent: 100}}}))
	for a := range stageMembers(r, 0) {
		f.fetch(a)
	}
	f.flush()
	for a := range stageMembers(r, 0) {
		f.beat(a, "OK")
	}
	r = waitRollout(t, owner, r.ID, "reached stage 2 (advanced by the leader)", func(r tc.Rollout) bool { return r.Stage == 1 })
	if ev := r.Events[len(r.Events)-1]; ev.Action != "advance" || ev.Actor != "tcd" {
		t.Fatalf("last event %+v", ev)
	}
	// Both nodes serve by stage: the leader learnt of the rollout started
	// on the other node.
	lf := fleetAt(t, leader.api, leader.hb, agentTok, cfg.ID, 4)
	deadline := time.Now().Add(5 * time.Second)
	for {
		in := stageMembers(r, 1)
		bad := ""
		for _, a := range lf.ids {
			body, _ := lf.fetch(a)
			if (versionOf(body) == "two") != in[a] {
				bad = a
			}
		}
		if bad == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leader serves %s by another stage", bad)
		}
		time.Sleep(100 * time.Millisecond)
	}

	leader.cmd.Process.Signal(syscall.SIGKILL)
	<-leader.exited
	checkServed(t, f, r, 1, nil)
	f.flush()
	for a := range stageMembers(r, 1) {
		f.beat(a, "OK")
	}
	r = waitRollout(t, owner, r.ID, "reached stage 3 on the new leader", func(r tc.Rollout) bool { return r.Stage == 2 })
	for _, a := range f.ids {
		f.fetch(a)
	}
	f.flush()
	for _, a := range f.ids {
		f.beat(a, "OK")
	}
	waitRollout(t, owner, r.ID, "completed on the new leader", func(r tc.Rollout) bool { return r.State == tc.RolloutCompleted })
	if !other.isLeader() {
		t.Errorf("the surviving node is not the leader")
	}
}
