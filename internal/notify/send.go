package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Sender constants.
const (
	// SendTimeout bounds one delivery attempt.
	SendTimeout = 15 * time.Second
	// claimLease is how long a claimed notification is reserved for the
	// node sending it; a node that dies mid-send frees it after this.
	claimLease    = 45 * time.Second
	claimBatch    = 32
	sendPoll      = time.Second
	maxErrorBytes = 512
)

// delivery is the result of one attempt.
type delivery struct {
	ok         bool
	permanent  bool // retrying cannot help (a 4xx answer, a bad setting)
	httpStatus int
	err        string
	took       time.Duration
}

// Run delivers the outbox until ctx ends: on the leader only, whenever an
// evaluation decided something and at least every second.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(sendPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		if !s.leader() {
			continue
		}
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("delivering notifications failed; retrying", "err", err)
		}
	}
}

// DeliverDue sends every notification that is due now (the head of each
// receiver's queue, in order) and returns how many attempts it made.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if !s.claimsOK {
		// A single SQLite node owns every claim: one left from before a
		// restart is stale. (On PostgreSQL the lease runs out instead.)
		if s.st.Dialect() == store.SQLite {
			if err := s.st.Gorm(ctx).Exec("UPDATE notify_outbox SET claimed_until_ms = 0 WHERE state = 'pending' AND claimed_until_ms <> 0").Error; err != nil {
				return 0, err
			}
		}
		s.claimsOK = true
	}
	total := 0
	for ctx.Err() == nil {
		rows, err := s.claim(ctx)
		if err != nil || len(rows) == 0 {
			return total, err
		}
		recv, err := s.receiversOf(ctx, rows)
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		results := make([]*delivery, len(rows))
		for i := range rows {
			r := recv[rows[i].ReceiverID]
			if r == nil {
				continue // deleted meanwhile: its rows went with it
			}
			if wait := s.reserve(r, s.now()); wait > 0 {
				if err := s.postpone(ctx, &rows[i], wait); err != nil {
					return total, err
				}
				continue
			}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var n tc.Notification
				if err := json.Unmarshal([]byte(rows[i].Payload), &n); err != nil {
					results[i] = &delivery{permanent: true, err: "unreadable notification: " + err.Error()}
					return
				}
				d := s.send(ctx, r, rows[i].ID, n)
				results[i] = &d
			}(i)
		}
		wg.Wait()
		// An acknowledged delivery is recorded even while tcd stops; an
		// attempt cut short by the stop is not an attempt (its claim
		// lapses and it is sent again).
		rec := context.WithoutCancel(ctx)
		for i := range rows {
			if results[i] == nil || (!results[i].ok && ctx.Err() != nil) {
				continue
			}
			total++
			if err := s.record(rec, &rows[i], recv[rows[i].ReceiverID], *results[i]); err != nil {
				return total, err
			}
		}
	}
	return total, ctx.Err()
}

// claim reserves the due head of each receiver's queue. On PostgreSQL the
// rows are locked FOR UPDATE SKIP LOCKED, so two nodes never claim one row.
func (s *Service) claim(ctx context.Context) ([]outboxRow, error) {
	now := s.now().UnixMilli()
	var rows []outboxRow
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		q := `SELECT * FROM notify_outbox o WHERE o.state = 'pending' AND o.next_attempt_ms <= ? AND o.claimed_until_ms <= ?
			AND o.seq = (SELECT MIN(p.seq) FROM notify_outbox p WHERE p.receiver_id = o.receiver_id AND p.state = 'pending')
			ORDER BY o.seq LIMIT ?`
		if tx.Dialect() == store.Postgres {
			q += " FOR UPDATE SKIP LOCKED"
		}
		if err := db.Raw(q, now, now, claimBatch).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		return db.Exec("UPDATE notify_outbox SET claimed_until_ms = ? WHERE id IN ?", now+claimLease.Milliseconds(), ids).Error
	})
	return rows, err
}

func (s *Service) receiversOf(ctx context.Context, rows []outboxRow) (map[string]*receiverRow, error) {
	ids := make([]string, 0, len(rows))
	for i := range rows {
		ids = append(ids, rows[i].ReceiverID)
	}
	var recv []receiverRow
	if err := s.st.Gorm(ctx).Where("id IN ?", ids).Find(&recv).Error; err != nil {
		return nil, err
	}
	out := make(map[string]*receiverRow, len(recv))
	for i := range recv {
		out[recv[i].ID] = &recv[i]
	}
	return out, nil
}

// limiterEntry is one receiver's rate limiter and the limit it was built for.
type limiterEntry struct {
	perMinute int
	lim       *rate.Limiter
}

// reserve takes one send from the receiver's rate limit at now; it returns
// how long to wait instead when the limit is spent (nothing is taken then).
// Bursts of up to a tenth of a minute's allowance go at once.
func (s *Service) reserve(r *receiverRow, now time.Time) time.Duration {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	e := s.limiters[r.ID]
	if e == nil || e.perMinute != r.RateLimit {
		burst := max(1, r.RateLimit/10)
		e = &limiterEntry{perMinute: r.RateLimit, lim: rate.NewLimiter(rate.Limit(float64(r.RateLimit)/60), burst)}
		s.limiters[r.ID] = e
	}
	res := e.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

func (s *Service) dropLimiter(id string) {
	s.limMu.Lock()
	delete(s.limiters, id)
	s.limMu.Unlock()
}

// postpone hands a rate-limited notification back without counting an
// attempt.
func (s *Service) postpone(ctx context.Context, row *outboxRow, wait time.Duration) error {
	next := s.now().Add(wait).UnixMilli()
	return s.st.Gorm(ctx).Exec("UPDATE notify_outbox SET claimed_until_ms = 0, next_attempt_ms = ? WHERE id = ?", next, row.ID).Error
}

// Backoff returns the delay before retry number attempt (1 = the first):
// initial doubled per attempt up to max, of which a random part of up to
// half is taken off (jitter), so receivers that come back are not hit by
// every tcd at once.
func Backoff(attempt int, initial, maxDelay time.Duration) time.Duration {
	d := initial
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := d / 2
	return d - half + rand.N(half+1)
}

// record stores an attempt's outcome and logs it.
func (s *Service) record(ctx context.Context, row *outboxRow, r *receiverRow, d delivery) error {
	now := s.now()
	row.Attempts++
	outcome := tc.DeliverySuccess
	state, next := outboxDelivered, row.NextAttemptMs
	switch {
	case d.ok:
	case d.permanent || now.Sub(time.UnixMilli(row.CreatedMs)) >= s.opts.GiveUpAfter:
		outcome, state = tc.DeliveryFailed, outboxFailed
	default:
		outcome, state = tc.DeliveryRetry, outboxPending
		next = now.Add(Backoff(row.Attempts, s.opts.RetryInitial, s.opts.RetryMax)).UnixMilli()
	}
	done := int64(0)
	if state != outboxPending {
		done = now.UnixMilli()
	}
	var n tc.Notification
	_ = json.Unmarshal([]byte(row.Payload), &n)
	if row.Status == statusRefresh && outcome != tc.DeliveryRetry {
		// A refresh is done either way: delivered, or refused for good
		// (the next one follows within a minute). Only failures are logged.
		if err := s.st.Gorm(ctx).Exec("DELETE FROM notify_outbox WHERE id = ?", row.ID).Error; err != nil {
			return err
		}
		if outcome == tc.DeliverySuccess {
			if s.opts.OnDelivery != nil {
				s.opts.OnDelivery(r.Name, outcome)
			}
			return nil
		}
	}
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		if err := db.Exec(`UPDATE notify_outbox SET state = ?, attempts = ?, next_attempt_ms = ?, claimed_until_ms = 0, last_error = ?, done_ms = ?
			WHERE id = ?`, state, row.Attempts, next, d.err, done, row.ID).Error; err != nil {
			return err
		}
		return db.Create(&deliveryRow{ID: newDeliveryID(), AtMs: now.UnixMilli(), ReceiverID: r.ID, ReceiverName: r.Name, RuleID: n.Rule.ID,
			RuleName: n.Rule.Name, NotificationID: n.ID, Event: n.Event, Status: n.Status, GroupValue: n.Group, Attempt: row.Attempts,
			Outcome: outcome, HTTPStatus: d.httpStatus, Error: d.err, DurationMs: d.took.Milliseconds()}).Error
	})
	if err != nil {
		return err
	}
	if s.opts.OnDelivery != nil {
		s.opts.OnDelivery(r.Name, outcome)
	}
	switch outcome {
	case tc.DeliveryRetry:
		s.log.Warn("notification not delivered; will retry", "receiver", r.Name, "notification", n.ID, "attempt", row.Attempts,
			"retryAt", time.UnixMilli(next).UTC(), "err", d.err)
	case tc.DeliveryFailed:
		s.log.Error("notification abandoned", "receiver", r.Name, "notification", n.ID, "attempts", row.Attempts, "err", d.err)
	}
	return nil
}

// send makes one attempt to deliver n to r; deliveryID names it for the
// receiver (HeaderDelivery).
func (s *Service) send(ctx context.Context, r *receiverRow, deliveryID string, n tc.Notification) delivery {
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	start := time.Now()
	var d delivery
	switch r.Kind {
	case tc.ReceiverWebhook:
		body, _ := json.Marshal(n)
		d = s.post(ctx, r, r.URL, deliveryID, n.Event, body)
	case tc.ReceiverSlack:
		body, _ := json.Marshal(map[string]string{"text": Text(n)})
		d = s.post(ctx, r, r.URL, deliveryID, n.Event, body)
	case tc.ReceiverAlertmanager:
		body, _ := json.Marshal(alertmanagerAlerts(n, s.now()))
		d = s.post(ctx, r, strings.TrimRight(r.URL, "/")+"/api/v2/alerts", deliveryID, n.Event, body)
	case tc.ReceiverEmail:
		d = s.sendEmail(ctx, r, n)
	default:
		d = delivery{permanent: true, err: "unknown receiver kind " + r.Kind}
	}
	d.took = time.Since(start)
	return d
}

// httpClient follows no redirects: a signed notification goes only where
// the receiver's URL says.
var httpClient = &http.Client{
	Transport:     &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (s *Service) post(ctx context.Context, r *receiverRow, url, deliveryID, event string, body []byte) delivery {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return delivery{permanent: true, err: err.Error()}
	}
	for k, v := range r.headers() {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.opts.UserAgent)
	if r.Kind == tc.ReceiverWebhook {
		ts := s.now().Unix()
		req.Header.Set(HeaderDelivery, deliveryID)
		req.Header.Set(HeaderEvent, event)
		req.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
		if r.Secret != "" {
			req.Header.Set(HeaderSignature, Sign(r.Secret, ts, body))
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return delivery{err: clip(err.Error(), maxErrorBytes)}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	d := delivery{httpStatus: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		d.ok = true
	case c == http.StatusRequestTimeout || c == http.StatusTooEarly || c == http.StatusTooManyRequests || c >= 500:
		d.err = fmt.Sprintf("HTTP %d: %s", c, oneLine(msg))
	default:
		d.permanent = true
		d.err = fmt.Sprintf("HTTP %d (not retried): %s", c, oneLine(msg))
	}
	return d
}

func oneLine(b []byte) string {
	return clip(strings.Join(strings.Fields(string(b)), " "), maxErrorBytes)
}

func (s *Service) sendEmail(ctx context.Context, r *receiverRow, n tc.Notification) delivery {
	e := r.email()
	if e == nil {
		return delivery{permanent: true, err: "the receiver has no email settings"}
	}
	tcfg := &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}
	if e.CACert != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM([]byte(e.CACert))
		tcfg.RootCAs = pool
	}
	opts := []mail.Option{mail.WithPort(e.Port), mail.WithTimeout(SendTimeout), mail.WithTLSConfig(tcfg)}
	switch e.TLS {
	case tc.EmailTLS:
		opts = append(opts, mail.WithSSL())
	case tc.EmailNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username), mail.WithPassword(r.Secret))
	}
	c, err := mail.NewClient(e.Host, opts...)
	if err != nil {
		return delivery{permanent: true, err: clip(err.Error(), maxErrorBytes)}
	}
	m := mail.NewMsg()
	if err := m.From(e.From); err != nil {
		return delivery{permanent: true, err: err.Error()}
	}
	if err := m.To(e.To...); err != nil {
		return delivery{permanent: true, err: err.Error()}
	}
	m.Subject(Title(n))
	m.SetMessageID()
	m.SetDate()
	m.SetGenHeader("X-Tc-Event", n.Event)
	m.SetBodyString(mail.TypeTextPlain, Text(n))
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		// A refusal with a 5xx reply code is permanent; anything else
		// (connection, 4xx) is worth retrying.
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return delivery{permanent: true, err: clip(err.Error(), maxErrorBytes)}
		}
		return delivery{err: clip(err.Error(), maxErrorBytes)}
	}
	return delivery{ok: true}
}

// Test sends a test notification to a receiver now, outside the outbox
// (no retry, no rate limit), logs the attempt and returns it.
func (s *Service) Test(ctx context.Context, ref string) (tc.NotifyDelivery, error) {
	r, err := s.receiverByRef(ctx, s.st.Gorm(ctx), ref)
	if err != nil {
		return tc.NotifyDelivery{}, err
	}
	now := s.now().UTC()
	n := tc.Notification{Version: 1, ID: store.NewID(), Status: tc.NotifyFiring, Event: "test", Count: 1,
		Items: []tc.NotifyItem{{ID: "test", Name: "a test notification"}}, StartsAt: now, Test: true}
	n.Summary = Summary(n, 0, 0)
	deliveryID := newDeliveryID()
	d := s.send(ctx, r, deliveryID, n)
	outcome := tc.DeliverySuccess
	if !d.ok {
		outcome = tc.DeliveryFailed
	}
	row := deliveryRow{ID: deliveryID, AtMs: s.now().UnixMilli(), ReceiverID: r.ID, ReceiverName: r.Name, NotificationID: n.ID,
		Event: n.Event, Status: n.Status, Attempt: 1, Outcome: outcome, HTTPStatus: d.httpStatus, Error: d.err, DurationMs: d.took.Milliseconds()}
	if err := s.st.Gorm(ctx).Create(&row).Error; err != nil {
		return tc.NotifyDelivery{}, err
	}
	if s.opts.OnDelivery != nil {
		s.opts.OnDelivery(r.Name, outcome)
	}
	return row.api(), nil
}

// QueueDepth counts notifications waiting for delivery.
func (s *Service) QueueDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.st.Gorm(ctx).Raw("SELECT COUNT(*) FROM notify_outbox WHERE state = 'pending'").Scan(&n).Error
	return n, err
}
