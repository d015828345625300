package configs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// The cascades of single writes — a constant that many configs use, a
// config that groups hold, a group's members — are rendered and checked
// before the write's transaction, from the would-be state, so Telegraf's
// parser does not run while SQLite's write lock is held (which stalls
// heartbeats). Inside the transaction the state is compared with the one
// checked; only if another write came in between do the checks run there.
func TestWritesCheckAheadOfTheTransaction(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, _ := newService(t, e.DSN, configs.Options{})
		if _, _, err := svc.SetConstant(bg, "region", "eu", false); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 0; i < 20; i++ {
			c, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: fmt.Sprintf("c%02d", i),
				TOML: fmt.Sprintf("[[inputs.cpu]]\n  name_suffix = \"_%d\"\n  [inputs.cpu.tags]\n    region = \"::{region}\"\n", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		g, err := svc.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: ids[:5]})
		if err != nil {
			t.Fatal(err)
		}
		before := svc.TxChecks()
		if _, _, err := svc.SetConstant(bg, "region", "us", false); err != nil {
			t.Fatal(err)
		}
		toml := "[[inputs.mem]]\n  [inputs.mem.tags]\n    region = \"::{region}\"\n"
		if _, err := svc.UpdateConfig(bg, "root", ids[0], tc.UpdateConfigRequest{TOML: &toml}); err != nil {
			t.Fatal(err)
		}
		members := ids[2:9]
		if _, err := svc.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &members}); err != nil {
			t.Fatal(err)
		}
		if n := svc.TxChecks() - before; n != 0 {
			t.Fatalf("%d serving checks ran inside transactions, want 0", n)
		}
		// A value a config cannot hold is refused before the transaction,
		// naming what would break; nothing changes.
		if _, _, err := svc.SetConstant(bg, "batch", "1000", false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "agent", TOML: "[agent]\n  metric_batch_size = ::{batch}\n"}); err != nil {
			t.Fatal(err)
		}
		mid := svc.TxChecks()
		_, _, err = svc.SetConstant(bg, "batch", "lots", false)
		if !tc.IsCode(err, tc.EConflict) || !strings.Contains(err.Error(), "would not load") {
			t.Fatalf("breaking constant: %v", err)
		}
		if c, _ := svc.GetConstant(bg, "batch"); c.Value != "1000" || svc.TxChecks() != mid {
			t.Fatalf("refused constant: stored %q, %d checks in a transaction", c.Value, svc.TxChecks()-mid)
		}
		// Another write between the check and the transaction: the
		// checks run again inside it, against what is there now.
		configs.SetAheadHook(svc, func() {
			configs.SetAheadHook(svc, nil)
			bad := "[[inputs.disk]]\n  [inputs.disk.tags]\n    region = \"::{region}\"\n    zone = \"::{zone}\"\n"
			// Created through the store-level path of the service: it
			// references an undefined constant zone only once zone is gone.
			if _, _, err := svc.SetConstant(bg, "zone", "z1", false); err != nil {
				t.Error(err)
			}
			if _, err := svc.UpdateConfig(bg, "root", ids[1], tc.UpdateConfigRequest{TOML: &bad}); err != nil {
				t.Error(err)
			}
		})
		mid = svc.TxChecks()
		if _, _, err := svc.SetConstant(bg, "region", "ap", false); err != nil {
			t.Fatal(err)
		}
		if svc.TxChecks() == mid {
			t.Fatal("the state changed between check and transaction, but no check ran inside it")
		}
		if c, _ := svc.GetConstant(bg, "region"); c.Value != "ap" || !contains(c.UsedBy, ids[1]) {
			t.Fatalf("constant after the racing write: %+v", c)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
