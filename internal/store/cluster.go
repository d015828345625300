package store

import "context"

// ChangeChannel is the PostgreSQL channel cache invalidations travel on; the
// payload is the topic.
const ChangeChannel = "tc_changes"

// Cache topics.
const (
	TopicCredentials = "credentials"
	TopicSettings    = "settings"
	TopicConfigs     = "configs"
	TopicAdvisories  = "advisories"
)

// PublishChange tells the other nodes of a cluster that topic changed: it
// bumps the topic's counter and sends a NOTIFY, both delivered when the
// surrounding transaction commits (or at once outside one). On SQLite,
// which is single-node, it does nothing.
func (s *Store) PublishChange(ctx context.Context, topic string) error {
	if s.dialect != Postgres {
		return nil
	}
	db := s.db.WithContext(ctx)
	if err := db.Exec("UPDATE cluster_versions SET version = version + 1 WHERE topic = ?", topic).Error; err != nil {
		return err
	}
	return db.Exec("SELECT pg_notify(?, ?)", ChangeChannel, topic).Error
}

// ChangeVersions returns every topic's counter.
func (s *Store) ChangeVersions(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Topic   string
		Version int64
	}
	err := s.db.WithContext(ctx).Raw("SELECT topic, version FROM cluster_versions").Scan(&rows).Error
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Topic] = r.Version
	}
	return out, err
}
