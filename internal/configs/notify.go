package configs

import (
	"context"

	"github.com/opentc/tc/internal/store"
)

// notify tells the other nodes of a cluster that configurations changed; it
// runs in the writing transaction, so they hear of it only on commit. The
// cluster bus (internal/cluster) delivers it to their DropCache.
func notify(ctx context.Context, tx *store.Store) error {
	return tx.PublishChange(ctx, store.TopicConfigs)
}

// DropCache forgets every rendering and kept version (another node changed
// configurations).
func (s *Service) DropCache() { s.dropCaches() }
