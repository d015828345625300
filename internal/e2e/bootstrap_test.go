package e2e

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// OWNER_* create the owner at first start, promote an administrator of that
// name when there is no owner, and RESET_OWNER_PASSWORD resets the password.
func TestOwnerBootstrap(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		withOwner := func(c *config.Config) {
			c.OwnerUsername, c.OwnerEmail, c.OwnerPassword = "Boss", "boss@example.com", "bosspass1"
		}
		d := testutil.StartTCD(t, e.DSN, withOwner)
		owner := login(t, d, "boss", "bosspass1")
		if me := must[tc.Me](t)(owner.Me(bg)); me.User.Role != tc.RoleOwner {
			t.Fatalf("bootstrap made %+v", me.User)
		}
		_, err := d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "x12", Email: "x@example.com", Password: "whatever1"})
		wantCode(t, err, tc.EConflict, 409)
		d.Close()

		// Same values again: nothing changes, the old password still works.
		d = testutil.StartTCD(t, e.DSN, withOwner)
		must[tc.Me](t)(d.Client(t, owner.Token()).Me(bg)) // sessions survive a restart
		owner = login(t, d, "boss", "bosspass1")
		d.Close()

		// RESET_OWNER_PASSWORD: new password works, old sessions end.
		d = testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.OwnerPassword = "newpass99"; c.ResetOwnerPassword = true })
		_, err = d.Client(t, owner.Token()).Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		_, err = d.Client(t, "").Login(bg, tc.LoginRequest{Username: "boss", Password: "bosspass1"})
		wantCode(t, err, tc.EUnauthorized, 401)
		login(t, d, "boss", "newpass99")
		if !strings.Contains(d.Log.String(), "RESET_OWNER_PASSWORD") {
			t.Fatalf("no warning about the reset in the log")
		}
		if strings.Contains(d.Log.String(), "newpass99") {
			t.Fatalf("the password reached the log")
		}
	})
}

func TestBootstrapPromotesAdministrator(t *testing.T) {
	dsn := testutil.SQLiteDSN(t)
	d := testutil.StartTCD(t, dsn)
	owner := d.Setup(t)
	invite(t, d, owner, "alice", tc.RoleAdministrator)
	// Remove the owner behind tcd's back (a restored backup without one).
	if err := d.Store().Gorm(bg).Exec("DELETE FROM users WHERE role = 'owner'").Error; err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = testutil.StartTCD(t, dsn, func(c *config.Config) {
		c.OwnerUsername, c.OwnerEmail, c.OwnerPassword = "alice", "ignored@example.com", "irrelevant1"
	})
	c := login(t, d, "alice", "alice-pass1")
	if me := must[tc.Me](t)(c.Me(bg)); me.User.Role != tc.RoleOwner {
		t.Fatalf("alice not promoted: %+v", me.User)
	}
}

// tcd warns at start about database settings that hurt it (store.Advisories):
// every advisory the database gives is in tcd's log as a warning. On this
// project's PostgreSQL (autovacuum off) that is the autovacuum warning.
func TestStartupWarnsAboutDatabaseSettings(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		st, err := store.Open(bg, e.DSN, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := st.Advisories(bg)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		d := testutil.StartTCD(t, e.DSN)
		log := d.Log.String()
		for _, a := range want {
			if !strings.Contains(log, "level=WARN") || !strings.Contains(log, a) {
				t.Fatalf("tcd's log lacks the warning %q:\n%s", a, log)
			}
		}
		t.Logf("%s: %d advisories", e.Name, len(want))
	})
}
