package notify

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// deliveryRow is a row of notify_deliveries: one delivery attempt.
type deliveryRow struct {
	ID             string `gorm:"primaryKey"`
	AtMs           int64
	ReceiverID     string
	ReceiverName   string
	RuleID         string
	RuleName       string
	NotificationID string
	Event          string
	Status         string
	GroupValue     string
	Attempt        int
	Outcome        string
	HTTPStatus     int `gorm:"column:http_status"`
	Error          string
	DurationMs     int64
}

func (deliveryRow) TableName() string { return "notify_deliveries" }

// newDeliveryID returns a time-ordered ID (UUIDv7, monotonic within this
// process), so the log lists attempts of one millisecond in order.
func newDeliveryID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return store.NewID()
}

func (d *deliveryRow) api() tc.NotifyDelivery {
	return tc.NotifyDelivery{ID: d.ID, Time: time.UnixMilli(d.AtMs).UTC(), ReceiverID: d.ReceiverID, Receiver: d.ReceiverName,
		RuleID: d.RuleID, Rule: d.RuleName, NotificationID: d.NotificationID, Event: d.Event, Status: d.Status, Group: d.GroupValue,
		Attempt: d.Attempt, Outcome: d.Outcome, HTTPStatus: d.HTTPStatus, Error: d.Error, DurationMs: d.DurationMs}
}

// LogFilter narrows the delivery log.
type LogFilter struct {
	// Receiver is a receiver ID or name ("" = all); receivers deleted since
	// are found by name.
	Receiver string
	// Since keeps attempts at or after it (zero = all).
	Since time.Time
	// Outcome keeps one outcome (success, retry, failed; "" = all).
	Outcome string
	tc.Page
}

// Log returns delivery attempts, newest first.
func (s *Service) Log(ctx context.Context, f LogFilter) (tc.List[tc.NotifyDelivery], error) {
	q := s.st.Gorm(ctx).Model(&deliveryRow{})
	if f.Receiver != "" {
		ids := []string{f.Receiver}
		if r, err := s.receiverByRef(ctx, s.st.Gorm(ctx), f.Receiver); err == nil {
			ids = append(ids, r.ID)
		}
		q = q.Where("(receiver_id IN ? OR receiver_name = ?)", ids, f.Receiver)
	}
	if !f.Since.IsZero() {
		q = q.Where("at_ms >= ?", f.Since.UnixMilli())
	}
	if f.Outcome != "" {
		switch f.Outcome {
		case tc.DeliverySuccess, tc.DeliveryRetry, tc.DeliveryFailed:
		default:
			return tc.List[tc.NotifyDelivery]{}, invalid("outcome", "outcome %q is not success, retry or failed", f.Outcome)
		}
		q = q.Where("outcome = ?", f.Outcome)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return tc.List[tc.NotifyDelivery]{}, err
	}
	var rows []deliveryRow
	if err := q.Order("at_ms DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return tc.List[tc.NotifyDelivery]{}, err
	}
	out := make([]tc.NotifyDelivery, len(rows))
	for i := range rows {
		out[i] = rows[i].api()
	}
	return tc.List[tc.NotifyDelivery]{Items: out, Total: int(total), Limit: f.Limit, Offset: f.Offset}, nil
}
