package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// byNotification counts what a sink received per notification ID and per
// delivery ID.
func byNotification(got []received) (perNotification, perDelivery map[string]int) {
	perNotification, perDelivery = map[string]int{}, map[string]int{}
	for _, g := range got {
		perNotification[g.N.ID]++
		perDelivery[g.Header.Get("X-TC-Delivery")]++
	}
	return
}

// fullLog reads the whole delivery log, oldest first.
func fullLog(t *testing.T, c *client.Client) []tc.NotifyDelivery {
	t.Helper()
	l := must[tc.List[tc.NotifyDelivery]](t)(c.NotifyLog(bg, client.NotifyLogFilter{Page: tc.Page{Limit: tc.MaxLimit}}))
	out := make([]tc.NotifyDelivery, len(l.Items))
	for i, it := range l.Items {
		out[len(out)-1-i] = it
	}
	return out
}

// Acceptance 3, first half: the receiver is down (connection refused) for
// 30 s of tcd's time while four notifications are decided — an agent
// condition firing and resolving, and two rollout events published through
// notify.Publisher. Each is retried with backoff meanwhile; once the
// receiver is up, every one arrives exactly once, in the order decided.
func TestNotifyReceiverDownThenUp(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(2)), IsDefault: ptr(true)}))
		s := newSink(t)
		recv := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("hook"), Kind: ptr(tc.ReceiverWebhook), URL: ptr(s.URL())}))
		for _, r := range []tc.NotifyRuleRequest{
			{Name: ptr("silent"), Event: ptr(tc.EventAgentNotReporting), GroupWindow: ptr(int64(0))},
			{Name: ptr("done"), Event: ptr(tc.EventRolloutCompleted), GroupWindow: ptr(int64(0))},
			{Name: ptr("paused"), Event: ptr(tc.EventRolloutPaused), GroupWindow: ptr(int64(0))},
		} {
			r.Receivers = &[]string{recv.ID}
			must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, r))
		}
		agents := fleetIDs("down-", 20)
		beat(t, d, agents)
		s.down()

		d.Clock.Advance(3 * time.Second) // not_reporting since T0+2: fires
		waitTicks(t, d, 2)
		if err := d.Notifier().Publish(bg, notify.Event{Kind: tc.EventRolloutCompleted, SubjectID: "r1", SubjectName: "web fleet to v7"}); err != nil {
			t.Fatal(err)
		}
		waitTicks(t, d, 2)
		if err := d.Notifier().Publish(bg, notify.Event{Kind: tc.EventRolloutPaused, SubjectID: "r2", SubjectName: "db fleet to v3", Summary: "3 of 40 agents failed"}); err != nil {
			t.Fatal(err)
		}
		waitTicks(t, d, 2)
		beat(t, d, agents) // resolves
		waitTicks(t, d, 2)
		// The agents stay silent from here on: no more conditions.
		must[tc.NotifyRule](t)(owner.UpdateNotifyRule(bg, "silent", tc.NotifyRuleRequest{Enabled: ptr(false)}))
		// 30 s of tcd's time with the receiver down: the head of the queue
		// is retried with backoff (1 s doubling to 4 s), the rest waits
		// behind it.
		for step := 0; step < 6; step++ {
			before := len(fullLog(t, owner))
			d.Clock.Advance(5 * time.Second)
			waitUntil(t, "a retry", 10*time.Second, func() bool { return len(fullLog(t, owner)) > before })
		}
		log := fullLog(t, owner)
		for _, l := range log {
			if l.Outcome != tc.DeliveryRetry || !strings.Contains(l.Error, "refused") {
				t.Fatalf("while down: %+v", l)
			}
		}
		if len(s.all()) != 0 {
			t.Fatal("the sink got something while down")
		}
		if q := metricsText(t, d); !strings.Contains(q, "tc_notifications_queue_depth 4") || !strings.Contains(q, `tc_notifications_sent_total{outcome="retry",receiver="hook"}`) {
			t.Fatalf("metrics while down:\n%s", grepLines(q, "tc_notifications"))
		}

		s.restart()
		d.Clock.Advance(5 * time.Second)
		waitUntil(t, "all four notifications", 15*time.Second, func() bool { return len(s.all()) >= 4 })
		d.Clock.Advance(time.Second)
		waitTicks(t, d, 3)
		got := s.all()
		perN, perD := byNotification(got)
		if len(got) != 4 || len(perN) != 4 || len(perD) != 4 {
			t.Fatalf("received %d messages (%d notifications, %d deliveries), want 4 once each", len(got), len(perN), len(perD))
		}
		want := []string{tc.EventAgentNotReporting + "/firing", tc.EventRolloutCompleted + "/firing", tc.EventRolloutPaused + "/firing", tc.EventAgentNotReporting + "/resolved"}
		for i, g := range got {
			if g.N.Event+"/"+g.N.Status != want[i] {
				t.Fatalf("message %d is %s/%s, want %s (order decided)", i, g.N.Event, g.N.Status, want[i])
			}
		}
		if got[1].N.Items[0].ID != "r1" || !strings.Contains(got[1].N.Summary, "rollout web fleet to v7 completed") ||
			got[2].N.Items[0].Summary != "3 of 40 agents failed" {
			t.Fatalf("rollout messages: %+v / %+v", got[1].N, got[2].N)
		}
		if q := metricsText(t, d); !strings.Contains(q, "tc_notifications_queue_depth 0") ||
			!strings.Contains(q, `tc_notifications_sent_total{outcome="success",receiver="hook"} 4`) {
			t.Fatalf("metrics after:\n%s", grepLines(q, "tc_notifications"))
		}
	})
}

// Acceptance 3, second half: tcd (a real process) is killed with -9 while
// notifications wait for a receiver that is down, after others were
// acknowledged. After the restart the waiting ones arrive, and nothing
// arrives twice: every notification the log calls delivered reached the
// receiver exactly once.
func TestNotifyOutboxSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd as a process and kills it: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		token := "tc-apiv1_f48b3b4c625dc3936cc990270da6e720dbc1de68d48970853d0861d0866b9367" // random: pre-shared values need ≥ 128 bits of entropy
		env := []string{"DISABLED_AUTH_ENDPOINTS=heartbeat", "TC_SCHEDULER_INTERVAL=200ms", "TC_NOTIFY_RETRY_INITIAL=200ms", "TC_NOTIFY_RETRY_MAX=400ms"}
		p := startCrashTCD(t, e.DSN, token, env...)
		c, err := client.New(p.api, client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		s := newSink(t)
		recv := must[tc.NotifyReceiver](t)(c.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("hook"), Kind: ptr(tc.ReceiverWebhook), URL: ptr(s.URL())}))
		must[tc.NotifyRule](t)(c.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("new"), Event: ptr(tc.EventAgentNew), GroupWindow: ptr(int64(0)), Receivers: &[]string{recv.ID}}))
		post := func(base string, ids ...string) {
			for _, id := range ids {
				resp, err := http.Post(base+"/agents/heartbeat", "application/json", strings.NewReader(hbBody(id, 1)))
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("heartbeat: %d", resp.StatusCode)
				}
			}
		}
		// Acknowledged before the kill: a batch of new agents.
		post(p.hb, "k-1", "k-2", "k-3")
		waitUntil(t, "the first notification", 15*time.Second, func() bool { return len(s.all()) == 1 })
		// Undelivered at the kill: two more batches, decided while the
		// receiver is down and retried until the kill.
		s.down()
		post(p.hb, "k-4", "k-5")
		time.Sleep(500 * time.Millisecond)
		post(p.hb, "k-6")
		waitUntil(t, "two notifications waiting, and a retry", 20*time.Second, func() bool {
			retried := false
			for _, l := range fullLog(t, c) {
				retried = retried || l.Outcome == tc.DeliveryRetry
			}
			return retried && strings.Contains(metricsAt(t, p.api), "tc_notifications_queue_depth 2")
		})
		p.kill(t)
		pending := pendingNotifications(t, e)
		if len(pending) != 2 {
			t.Fatalf("%d notifications in the outbox after the kill, want 2", len(pending))
		}
		s.restart()
		p2 := startCrashTCD(t, e.DSN, token, env...)
		c2, err := client.New(p2.api, client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the undelivered notifications", 20*time.Second, func() bool { return len(s.all()) >= 1+len(pending) })
		time.Sleep(time.Second) // a second of ticks and sends: nothing more may come
		got := s.all()
		perN, perD := byNotification(got)
		for id, n := range perN {
			if n != 1 {
				t.Errorf("notification %s arrived %d times", id, n)
			}
		}
		for id, n := range perD {
			if n != 1 {
				t.Errorf("delivery %s arrived %d times", id, n)
			}
		}
		for _, id := range pending {
			if perN[id] != 1 {
				t.Errorf("notification %s, undelivered at the kill, arrived %d times after the restart", id, perN[id])
			}
		}
		delivered := map[string]bool{}
		for _, l := range fullLog(t, c2) {
			switch l.Outcome {
			case tc.DeliverySuccess:
				delivered[l.NotificationID] = true
			case tc.DeliveryFailed:
				t.Errorf("abandoned: %+v", l)
			}
		}
		if len(delivered) != len(perN) || len(got) != len(perN) {
			t.Fatalf("log says %d delivered, the receiver got %d messages of %d notifications\n%s", len(delivered), len(got), len(perN), fmt.Sprint(got))
		}
		for id := range perN {
			if !delivered[id] {
				t.Errorf("received %s, which the log does not call delivered", id)
			}
		}
		var items []string
		for _, g := range got {
			for _, it := range g.N.Items {
				items = append(items, it.ID)
			}
		}
		if strings.Join(items, ",") != "k-1,k-2,k-3,k-4,k-5,k-6" {
			t.Fatalf("agents named, in order: %v", items)
		}
		p2.stop(t)
	})
}

// metricsAt returns GET /metrics of the tcd at base.
func metricsAt(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// pendingNotifications reads the IDs of the notifications waiting in the
// outbox straight from the database (tcd is not running).
func pendingNotifications(t *testing.T, e testutil.Engine) []string {
	t.Helper()
	driver := "sqlite3"
	if e.Name == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, e.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT payload FROM notify_outbox WHERE state = 'pending' ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var n tc.Notification
		if err := json.Unmarshal([]byte(payload), &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n.ID)
	}
	return out
}

// In a cluster only the leader evaluates and sends: two nodes on one
// PostgreSQL, new agents reported to both — one message per batch,
// delivered once; after the leader is killed the other node takes over and
// the next batch is told once too.
func TestNotifyClusterLeaderOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd processes: not in -short")
	}
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	token := "tc-apiv1_c21b28736f0666bbba427498fddb3a8363c79162efcb2e3e10fe9a8ea2b2b379" // random: pre-shared values need ≥ 128 bits of entropy
	env := []string{"OWNER_TOKEN=" + token, "TC_SCHEDULER_INTERVAL=300ms", "TC_LOG_LEVEL=warn"}
	a := startNode(t, dsn, env...)
	a.waitReady(t)
	b := startNode(t, dsn, env...)
	b.waitReady(t)
	nodes := []*node{a, b}
	c, err := client.New(a.api, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	s := newSink(t)
	must[tc.NotifyReceiver](t)(c.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("hook"), Kind: ptr(tc.ReceiverWebhook), URL: ptr(s.URL())}))
	must[tc.NotifyRule](t)(c.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("new"), Event: ptr(tc.EventAgentNew), GroupWindow: ptr(int64(2)), Receivers: &[]string{"hook"}}))
	batch := func(prefix string) {
		t.Helper()
		for i, n := range nodes {
			if !n.alive() {
				continue
			}
			for j := 0; j < 3; j++ {
				if st := sendHB(t, n.hb, hbBody(fmt.Sprintf("%s-%d-%d", prefix, i, j), 1)); st != 200 {
					t.Fatalf("heartbeat to %s: %d", n.hb, st)
				}
			}
		}
	}
	batch("one")
	waitUntil(t, "the first message", 20*time.Second, func() bool { return len(s.all()) == 1 })
	time.Sleep(2 * time.Second) // a few evaluations on both nodes: nothing more
	if got := s.all(); len(got) != 1 || got[0].N.Count != 6 {
		t.Fatalf("%d messages (want one naming 6 agents): %+v", len(got), got)
	}
	var leader, other *node
	waitUntil(t, "one leader", 10*time.Second, func() bool { return len(leaders(nodes)) == 1 })
	leader = leaders(nodes)[0]
	for _, n := range nodes {
		if n != leader {
			other = n
		}
	}
	leader.cmd.Process.Kill()
	<-leader.exited
	waitUntil(t, "the other node to lead", 30*time.Second, other.isLeader)
	batch("two")
	waitUntil(t, "the second message", 20*time.Second, func() bool { return len(s.all()) == 2 })
	time.Sleep(2 * time.Second)
	got := s.all()
	perN, perD := byNotification(got)
	if len(got) != 2 || len(perN) != 2 || len(perD) != 2 || got[1].N.Count != 3 || !strings.HasPrefix(got[1].N.Items[0].ID, "two-") {
		t.Fatalf("after the failover: %+v", got)
	}
}
