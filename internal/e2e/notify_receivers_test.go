package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// verifySignature is the receiver's side of docs/notifications.md,
// written from the documentation: the hex HMAC-SHA-256, keyed with the
// secret, of the X-TC-Timestamp value, a dot and the raw body, sent as
// "sha256=<hex>" in X-TC-Signature.
func verifySignature(secret string, h http.Header, body []byte) bool {
	sig, ok := strings.CutPrefix(h.Get("X-TC-Signature"), "sha256=")
	if !ok {
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(h.Get("X-TC-Timestamp") + "." + string(body)))
	return hmac.Equal(m.Sum(nil), want)
}

// Acceptance 4: the webhook's signature verifies with the documented
// algorithm and the receiver's secret; a wrong secret does not verify, and
// neither does a changed body. The secret and header values are never
// returned by the API, and every change is in the audit log.
func TestNotifyWebhookSignature(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		s := newSink(t)
		const secret = "s3cret-Hmac-key"
		recv := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("signed"), Kind: ptr(tc.ReceiverWebhook),
			URL: ptr(s.URL()), Secret: ptr(secret), Headers: map[string]string{"Authorization": "Bearer hidden-value", "x-team": "ops"}}))
		if !recv.SecretSet || strings.Join(recv.HeaderNames, ",") != "Authorization,X-Team" {
			t.Fatalf("receiver: %+v", recv)
		}
		must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("rollouts"), Event: ptr(tc.EventRolloutRolledBack),
			GroupWindow: ptr(int64(0)), Receivers: &[]string{"signed"}}))
		if err := d.Notifier().Publish(bg, notify.Event{Kind: tc.EventRolloutRolledBack, SubjectID: "ro-1", SubjectName: "edge to v2"}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the notification", 10*time.Second, func() bool { return len(s.all()) == 1 })
		tested := must[tc.NotifyDelivery](t)(owner.TestNotifyReceiver(bg, "signed"))
		if tested.Outcome != tc.DeliverySuccess || tested.HTTPStatus != 204 {
			t.Fatalf("test delivery: %+v", tested)
		}
		got := s.all()
		if len(got) != 2 || !got[1].N.Test || got[0].N.Event != tc.EventRolloutRolledBack {
			t.Fatalf("received: %+v", got)
		}
		for _, g := range got {
			if !verifySignature(secret, g.Header, g.Body) {
				t.Fatalf("signature does not verify: %v", g.Header)
			}
			if verifySignature("wrong-secret", g.Header, g.Body) {
				t.Fatal("a wrong secret verifies")
			}
			if verifySignature(secret, g.Header, bytes.Replace(g.Body, []byte("edge"), []byte("EDGE"), 1)) && g.N.Event != "test" {
				t.Fatal("a changed body verifies")
			}
			ts, err := strconv.ParseInt(g.Header.Get("X-TC-Timestamp"), 10, 64)
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
				t.Fatalf("timestamp %q", g.Header.Get("X-TC-Timestamp"))
			}
			if g.Header.Get("Authorization") != "Bearer hidden-value" || g.Header.Get("X-Team") != "ops" {
				t.Fatalf("custom headers: %v", g.Header)
			}
		}
		// The secret is write-only: a rotated one signs from then on.
		must[tc.NotifyReceiver](t)(owner.UpdateNotifyReceiver(bg, "signed", tc.NotifyReceiverRequest{Secret: ptr("rotated")}))
		must[tc.NotifyDelivery](t)(owner.TestNotifyReceiver(bg, "signed"))
		if last := s.all()[2]; !verifySignature("rotated", last.Header, last.Body) || verifySignature(secret, last.Header, last.Body) {
			t.Fatal("the rotated secret does not sign")
		}
		// Never returned: not by get, list, or the change itself.
		for _, path := range []string{"/api/notifications/receivers", "/api/notifications/receivers/signed", "/api/notifications/log", "/api/audit"} {
			req, _ := http.NewRequest("GET", d.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+owner.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte("rotated")) || bytes.Contains(b, []byte("hidden-value")) {
				t.Fatalf("GET %s: %d leaks a secret: %s", path, resp.StatusCode, b)
			}
		}
		if strings.Contains(d.Log.String(), secret) || strings.Contains(d.Log.String(), "hidden-value") {
			t.Fatal("tcd logged a secret")
		}
		// Every change is audited.
		audit := must[tc.List[tc.AuditEntry]](t)(owner.ListAudit(bg, client.AuditFilter{Action: "/api/notifications/"}))
		var actions []string
		for _, a := range audit.Items {
			actions = append(actions, a.Action+" "+a.Outcome)
		}
		for _, want := range []string{"POST /api/notifications/receivers success", "POST /api/notifications/rules success",
			"POST /api/notifications/receivers/:id/test success", "PATCH /api/notifications/receivers/:id success"} {
			if !strings.Contains(strings.Join(actions, "\n"), want) {
				t.Errorf("audit lacks %q: %v", want, actions)
			}
		}
	})
}

// smtpServer is a local SMTP server (github.com/emersion/go-smtp) that
// offers STARTTLS with a self-signed certificate and AUTH PLAIN over TLS
// only, and keeps every message it accepts.
type smtpServer struct {
	addr   string
	caPEM  string
	mu     sync.Mutex
	msgs   []smtpMsg
	server *smtp.Server
}

type smtpMsg struct {
	from, user string
	to         []string
	tls        bool
	data       []byte
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  smtpMsg
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "tcd" || password != "mail-pass" {
			return errors.New("bad credentials")
		}
		s.msg.user = username
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.msg.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.msg
	m.data = b
	_, m.tls = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, m)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.msg = smtpMsg{user: s.msg.user} }
func (s *smtpSession) Logout() error { return nil }

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := &smtpServer{caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
	backend := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv, conn: c}, nil })
	s := smtp.NewServer(backend)
	s.Domain = "smtp.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.addr, srv.server = ln.Addr().String(), s
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return srv
}

func (s *smtpServer) all() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

// Acceptance 5: fifteen agents go silent; the email a local SMTP server
// (STARTTLS, AUTH PLAIN) receives carries the subject, the count and the
// first ten agents. Without the server's CA the TLS handshake fails and
// nothing is sent.
func TestNotifyEmail(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := notifyTCD(t, e.DSN, nil)
		owner := d.Setup(t)
		mailSrv := newSMTPServer(t)
		host, portStr, _ := net.SplitHostPort(mailSrv.addr)
		port, _ := strconv.Atoi(portStr)
		settings := tc.EmailSettings{Host: host, Port: port, Username: "tcd", From: "tcd <tcd@example.com>", To: []string{"ops@example.com", "oncall@example.com"}}
		// Without the CA: refused at the handshake, nothing delivered.
		untrusted := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("untrusted"), Kind: ptr(tc.ReceiverEmail), Email: &settings, Secret: ptr("mail-pass")}))
		if untrusted.Email.TLS != tc.EmailStartTLS {
			t.Fatalf("default TLS mode: %+v", untrusted.Email)
		}
		bad := must[tc.NotifyDelivery](t)(owner.TestNotifyReceiver(bg, "untrusted"))
		if bad.Outcome != tc.DeliveryFailed || !strings.Contains(bad.Error, "certificate") || len(mailSrv.all()) != 0 {
			t.Fatalf("untrusted server: %+v (%d messages)", bad, len(mailSrv.all()))
		}
		settings.CACert = mailSrv.caPEM
		must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("mail"), Kind: ptr(tc.ReceiverEmail), Email: &settings, Secret: ptr("mail-pass")}))
		must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(2)), IsDefault: ptr(true)}))
		must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: ptr("mail-rule"), Event: ptr(tc.EventAgentNotReporting),
			GroupWindow: ptr(int64(0)), Receivers: &[]string{"mail"}}))
		beat(t, d, fleetIDs("mail-", 15))
		d.Clock.Advance(3 * time.Second)
		waitUntil(t, "the email", 15*time.Second, func() bool { return len(mailSrv.all()) == 1 })
		m := mailSrv.all()[0]
		if !m.tls || m.user != "tcd" || m.from != "tcd@example.com" || strings.Join(m.to, ",") != "ops@example.com,oncall@example.com" {
			t.Fatalf("envelope: tls=%v user=%q from=%q to=%v", m.tls, m.user, m.from, m.to)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if subject != "[FIRING] mail-rule: 15 agents not reporting" {
			t.Fatalf("subject %q", subject)
		}
		var body []byte
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
		} else {
			body, err = io.ReadAll(msg.Body)
		}
		if err != nil {
			t.Fatal(err)
		}
		text := string(body)
		for _, want := range []string{"Count: 15", "First 10:", "- mail-0000 (host-mail-0000)", "- mail-0009 (host-mail-0009)", "and 5 more"} {
			if !strings.Contains(text, want) {
				t.Fatalf("body lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "mail-0010") {
			t.Fatalf("body names more than the first ten:\n%s", text)
		}
	})
}
