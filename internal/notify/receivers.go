package notify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/mail"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// receiverRow is a row of notify_receivers.
type receiverRow struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	Kind        string
	URL         string `gorm:"column:url"`
	Headers     string // JSON object name → value
	Email       string // JSON tc.EmailSettings, email receivers only
	Secret      string
	RateLimit   int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (receiverRow) TableName() string { return "notify_receivers" }

func (r *receiverRow) headers() map[string]string {
	h := map[string]string{}
	_ = json.Unmarshal([]byte(r.Headers), &h)
	return h
}

func (r *receiverRow) email() *tc.EmailSettings {
	if r.Email == "" {
		return nil
	}
	var e tc.EmailSettings
	if json.Unmarshal([]byte(r.Email), &e) != nil {
		return nil
	}
	return &e
}

func (r *receiverRow) api(rules int) tc.NotifyReceiver {
	names := []string{}
	for k := range r.headers() {
		names = append(names, k)
	}
	sort.Strings(names)
	return tc.NotifyReceiver{ID: r.ID, Name: r.Name, Description: r.Description, Kind: r.Kind, URL: r.URL,
		HeaderNames: names, Email: r.email(), SecretSet: r.Secret != "", RateLimit: r.RateLimit, Rules: rules,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Receiver limits and defaults.
const (
	DefaultRateLimit = 60 // notifications per minute
	maxRateLimit     = 6000
	maxHeaders       = 20
	maxURLLen        = 2048
	maxSecretLen     = 1024
	maxRecipients    = 50
)

// reservedHeaders are set by tcd itself.
var reservedHeaders = map[string]bool{"Content-Type": true, "Content-Length": true, "Host": true, "User-Agent": true,
	"Transfer-Encoding": true, "Connection": true, HeaderSignature: true, HeaderTimestamp: true, HeaderDelivery: true, HeaderEvent: true}

func invalid(field, format string, args ...any) error {
	return tc.Errorf(tc.EInvalid, format, args...).With("field", field)
}

// checkHTTPURL validates a receiver URL.
func checkHTTPURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid("url", "url is required: the receiver's http:// or https:// address")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURLLen {
		return "", invalid("url", "url %q is not an absolute http:// or https:// URL of at most %d characters", clip(raw, 200), maxURLLen)
	}
	if u.User != nil {
		return "", invalid("url", "url must not carry a user or password: use a custom Authorization header (write-only) instead")
	}
	return raw, nil
}

func checkHeaders(h map[string]string) (map[string]string, error) {
	if len(h) > maxHeaders {
		return nil, invalid("headers", "at most %d custom headers", maxHeaders)
	}
	out := map[string]string{}
	for k, v := range h {
		name := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		if name == "" || strings.IndexFunc(name, func(r rune) bool {
			return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) >= 0 || len(name) > 100 {
			return nil, invalid("headers", "header name %q must be letters, digits and dashes", clip(k, 100))
		}
		if reservedHeaders[name] {
			return nil, invalid("headers", "header %s is set by tcd and cannot be overridden", name)
		}
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > 4096 {
			return nil, invalid("headers", "the value of header %s must be one line of at most 4096 bytes", name)
		}
		out[name] = v
	}
	return out, nil
}

func checkEmail(e *tc.EmailSettings) (*tc.EmailSettings, error) {
	if e == nil {
		return nil, invalid("email", "email receivers need email settings: host, from and to (port 587 and STARTTLS by default)")
	}
	out := *e
	out.Host = strings.TrimSpace(out.Host)
	if out.Host == "" || strings.ContainsAny(out.Host, " /\\@") || len(out.Host) > 253 {
		return nil, invalid("email.host", "email.host must be the SMTP server's host name or address")
	}
	out.TLS = strings.ToLower(strings.TrimSpace(out.TLS))
	switch out.TLS {
	case "":
		out.TLS = tc.EmailStartTLS
	case tc.EmailStartTLS, tc.EmailTLS, tc.EmailNoTLS:
	default:
		return nil, invalid("email.tls", "email.tls %q is not starttls, tls or none", out.TLS)
	}
	if out.Port == 0 {
		out.Port = 587
		if out.TLS == tc.EmailTLS {
			out.Port = 465
		}
	}
	if out.Port < 1 || out.Port > 65535 {
		return nil, invalid("email.port", "email.port must be from 1 to 65535")
	}
	if strings.ContainsAny(out.Username, "\r\n\x00") || len(out.Username) > 256 {
		return nil, invalid("email.username", "email.username must be one line of at most 256 characters")
	}
	from, err := mail.ParseAddress(out.From)
	if err != nil {
		return nil, invalid("email.from", "email.from %q is not an email address", clip(out.From, 200))
	}
	out.From = from.String()
	if len(out.To) == 0 || len(out.To) > maxRecipients {
		return nil, invalid("email.to", "email.to needs 1 to %d addresses", maxRecipients)
	}
	to := make([]string, len(out.To))
	for i, a := range out.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, invalid("email.to", "email.to %q is not an email address", clip(a, 200))
		}
		to[i] = addr.String()
	}
	out.To = to
	if out.CACert != "" {
		if len(out.CACert) > 64<<10 || !x509.NewCertPool().AppendCertsFromPEM([]byte(out.CACert)) {
			return nil, invalid("email.caCert", "email.caCert must be PEM certificates (at most 64 KiB)")
		}
	}
	return &out, nil
}

// applyReceiver validates req onto row (create: row is new).
func applyReceiver(row *receiverRow, req tc.NotifyReceiverRequest, create bool) error {
	if create {
		if req.Kind == nil {
			return invalid("kind", "kind is required: one of %s", strings.Join(tc.ReceiverKinds, ", "))
		}
		k := strings.ToLower(strings.TrimSpace(*req.Kind))
		ok := false
		for _, v := range tc.ReceiverKinds {
			ok = ok || v == k
		}
		if !ok {
			return invalid("kind", "unknown kind %q: use one of %s", *req.Kind, strings.Join(tc.ReceiverKinds, ", "))
		}
		row.Kind = k
		if req.Name == nil {
			return invalid("name", "name is required")
		}
		row.RateLimit = DefaultRateLimit
		row.Headers = "{}"
	} else if req.Kind != nil && strings.ToLower(strings.TrimSpace(*req.Kind)) != row.Kind {
		return invalid("kind", "the kind of a receiver cannot change: create a new receiver")
	}
	if req.Name != nil {
		n, err := tc.CheckName("name", *req.Name)
		if err != nil {
			return err
		}
		row.Name = n
	}
	if req.Description != nil {
		d, err := tc.CheckText("description", *req.Description, tc.MaxDescriptionLen)
		if err != nil {
			return err
		}
		row.Description = d
	}
	email := row.Kind == tc.ReceiverEmail
	if req.URL != nil {
		if email {
			return invalid("url", "email receivers take email settings, not a url")
		}
		u, err := checkHTTPURL(*req.URL)
		if err != nil {
			return err
		}
		if row.Kind == tc.ReceiverAlertmanager {
			u = strings.TrimSuffix(strings.TrimRight(u, "/"), "/api/v2/alerts")
		}
		row.URL = u
	} else if create && !email {
		_, err := checkHTTPURL("")
		return err
	}
	if req.Headers != nil {
		if email {
			return invalid("headers", "email receivers take no HTTP headers")
		}
		h, err := checkHeaders(req.Headers)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(h)
		row.Headers = string(b)
	}
	if req.Email != nil || (create && email) {
		if !email {
			return invalid("email", "only email receivers take email settings")
		}
		e, err := checkEmail(req.Email)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(e)
		row.Email = string(b)
	}
	if req.Secret != nil {
		switch {
		case row.Kind == tc.ReceiverSlack || row.Kind == tc.ReceiverAlertmanager:
			if *req.Secret != "" {
				return invalid("secret", "%s receivers take no secret (authenticate with a custom header if needed)", row.Kind)
			}
		case len(*req.Secret) > maxSecretLen || strings.ContainsAny(*req.Secret, "\x00"):
			return invalid("secret", "secret must be at most %d bytes", maxSecretLen)
		}
		row.Secret = *req.Secret
	}
	if req.RateLimit != nil {
		if *req.RateLimit < 1 || *req.RateLimit > maxRateLimit {
			return invalid("rateLimit", "rateLimit must be from 1 to %d notifications per minute", maxRateLimit)
		}
		row.RateLimit = *req.RateLimit
	}
	return nil
}

func (s *Service) receiverByRef(ctx context.Context, db *gorm.DB, ref string) (*receiverRow, error) {
	var r receiverRow
	err := db.WithContext(ctx).Where("id = ?", ref).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = db.WithContext(ctx).Where("name = ?", ref).Take(&r).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, tc.Errorf(tc.ENotFound, "notification receiver %q not found (tcctl notify receiver list shows them)", ref)
	}
	return &r, err
}

func (s *Service) ruleCounts(ctx context.Context, ids []string) (map[string]int, error) {
	out := map[string]int{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ReceiverID string
		N          int
	}
	err := s.st.Gorm(ctx).Raw("SELECT receiver_id, COUNT(*) AS n FROM notify_rule_receivers WHERE receiver_id IN ? GROUP BY receiver_id", ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ReceiverID] = r.N
	}
	return out, err
}

// ListReceivers returns every receiver, by name.
func (s *Service) ListReceivers(ctx context.Context) (tc.List[tc.NotifyReceiver], error) {
	var rows []receiverRow
	if err := s.st.Gorm(ctx).Order("name").Find(&rows).Error; err != nil {
		return tc.List[tc.NotifyReceiver]{}, err
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	counts, err := s.ruleCounts(ctx, ids)
	if err != nil {
		return tc.List[tc.NotifyReceiver]{}, err
	}
	out := make([]tc.NotifyReceiver, len(rows))
	for i := range rows {
		out[i] = rows[i].api(counts[rows[i].ID])
	}
	return tc.List[tc.NotifyReceiver]{Items: out, Total: len(out), Limit: len(out), Offset: 0}, nil
}

// GetReceiver returns a receiver by ID or name. Errors: not_found.
func (s *Service) GetReceiver(ctx context.Context, ref string) (tc.NotifyReceiver, error) {
	r, err := s.receiverByRef(ctx, s.st.Gorm(ctx), ref)
	if err != nil {
		return tc.NotifyReceiver{}, err
	}
	counts, err := s.ruleCounts(ctx, []string{r.ID})
	return r.api(counts[r.ID]), err
}

// CreateReceiver stores a receiver. Errors: invalid, conflict (name).
func (s *Service) CreateReceiver(ctx context.Context, req tc.NotifyReceiverRequest) (tc.NotifyReceiver, error) {
	row := receiverRow{}
	if err := applyReceiver(&row, req, true); err != nil {
		return tc.NotifyReceiver{}, err
	}
	row.ID = store.NewID()
	row.CreatedAt, row.UpdatedAt = s.st.Now(), s.st.Now()
	if err := s.st.Gorm(ctx).Create(&row).Error; err != nil {
		return tc.NotifyReceiver{}, conflict(err, "a notification receiver named %q already exists", row.Name)
	}
	return row.api(0), nil
}

// UpdateReceiver changes a receiver. Errors: not_found, invalid, conflict.
func (s *Service) UpdateReceiver(ctx context.Context, ref string, req tc.NotifyReceiverRequest) (tc.NotifyReceiver, error) {
	var out tc.NotifyReceiver
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		row, err := s.receiverByRef(ctx, db, ref)
		if err != nil {
			return err
		}
		if err := applyReceiver(row, req, false); err != nil {
			return err
		}
		row.UpdatedAt = s.st.Now()
		if err := db.Save(row).Error; err != nil {
			return conflict(err, "a notification receiver named %q already exists", row.Name)
		}
		out = row.api(0)
		return nil
	})
	if err != nil {
		return out, err
	}
	counts, err := s.ruleCounts(ctx, []string{out.ID})
	out.Rules = counts[out.ID]
	s.dropLimiter(out.ID)
	return out, err
}

// DeleteReceiver deletes a receiver and its undelivered notifications.
// Errors: not_found, conflict (rules still use it).
func (s *Service) DeleteReceiver(ctx context.Context, ref string) error {
	return s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		row, err := s.receiverByRef(ctx, db, ref)
		if err != nil {
			return err
		}
		var names []string
		if err := db.Raw(`SELECT r.name FROM notify_rules r JOIN notify_rule_receivers rr ON rr.rule_id = r.id
			WHERE rr.receiver_id = ? ORDER BY r.name`, row.ID).Scan(&names).Error; err != nil {
			return err
		}
		if len(names) > 0 {
			return tc.Errorf(tc.EConflict, "notification receiver %q is used by rule(s) %s: remove it from them first (tcctl notify rule edit)",
				row.Name, strings.Join(names, ", "))
		}
		if err := db.Exec("DELETE FROM notify_outbox WHERE receiver_id = ?", row.ID).Error; err != nil {
			return err
		}
		return db.Exec("DELETE FROM notify_receivers WHERE id = ?", row.ID).Error
	})
}

func conflict(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return tc.Errorf(tc.EConflict, format, args...).With("field", "name")
	}
	return err
}
