package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// siteFleet is 2 × n agents labelled site=a and site=b on a reporting rule
// that calls them not_reporting after 2 s, all having reported once.
type siteFleet struct {
	a, b []string
}

func newSiteFleet(t *testing.T, d *testutil.TCD, owner *client.Client, n int) siteFleet {
	t.Helper()
	must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(2)), IsDefault: ptr(true)}))
	f := siteFleet{a: fleetIDs("site-a-", n), b: fleetIDs("site-b-", n)}
	beat(t, d, append(append([]string{}, f.a...), f.b...))
	for _, s := range []struct {
		name string
		ids  []string
	}{{"site=a", f.a}, {"site=b", f.b}} {
		l := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: s.name}))
		labelAgents(t, d, l.ID, s.ids)
	}
	return f
}

// siteSilenceRule is "not_reporting for 3 s, grouped by site" with a 2 s
// group window.
func siteSilenceRule(t *testing.T, owner *client.Client, receivers ...string) tc.NotifyRule {
	t.Helper()
	return must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("site-silence"), Event: ptr(tc.EventAgentNotReporting),
		For: ptr(int64(3)), GroupBy: ptr("site"), GroupWindow: ptr(int64(2)), Receivers: &receivers}))
}

// silenceSiteA runs the clock so that site a goes silent (and b keeps
// reporting) until a's group has fired, and returns when it has: T0 all
// report; T0+3 b reports; T0+6 a has been not_reporting (since T0+2) for
// more than 3 s, its group opens; T0+8 the 2 s group window has passed.
func silenceSiteA(t *testing.T, d *testutil.TCD, f siteFleet, fired func() bool) {
	t.Helper()
	d.Clock.Advance(3 * time.Second)
	beat(t, d, f.b)
	d.Clock.Advance(3 * time.Second)
	waitTicks(t, d, 2)
	if fired() {
		t.Fatal("notified before the group window passed")
	}
	d.Clock.Advance(2 * time.Second)
	waitUntil(t, "the firing notification", 15*time.Second, fired)
}

// Acceptance 1: 2,000 agents labelled site=a|b, a rule "not_reporting for
// 3 s, group by site": when all of site a goes silent, the webhook gets
// exactly one firing message for a naming 1,000 agents and listing the
// first ten, one resolved message when they report again, and nothing
// for b.
func TestNotifySiteSilenceWebhook(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		f := newSiteFleet(t, d, owner, 1000)
		s := newSink(t)
		recv := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("hook"), Kind: ptr(tc.ReceiverWebhook), URL: ptr(s.URL())}))
		siteSilenceRule(t, owner, recv.Name)

		silenceSiteA(t, d, f, func() bool { return len(s.all()) > 0 })
		d.Clock.Advance(time.Second)
		waitTicks(t, d, 3)
		got := s.all()
		if len(got) != 1 {
			t.Fatalf("%d messages, want exactly one firing: %+v", len(got), got)
		}
		n := got[0].N
		if n.Status != tc.NotifyFiring || n.Event != tc.EventAgentNotReporting || n.GroupBy != "site" || n.Group != "a" || n.Count != 1000 {
			t.Fatalf("firing message: %+v", n)
		}
		if len(n.Items) != 10 || n.Items[0].ID != "site-a-0000" || n.Items[9].ID != "site-a-0009" || n.Items[0].Name != "host-site-a-0000" {
			t.Fatalf("first agents: %+v", n.Items)
		}
		if !strings.Contains(n.Summary, "1000 agents not reporting") || !strings.Contains(n.Summary, "site=a") {
			t.Fatalf("summary: %q", n.Summary)
		}
		if got[0].Header.Get("X-TC-Delivery") == "" || got[0].Header.Get("X-TC-Event") != tc.EventAgentNotReporting {
			t.Fatalf("headers: %v", got[0].Header)
		}

		beat(t, d, append(append([]string{}, f.a...), f.b...))
		waitUntil(t, "the resolved notification", 15*time.Second, func() bool { return len(s.all()) >= 2 })
		d.Clock.Advance(time.Second)
		waitTicks(t, d, 3)
		got = s.all()
		if len(got) != 2 {
			t.Fatalf("%d messages, want one firing and one resolved", len(got))
		}
		r := got[1].N
		if r.Status != tc.NotifyResolved || r.Group != "a" || r.Count != 1000 || r.EndsAt == nil || r.Rule.ID != n.Rule.ID || r.ID == n.ID {
			t.Fatalf("resolved message: %+v", r)
		}
		for _, m := range got {
			if m.N.Group == "b" {
				t.Fatalf("a message for site b: %+v", m.N)
			}
		}
		// The delivery log holds both, and the counter counts them.
		var log tc.List[tc.NotifyDelivery]
		waitUntil(t, "the delivery log", 5*time.Second, func() bool {
			log = must[tc.List[tc.NotifyDelivery]](t)(owner.NotifyLog(bg, client.NotifyLogFilter{Receiver: "hook"}))
			return log.Total >= 2
		})
		if log.Total != 2 || log.Items[0].Outcome != tc.DeliverySuccess || log.Items[0].Status != tc.NotifyResolved {
			t.Fatalf("delivery log: %+v", log)
		}
		if m := metricsText(t, d); !strings.Contains(m, `tc_notifications_sent_total{outcome="success",receiver="hook"} 2`) ||
			!strings.Contains(m, "tc_notifications_queue_depth 0") {
			t.Fatalf("metrics:\n%s", grepLines(m, "tc_notifications"))
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// amAlert is what Alertmanager's GET /api/v2/alerts lists.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func amAlerts(t *testing.T, am *testutil.Alertmanager) []amAlert {
	t.Helper()
	resp, err := http.Get(am.URL + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v2/alerts: %d %v", resp.StatusCode, err)
	}
	return out
}

// Acceptance 2: the same rule with a real Alertmanager as receiver: the
// alert for site a appears in Alertmanager's GET /api/v2/alerts while it
// fires (none for b) and is gone (resolved, endsAt passed) once the agents
// report again. tcd's clock runs a minute behind Alertmanager's, so the
// resolved alert's endsAt is in Alertmanager's past.
func TestNotifySiteSilenceAlertmanager(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		am := testutil.StartAlertmanager(t)
		clock := testutil.NewClock()
		clock.Advance(-time.Minute)
		d := notifyTCD(t, e.DSN, clock)
		owner := d.Setup(t)
		f := newSiteFleet(t, d, owner, 200)
		recv := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("am"),
			Kind: ptr(tc.ReceiverAlertmanager), URL: ptr(am.URL + "/api/v2/alerts")}))
		if recv.URL != am.URL {
			t.Fatalf("receiver URL %q, want the base %q", recv.URL, am.URL)
		}
		siteSilenceRule(t, owner, recv.ID)
		ours := func() []amAlert {
			var out []amAlert
			for _, a := range amAlerts(t, am) {
				if a.Labels["alertname"] == "site-silence" {
					out = append(out, a)
				}
			}
			return out
		}
		silenceSiteA(t, d, f, func() bool { return len(ours()) > 0 })
		got := ours()
		if len(got) != 1 {
			t.Fatalf("alerts: %+v", got)
		}
		a := got[0]
		if a.Labels["site"] != "a" || a.Labels["event"] != tc.EventAgentNotReporting || a.Labels["source"] != "tcd" ||
			a.Annotations["count"] != "200" || !strings.Contains(a.Annotations["summary"], "200 agents not reporting") ||
			!strings.Contains(a.Annotations["description"], "site-a-0000") || a.Status.State != "active" {
			t.Fatalf("alert: %+v", a)
		}
		if !a.EndsAt.After(time.Now()) {
			t.Fatalf("a firing alert must end in the future: %s", a.EndsAt)
		}
		beat(t, d, append(append([]string{}, f.a...), f.b...))
		waitUntil(t, "the alert to resolve", 15*time.Second, func() bool { return len(ours()) == 0 })
		// Alertmanager may show the alert resolved a moment before tcd
		// records the delivery.
		var log tc.List[tc.NotifyDelivery]
		waitUntil(t, "the delivery log", 5*time.Second, func() bool {
			log = must[tc.List[tc.NotifyDelivery]](t)(owner.NotifyLog(bg, client.NotifyLogFilter{Receiver: "am"}))
			return log.Total >= 2
		})
		if log.Total != 2 || log.Items[0].Status != tc.NotifyResolved || log.Items[0].Outcome != tc.DeliverySuccess || log.Items[0].HTTPStatus != 200 {
			t.Fatalf("delivery log: %+v", log.Items)
		}
	})
}
