package e2e

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// auditRows reads the audit log straight from the database, oldest first.
func auditRows(t *testing.T, d *testutil.TCD) []store.AuditRow {
	t.Helper()
	var rows []store.AuditRow
	if err := d.Store().Gorm(bg).Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// restoreAudit puts the audit log and the pruning anchor back as they were.
func restoreAudit(t *testing.T, d *testutil.TCD, rows []store.AuditRow, anchor *store.AuditAnchor) {
	t.Helper()
	db := d.Store().Gorm(bg)
	if err := db.Exec("DELETE FROM audit_log").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("DELETE FROM audit_anchor").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInBatches(rows, 100).Error; err != nil {
		t.Fatal(err)
	}
	if anchor != nil {
		if err := db.Create(anchor).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// rehashSHA256 rewrites the chain from row i on as someone with write
// access to the database but without tcd's key would: plain SHA-256 hashes,
// relinked.
func rehashSHA256(t *testing.T, d *testutil.TCD, rows []store.AuditRow, from int) {
	t.Helper()
	prev := rows[from].PrevHash
	for i := from; i < len(rows); i++ {
		e := rows[i].API()
		e.PrevHash, e.KeyID = prev, ""
		e.Hash = e.ComputeHash()
		if err := d.Store().Gorm(bg).Exec("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ?, key_id = '' WHERE seq = ?", e.Actor, e.PrevHash, e.Hash, e.Seq).Error; err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
}

func verifyAudit(t *testing.T, c *client.Client, head string) tc.AuditVerifyReport {
	t.Helper()
	rep, err := c.VerifyAudit(bg, head)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantBad(t *testing.T, what string, rep tc.AuditVerifyReport, seq int64) {
	t.Helper()
	if rep.OK || rep.FirstBadSeq != seq {
		t.Fatalf("%s: verify says ok=%v first bad %d (%s); want entry %d named", what, rep.OK, rep.FirstBadSeq, rep.Reason, seq)
	}
	t.Logf("%s: entry %d: %s", what, rep.FirstBadSeq, rep.Reason)
}

// Issue 15 acceptance 5: with write access to the database but not to the
// key file, `audit verify` finds an entry edited and the chain re-hashed
// with SHA-256, the newest entry dropped (against a head taken before), the
// oldest entry dropped, and a forged entry inserted, each naming the first
// bad sequence number; retention pruning is told from tampering by its
// sealed record; a head logged by tcd is accepted by tcctl.
func TestAuditChainTampering(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		for i := 0; i < 6; i++ {
			must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: fmt.Sprintf("l%d", i)}))
		}
		rep := verifyAudit(t, owner, "")
		if !rep.OK || rep.Entries != 7 || rep.First != 1 {
			t.Fatalf("intact log: %+v", rep)
		}
		head := fmt.Sprintf("%d:%s", rep.Head.Seq, rep.Head.Hash)
		rows := auditRows(t, d)
		for _, r := range rows {
			if r.KeyID != d.Keys().Primary().ID || len(r.Hash) != 64 {
				t.Fatalf("entry %d is not sealed with the primary key: %+v", r.Seq, r)
			}
		}
		// The head tcd logs (it logs the head every minute when it moved;
		// here at start it was empty) is what tcctl takes.
		if !strings.Contains(d.Log.String(), `msg="audit chain head"`) {
			t.Fatal("tcd did not log the chain head")
		}
		profile := filepath.Join(t.TempDir(), "p.yaml")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		if r := tcctl(t, profile, "", env, "audit", "verify", "--head", head); r.code != 0 || !strings.Contains(r.stdout, "reaches head "+head) {
			t.Fatalf("verify --head of an intact log: %d %s %s", r.code, r.stdout, r.stderr)
		}
		last := rows[len(rows)-1].Seq
		reads := len(auditRows(t, d)) // verify is a read: nothing appended
		if reads != len(rows) {
			t.Fatalf("verify appended to the log")
		}

		// 1. Entry 3 edited, the chain from it re-hashed with SHA-256.
		rehashSHA256(t, d, func() []store.AuditRow { r := append([]store.AuditRow(nil), rows...); r[2].Actor = "mallory"; return r }(), 2)
		wantBad(t, "edited and re-hashed", verifyAudit(t, owner, ""), 3)
		restoreAudit(t, d, rows, nil)
		if rep := verifyAudit(t, owner, head); !rep.OK {
			t.Fatalf("restored log: %+v", rep)
		}

		// 2. The newest entry dropped: the links still hold; the head does not.
		if err := d.Store().Gorm(bg).Exec("DELETE FROM audit_log WHERE seq = ?", last).Error; err != nil {
			t.Fatal(err)
		}
		if rep := verifyAudit(t, owner, ""); !rep.OK {
			t.Fatalf("without a head a dropped newest entry cannot show: %+v", rep)
		}
		wantBad(t, "newest dropped", verifyAudit(t, owner, head), last)
		if r := tcctl(t, profile, "", env, "audit", "verify", "--head", head); r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("broken at entry %d:", last)) {
			t.Fatalf("tcctl verify --head after dropping the newest: %d %s", r.code, r.stderr)
		}
		restoreAudit(t, d, rows, nil)

		// 3. The oldest entry dropped (no pruning recorded).
		if err := d.Store().Gorm(bg).Exec("DELETE FROM audit_log WHERE seq = 1").Error; err != nil {
			t.Fatal(err)
		}
		wantBad(t, "oldest dropped", verifyAudit(t, owner, ""), 1)
		restoreAudit(t, d, rows, nil)

		// 4. A forged entry inserted at the end, linked, hashed with SHA-256
		// and then with a key of the forger's own naming tcd's key ID.
		forged := rows[len(rows)-1].API()
		forged.Seq, forged.PrevHash, forged.Actor, forged.Action = last+1, forged.Hash, "root", "DELETE /api/users/:id"
		for _, keyed := range []bool{false, true} {
			if keyed {
				forged.KeyID = d.Keys().Primary().ID
				k := sha256.Sum256([]byte("a guess"))
				forged.Hash = forged.ComputeMAC(k[:])
			} else {
				forged.KeyID, forged.Hash = "", forged.ComputeHash()
			}
			row := store.AuditRow{Seq: forged.Seq, AtUs: forged.Time.UnixMicro(), Actor: forged.Actor, Credential: forged.Credential, Action: forged.Action,
				Outcome: forged.Outcome, Status: forged.Status, PrevHash: forged.PrevHash, Hash: forged.Hash, KeyID: forged.KeyID}
			if err := d.Store().Gorm(bg).Create(&row).Error; err != nil {
				t.Fatal(err)
			}
			wantBad(t, fmt.Sprintf("forged insert (keyed %v)", keyed), verifyAudit(t, owner, ""), last+1)
			restoreAudit(t, d, rows, nil)
		}
		// ... and one inserted in the middle, renumbering what follows.
		if err := d.Store().Gorm(bg).Exec("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4").Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Store().Gorm(bg).Exec("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 104").Error; err != nil {
			t.Fatal(err)
		}
		mid := rows[2].API()
		mid.Seq, mid.PrevHash, mid.Actor = 4, rows[2].Hash, "mallory"
		mid.KeyID, mid.Hash = "", mid.ComputeHash()
		if err := d.Store().Gorm(bg).Create(&store.AuditRow{Seq: 4, AtUs: mid.Time.UnixMicro(), Actor: mid.Actor, Credential: mid.Credential, Action: mid.Action,
			Outcome: mid.Outcome, Status: mid.Status, PrevHash: mid.PrevHash, Hash: mid.Hash}).Error; err != nil {
			t.Fatal(err)
		}
		wantBad(t, "forged insert in the middle", verifyAudit(t, owner, ""), 4)
		restoreAudit(t, d, rows, nil)

		// 5. Pruning by retention is recorded: the log verifies from the
		// anchor, a head taken before pruning is accepted, and the record
		// cannot be moved.
		d.Clock.Advance(48 * time.Hour)
		owner = login(t, d, "root", "rootpass1") // the session expired
		must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "after"}))
		n, err := d.Audit().Prune(bg, 24*time.Hour)
		if err != nil || n != int64(len(rows)) {
			t.Fatalf("prune: %d %v", n, err)
		}
		rep = verifyAudit(t, owner, head)
		if !rep.OK || rep.PrunedThrough != last || rep.First != last+1 {
			t.Fatalf("after pruning: %+v", rep)
		}
		if err := d.Store().Gorm(bg).Exec("UPDATE audit_anchor SET seq = seq - 1").Error; err != nil {
			t.Fatal(err)
		}
		wantBad(t, "pruning record moved", verifyAudit(t, owner, ""), last)
	})
}

// Issue 15 acceptance 4 (second half): when the audit entry of a write
// cannot be inserted (a trigger refuses it), the change is rolled back and
// the answer is 5xx; once the trigger is gone, the same write succeeds with
// its entry.
func TestAuditInsertFailureRollsBack(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\n  interval = \"10s\"\n"}))
		db := d.Store().Gorm(bg)
		var create, drop []string
		if e.Name == "postgres" {
			create = []string{
				`CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit insert refused by test'; END $$ LANGUAGE plpgsql`,
				`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
			}
			drop = []string{`DROP TRIGGER refuse_audit ON audit_log`, `DROP FUNCTION refuse_audit()`}
		} else {
			create = []string{`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit insert refused by test'); END`}
			drop = []string{`DROP TRIGGER refuse_audit`}
		}
		for _, s := range create {
			if err := db.Exec(s).Error; err != nil {
				t.Fatal(err)
			}
		}
		before := auditRows(t, d)
		// A config push, a new label and a new token: each refused with 5xx.
		_, err := owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr("[agent]\n  interval = \"20s\"\n")})
		if te, ok := err.(*tc.Error); !ok || te.Status < 500 {
			t.Fatalf("config push without its audit entry: %v, want 5xx", err)
		}
		_, err = owner.CreateLabel(bg, tc.LabelRequest{Name: "ghost"})
		if te, ok := err.(*tc.Error); !ok || te.Status < 500 {
			t.Fatalf("label without its audit entry: %v, want 5xx", err)
		}
		_, err = owner.CreateToken(bg, tc.CreateTokenRequest{Description: "ghost", Preset: tc.PresetCI})
		if te, ok := err.(*tc.Error); !ok || te.Status < 500 {
			t.Fatalf("token without its audit entry: %v, want 5xx", err)
		}
		got := must[tc.Config](t)(owner.GetConfig(bg, cfg.ID))
		if got.Version != cfg.Version || !strings.Contains(got.TOML, `"10s"`) {
			t.Fatalf("the config push was committed without its audit entry: version %d → %d", cfg.Version, got.Version)
		}
		var n int64
		db.Table("labels").Where("name = ?", "ghost").Count(&n)
		var m int64
		db.Table("tokens").Where("description = ?", "ghost").Count(&m)
		if n != 0 || m != 0 {
			t.Fatalf("written without an audit entry: %d labels, %d tokens", n, m)
		}
		if after := auditRows(t, d); len(after) != len(before) {
			t.Fatalf("audit log changed while inserts were refused: %d → %d", len(before), len(after))
		}
		for _, s := range drop {
			if err := db.Exec(s).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr("[agent]\n  interval = \"20s\"\n")}); err != nil {
			t.Fatal(err)
		}
		after := auditRows(t, d)
		if len(after) != len(before)+1 || after[len(after)-1].Action != "PATCH /api/configs/:id" || after[len(after)-1].Outcome != tc.OutcomeSuccess {
			t.Fatalf("the push after the trigger is gone: %+v", after[len(before):])
		}
		if rep := verifyAudit(t, owner, ""); !rep.OK {
			t.Fatalf("chain: %+v", rep)
		}
	})
}
