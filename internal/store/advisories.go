package store

import (
	"context"
	"encoding/json"

	"github.com/opentc/tc/pkg/tc"
)

// AdvisoryRow is a row of advisories (security advisories in the OSV
// format). Times are unix milliseconds.
type AdvisoryRow struct {
	ID          string `gorm:"primaryKey"`
	Summary     string
	Severity    string
	ModifiedMs  *int64
	WithdrawnMs *int64
	Document    string
	Digest      string
	Source      string
	CreatedMs   int64
	UpdatedMs   int64
	AckedMs     *int64
	AckedBy     string
	AckNote     string
}

func (AdvisoryRow) TableName() string { return "advisories" }

// advisoryImportLockKey serializes imports on PostgreSQL, so two imports of
// the same new advisory do not both insert it.
const advisoryImportLockKey = 7_451_220_031

// LockAdvisoryImports takes the import lock until the surrounding
// transaction ends (PostgreSQL; SQLite writers are serialized already).
func (s *Store) LockAdvisoryImports(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return s.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", advisoryImportLockKey).Error
}

// AdvisoryRows returns every advisory, by ID.
func (s *Store) AdvisoryRows(ctx context.Context) ([]AdvisoryRow, error) {
	var out []AdvisoryRow
	err := s.db.WithContext(ctx).Order("id").Find(&out).Error
	return out, err
}

// AdvisoryVersions returns the stored digest and modification time of the
// advisories among ids that exist (only those columns are filled).
func (s *Store) AdvisoryVersions(ctx context.Context, ids []string) (map[string]AdvisoryRow, error) {
	out := make(map[string]AdvisoryRow, len(ids))
	const chunk = 500
	for i := 0; i < len(ids); i += chunk {
		end := min(i+chunk, len(ids))
		var rows []AdvisoryRow
		if err := s.db.WithContext(ctx).Select("id", "digest", "modified_ms").Where("id IN ?", ids[i:end]).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// InsertAdvisory stores a new advisory.
func (s *Store) InsertAdvisory(ctx context.Context, r AdvisoryRow) error {
	return dbErr(s.db.WithContext(ctx).Create(&r).Error, "advisory "+r.ID)
}

// UpdateAdvisory replaces an advisory's content; its creation time and
// acknowledgement stay.
func (s *Store) UpdateAdvisory(ctx context.Context, r AdvisoryRow) error {
	return s.db.WithContext(ctx).Model(&AdvisoryRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"summary": r.Summary, "severity": r.Severity, "modified_ms": r.ModifiedMs, "withdrawn_ms": r.WithdrawnMs,
		"document": r.Document, "digest": r.Digest, "source": r.Source, "updated_ms": r.UpdatedMs,
	}).Error
}

// SetAdvisoryAck records (ackedMs set) or clears (nil) an advisory's
// acknowledgement; ENotFound when there is no such advisory.
func (s *Store) SetAdvisoryAck(ctx context.Context, id string, ackedMs *int64, by, note string) error {
	res := s.db.WithContext(ctx).Model(&AdvisoryRow{}).Where("id = ?", id).
		Updates(map[string]any{"acked_ms": ackedMs, "acked_by": by, "ack_note": note})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "advisory %q not found: tcctl advisory list --all shows the imported ones", id)
	}
	return nil
}

// AgentVersionCounts counts agents by the version string they report: one
// grouped scan, however large the fleet (a fleet runs few versions).
func (s *Store) AgentVersionCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Version string
		N       int
	}
	if err := s.db.WithContext(ctx).Raw("SELECT version, COUNT(*) AS n FROM agents GROUP BY version").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Version] = r.N
	}
	return out, nil
}

// ExposureFilter narrows agents by the advisories that apply to them. The
// agents service resolves Exposed ("true" or "false"), Severity (the
// least severity counted) and Advisory (one advisory's ID) into Versions:
// when VersionsSet, only agents whose version string is in Versions (not
// in it, with ExcludeVersions) match.
type ExposureFilter struct {
	Exposed  string
	Severity string
	Advisory string

	Versions        []string
	VersionsSet     bool
	ExcludeVersions bool
}

// versionSetClause is the condition "the agent's version string is (not)
// in the set passed as one JSON array parameter": one placeholder however
// many versions (agents choose their version strings, so the set has no
// useful bound).
func (s *Store) versionSetClause(exclude bool) string {
	op := "IN"
	if exclude {
		op = "NOT IN"
	}
	if s.dialect == Postgres {
		return "agents.version " + op + " (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
	}
	return "agents.version " + op + " (SELECT value FROM json_each(?))"
}

func versionSetParam(vs []string) string {
	if vs == nil {
		vs = []string{}
	}
	b, _ := json.Marshal(vs)
	return string(b)
}
