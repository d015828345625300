package e2e

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// The Slack-compatible receiver posts {"text": …} with the title, the count
// and the items; a receiver's rate limit holds a second notification back
// (without counting an attempt) until the limit allows it.
func TestNotifySlackAndRateLimit(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		s := newSink(t)
		must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("chat"), Kind: ptr(tc.ReceiverSlack),
			URL: ptr(s.URL()), RateLimit: ptr(1)}))
		must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("done"), Event: ptr(tc.EventRolloutCompleted),
			GroupWindow: ptr(int64(0)), Receivers: &[]string{"chat"}}))
		publish := func(id, name string) {
			t.Helper()
			if err := d.Notifier().Publish(bg, notify.Event{Kind: tc.EventRolloutCompleted, SubjectID: id, SubjectName: name, Summary: "40 of 40 agents"}); err != nil {
				t.Fatal(err)
			}
			waitTicks(t, d, 2)
		}
		publish("r1", "web to v7")
		waitUntil(t, "the first message", 10*time.Second, func() bool { return len(s.all()) == 1 })
		var body map[string]string
		if err := json.Unmarshal(s.all()[0].Body, &body); err != nil || len(body) != 1 {
			t.Fatalf("slack body: %s", s.all()[0].Body)
		}
		for _, want := range []string{"[FIRING] done: rollout web to v7 completed", "Count: 1", "- r1 (web to v7): 40 of 40 agents"} {
			if !strings.Contains(body["text"], want) {
				t.Fatalf("slack text lacks %q:\n%s", want, body["text"])
			}
		}
		if s.all()[0].Header.Get("X-TC-Signature") != "" {
			t.Fatal("a Slack message carries a webhook signature header")
		}
		publish("r2", "db to v3")
		waitTicks(t, d, 4)
		if len(s.all()) != 1 {
			t.Fatal("the rate limit (1 per minute) let a second message through")
		}
		d.Clock.Advance(61 * time.Second)
		waitUntil(t, "the held-back message", 10*time.Second, func() bool { return len(s.all()) == 2 })
		for _, l := range fullLog(t, owner) {
			if l.Attempt != 1 || l.Outcome != tc.DeliverySuccess {
				t.Fatalf("a rate-limited notification counted as an attempt: %+v", l)
			}
		}
	})
}

// Bad receivers and rules are refused with 400 naming the field, and
// nothing is stored.
func TestNotifyBadInput(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("ok"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://example.com/h")}))
	for _, c := range []struct {
		req   tc.NotifyReceiverRequest
		field string
	}{
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr("pager")}, "kind"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook)}, "url"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("ftp://example.com")}, "url"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://u:p@example.com")}, "url"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://example.com"), Headers: map[string]string{"X-TC-Signature": "x"}}, "headers"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://example.com"), Headers: map[string]string{"X-A": "a\r\nb"}}, "headers"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverSlack), URL: ptr("https://example.com"), Secret: ptr("s")}, "secret"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverEmail)}, "email"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverEmail), Email: &tc.EmailSettings{Host: "smtp", From: "not an address", To: []string{"a@b.c"}}}, "email.from"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverEmail), Email: &tc.EmailSettings{Host: "smtp", From: "a@b.c", To: []string{"a@b.c"}, TLS: "ssl3"}}, "email.tls"},
		{tc.NotifyReceiverRequest{Name: ptr("x"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://example.com"), RateLimit: ptr(0)}, "rateLimit"},
	} {
		_, err := owner.CreateNotifyReceiver(bg, c.req)
		var te *tc.Error
		if !errors.As(err, &te) || te.Status != 400 || te.Details["field"] != c.field {
			t.Errorf("%+v: %v (%v), want 400 on %s", c.req, err, te, c.field)
		}
	}
	_, err := owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("ok"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("https://example.com/2")})
	wantCode(t, err, tc.EConflict, 409)
	for _, c := range []tc.NotifyRuleRequest{
		{Name: ptr("r"), Event: ptr("agent.sleeping"), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Receivers: &[]string{}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Receivers: &[]string{"nobody"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Selector: ptr("site in (a"), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Scope: ptr(tc.ScopeAll), Selector: ptr("site=a"), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventTokenExpiring), Scope: ptr(tc.ScopeAgents), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentNew), For: ptr(int64(60)), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Days: ptr(3), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), GroupWindow: ptr(int64(-1)), Receivers: &[]string{"ok"}},
		{Name: ptr("r"), Event: ptr(tc.EventAgentFail), GroupBy: ptr("site=a"), Receivers: &[]string{"ok"}},
	} {
		if _, err := owner.CreateNotifyRule(bg, c); tc.ErrorCode(err) != tc.EInvalid {
			t.Errorf("%+v: %v, want invalid", c, err)
		}
	}
	if l := must[tc.List[tc.NotifyRule]](t)(owner.ListNotifyRules(bg)); l.Total != 0 {
		t.Fatalf("a refused rule was stored: %+v", l.Items)
	}
	if l := must[tc.List[tc.NotifyReceiver]](t)(owner.ListNotifyReceivers(bg)); l.Total != 1 {
		t.Fatalf("a refused receiver was stored: %+v", l.Items)
	}
	// A failed edit leaves the rule as it was.
	r := must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("r"), Event: ptr(tc.EventAgentFail), Receivers: &[]string{"ok"}}))
	if _, err := owner.UpdateNotifyRule(bg, "r", tc.NotifyRuleRequest{Name: ptr("renamed"), Receivers: &[]string{"nobody"}}); tc.ErrorCode(err) != tc.EInvalid {
		t.Fatalf("edit with an unknown receiver: %v", err)
	}
	if got := must[tc.NotifyRule](t)(owner.GetNotifyRule(bg, r.ID)); got.Name != "r" || len(got.Receivers) != 1 {
		t.Fatalf("half-written edit: %+v", got)
	}
}

// "A new advisory matches the fleet": importing an advisory that applies to
// agents (the advisories feature's fleet-match hook) notifies a rule of
// kind advisory.matched, once.
func TestNotifyAdvisoryMatched(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		s := newSink(t)
		must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("hook"), Kind: ptr(tc.ReceiverWebhook), URL: ptr(s.URL())}))
		must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("advisories"), Event: ptr(tc.EventAdvisoryMatched),
			GroupWindow: ptr(int64(0)), Receivers: &[]string{"hook"}}))
		fleet(t, d, owner, map[string]string{"adv-1": "Telegraf 1.37.2 (git: HEAD@a6b212be)", "adv-2": "Telegraf 1.39.3 (git: HEAD@eb37a442)"})
		if _, err := owner.ImportAdvisories(bg, []json.RawMessage{advisoryFile(t, "TCTEST-2026-0001.json")}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the advisory notification", 10*time.Second, func() bool { return len(s.all()) == 1 })
		n := s.all()[0].N
		if n.Event != tc.EventAdvisoryMatched || n.Count != 1 || n.Items[0].ID != "TCTEST-2026-0001" ||
			!strings.Contains(n.Items[0].Summary, "1 agents affected") || !strings.Contains(n.Summary, "advisory Fictional: inputs.example") {
			t.Fatalf("advisory notification: %+v", n)
		}
		// The same import again changes nothing: no second notification.
		if _, err := owner.ImportAdvisories(bg, []json.RawMessage{advisoryFile(t, "TCTEST-2026-0001.json")}); err != nil {
			t.Fatal(err)
		}
		waitTicks(t, d, 4)
		if len(s.all()) != 1 {
			t.Fatalf("%d notifications", len(s.all()))
		}
	})
}
