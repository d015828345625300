// Package cluster lets several tcd nodes share one PostgreSQL database: a
// change bus that invalidates every node's caches (LISTEN/NOTIFY, with a
// counter poll as the safety net) and a leader elector (a session-level
// advisory lock on a dedicated connection). On SQLite, which is
// single-node, the bus is idle and the node is always the leader.
package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opentc/tc/internal/store"
)

// Bus delivers other nodes' cache invalidations to local handlers.
type Bus struct {
	st   *store.Store
	log  *slog.Logger
	poll time.Duration

	mu       sync.Mutex
	handlers map[string][]func()
	seen     map[string]int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewBus returns a bus; poll is the safety-net interval.
func NewBus(st *store.Store, log *slog.Logger, poll time.Duration) *Bus {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	return &Bus{st: st, log: log, poll: poll, handlers: map[string][]func(){}, seen: map[string]int64{}}
}

// Subscribe runs fn whenever topic changes on any node (including,
// harmlessly, this one). Subscribe before Start.
func (b *Bus) Subscribe(topic string, fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[topic] = append(b.handlers[topic], fn)
}

func (b *Bus) fire(topic string) {
	b.mu.Lock()
	hs := append([]func(){}, b.handlers[topic]...)
	b.mu.Unlock()
	for _, h := range hs {
		h()
	}
}

func (b *Bus) fireAll() {
	b.mu.Lock()
	topics := make([]string, 0, len(b.handlers))
	for t := range b.handlers {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	for _, t := range topics {
		b.fire(t)
	}
}

// Start begins listening and polling (PostgreSQL only).
func (b *Bus) Start() {
	if b.st.Dialect() != store.Postgres {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	if v, err := b.st.ChangeVersions(ctx); err == nil {
		b.mu.Lock()
		b.seen = v
		b.mu.Unlock()
	}
	b.wg.Add(2)
	go func() { defer b.wg.Done(); b.listenLoop(ctx) }()
	go func() { defer b.wg.Done(); b.pollLoop(ctx) }()
}

// Close stops the bus.
func (b *Bus) Close() {
	if b.cancel != nil {
		b.cancel()
		b.wg.Wait()
	}
}

func (b *Bus) listenLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		// Notifications sent while we were away are lost: assume everything changed.
		b.fireAll()
		b.log.Warn("cluster change listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func (b *Bus) listenOnce(ctx context.Context) error {
	db, err := b.st.Gorm(ctx).DB()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "LISTEN "+store.ChangeChannel); err != nil {
		return err
	}
	b.fireAll() // anything may have changed before LISTEN took effect
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
		}
		for {
			n, err := sc.Conn().WaitForNotification(ctx)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return sql.ErrConnDone // mid-wait: never hand this connection back to the pool
				}
				return err
			}
			b.fire(n.Payload)
		}
	})
}

// pollLoop compares the change counters with what it saw last: a change
// whose NOTIFY was lost (a silently broken connection) is caught here.
func (b *Bus) pollLoop(ctx context.Context) {
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := b.st.ChangeVersions(ctx)
		if err != nil {
			continue
		}
		b.mu.Lock()
		var changed []string
		for topic, v := range cur {
			if b.seen[topic] != v {
				changed = append(changed, topic)
			}
		}
		b.seen = cur
		b.mu.Unlock()
		for _, topic := range changed {
			b.fire(topic)
		}
	}
}
