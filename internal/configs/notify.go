package configs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opentc/tc/internal/store"
)

// notifyChannel is the PostgreSQL channel on which every tcd of a cluster
// announces a change of configurations, so the others drop their render
// caches at once (SQLite is single-node and needs none of this).
const notifyChannel = "tc_configs_changed"

// Listen starts following other nodes' changes on PostgreSQL; it returns at
// once and stops at Close. On SQLite it does nothing. A lost connection is
// re-established, and the cache is dropped then too (notifications sent
// meanwhile are lost).
func (s *Service) Listen() {
	if s.st.Dialect() != store.Postgres {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopListen = func() { cancel(); <-done }
	go func() {
		defer close(done)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listenOnce(ctx)
			if ctx.Err() != nil {
				return
			}
			s.cache.invalidate()
			s.log.Warn("config change listener lost its connection; reconnecting", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			if backoff < 10*time.Second {
				backoff *= 2
			}
		}
	}()
}

func (s *Service) listenOnce(ctx context.Context) error {
	db, err := s.st.Gorm(ctx).DB()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	s.cache.invalidate() // anything may have changed before LISTEN took effect
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
		}
		for {
			if _, err := sc.Conn().WaitForNotification(ctx); err != nil {
				if errors.Is(err, context.Canceled) {
					// The connection is mid-wait: discard it rather than
					// return it to the pool.
					return sql.ErrConnDone
				}
				return err
			}
			s.cache.invalidate()
		}
	})
}

// notify tells the other nodes of a change; it is part of the writing
// transaction, so PostgreSQL delivers it only on commit.
func notify(ctx context.Context, tx *store.Store) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	return tx.Gorm(ctx).Exec("SELECT pg_notify(?, '')", notifyChannel).Error
}
