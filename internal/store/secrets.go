package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// SecretSetRow is a row of secret_sets. CipherKey is the sealed transit
// key and IV ("" while the cipher is none).
type SecretSetRow struct {
	Name      string `gorm:"primaryKey"`
	Cipher    string
	CipherKey string
	KeyID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (SecretSetRow) TableName() string { return "secret_sets" }

// SecretRow is a row of secrets: DataKey is the value's data key sealed by
// the key-encryption key KeyID names, Value the value sealed by the data
// key (both base64 of nonce‖ciphertext). No column holds a value in clear.
type SecretRow struct {
	SetName   string `gorm:"primaryKey"`
	Name      string `gorm:"primaryKey"`
	Version   int
	KeyID     string
	DataKey   string
	Value     string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

func (SecretRow) TableName() string { return "secrets" }

// SecretSetCount is a set with its number of secrets.
type SecretSetCount struct {
	SecretSetRow
	Secrets int
}

// ListSecretSets returns every set with its number of secrets, by name.
func (s *Store) ListSecretSets(ctx context.Context) ([]SecretSetCount, error) {
	var sets []SecretSetRow
	db := s.db.WithContext(ctx)
	if err := db.Order("name").Find(&sets).Error; err != nil {
		return nil, err
	}
	var counts []struct {
		SetName string
		N       int
	}
	if err := db.Model(&SecretRow{}).Select("set_name, count(*) AS n").Group("set_name").Scan(&counts).Error; err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for _, c := range counts {
		byName[c.SetName] = c.N
	}
	out := make([]SecretSetCount, len(sets))
	for i, r := range sets {
		out[i] = SecretSetCount{SecretSetRow: r, Secrets: byName[r.Name]}
	}
	return out, nil
}

// SecretSet returns one set.
func (s *Store) SecretSet(ctx context.Context, name string) (*SecretSetRow, error) {
	var r SecretSetRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "secret set %q not found", name)
	}
	return &r, err
}

// EnsureSecretSet creates the set if it does not exist.
func (s *Store) EnsureSecretSet(ctx context.Context, name string) (*SecretSetRow, error) {
	if r, err := s.SecretSet(ctx, name); err == nil || !tc.IsCode(err, tc.ENotFound) {
		return r, err
	}
	now := s.Now()
	r := SecretSetRow{Name: name, Cipher: tc.SecretCipherNone, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return nil, dbErr(err, "secret set")
	}
	return &r, nil
}

// UpdateSecretSet writes a set's cipher columns.
func (s *Store) UpdateSecretSet(ctx context.Context, r *SecretSetRow) error {
	r.UpdatedAt = s.Now()
	return s.db.WithContext(ctx).Model(&SecretSetRow{}).Where("name = ?", r.Name).
		Updates(map[string]any{"cipher": r.Cipher, "cipher_key": r.CipherKey, "key_id": r.KeyID, "updated_at": r.UpdatedAt}).Error
}

// DeleteSecretSet removes a set and its secrets.
func (s *Store) DeleteSecretSet(ctx context.Context, name string) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("set_name = ?", name).Delete(&SecretRow{}).Error; err != nil {
		return err
	}
	res := db.Where("name = ?", name).Delete(&SecretSetRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "secret set %q not found", name)
	}
	return nil
}

// ListSecrets returns a set's secrets by name.
func (s *Store) ListSecrets(ctx context.Context, set string) ([]SecretRow, error) {
	var out []SecretRow
	err := s.db.WithContext(ctx).Where("set_name = ?", set).Order("name").Find(&out).Error
	return out, err
}

// AllSecrets returns every secret of every set (key rotation).
func (s *Store) AllSecrets(ctx context.Context) ([]SecretRow, error) {
	var out []SecretRow
	err := s.db.WithContext(ctx).Order("set_name, name").Find(&out).Error
	return out, err
}

// SecretNames returns the names of every set's secrets (config lint).
func (s *Store) SecretNames(ctx context.Context) (map[string]map[string]bool, error) {
	var rows []struct{ SetName, Name string }
	if err := s.db.WithContext(ctx).Model(&SecretRow{}).Select("set_name, name").Scan(&rows).Error; err != nil {
		return nil, err
	}
	var sets []string
	if err := s.db.WithContext(ctx).Model(&SecretSetRow{}).Pluck("name", &sets).Error; err != nil {
		return nil, err
	}
	out := make(map[string]map[string]bool, len(sets))
	for _, n := range sets {
		out[n] = map[string]bool{}
	}
	for _, r := range rows {
		if out[r.SetName] == nil {
			out[r.SetName] = map[string]bool{}
		}
		out[r.SetName][r.Name] = true
	}
	return out, nil
}

// Secret returns one secret.
func (s *Store) Secret(ctx context.Context, set, name string) (*SecretRow, error) {
	var r SecretRow
	err := s.db.WithContext(ctx).Where("set_name = ? AND name = ?", set, name).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "secret %q not found in set %q", name, set)
	}
	return &r, err
}

// CountSecrets returns the number of secrets in a set.
func (s *Store) CountSecrets(ctx context.Context, set string) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&SecretRow{}).Where("set_name = ?", set).Count(&n).Error
	return int(n), err
}

// PutSecret inserts r or replaces the sealed columns of the existing row
// (bumping its version).
func (s *Store) PutSecret(ctx context.Context, r *SecretRow) error {
	db := s.db.WithContext(ctx)
	res := db.Model(&SecretRow{}).Where("set_name = ? AND name = ?", r.SetName, r.Name).Updates(map[string]any{
		"version": gorm.Expr("version + 1"), "key_id": r.KeyID, "data_key": r.DataKey, "value": r.Value,
		"updated_at": r.UpdatedAt, "updated_by": r.UpdatedBy})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected > 0 {
		return nil
	}
	r.Version = 1
	return dbErr(db.Create(r).Error, "secret")
}

// ResealSecret replaces the sealed columns of a secret without a new
// version (key rotation: the value is the same).
func (s *Store) ResealSecret(ctx context.Context, r *SecretRow) error {
	return s.db.WithContext(ctx).Model(&SecretRow{}).Where("set_name = ? AND name = ?", r.SetName, r.Name).
		Updates(map[string]any{"key_id": r.KeyID, "data_key": r.DataKey, "value": r.Value}).Error
}

// DeleteSecret removes one secret.
func (s *Store) DeleteSecret(ctx context.Context, set, name string) error {
	res := s.db.WithContext(ctx).Where("set_name = ? AND name = ?", set, name).Delete(&SecretRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "secret %q not found in set %q", name, set)
	}
	return nil
}

// SecretKeyIDs returns the IDs of the key-file keys that sealed anything
// in the secret tables, with how many items each sealed.
func (s *Store) SecretKeyIDs(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, q := range []string{
		"SELECT key_id AS id, count(*) AS n FROM secrets GROUP BY key_id",
		"SELECT key_id AS id, count(*) AS n FROM secret_sets WHERE cipher_key <> '' GROUP BY key_id",
	} {
		var rows []struct {
			ID string
			N  int
		}
		if err := s.db.WithContext(ctx).Raw(q).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] += r.N
		}
	}
	return out, nil
}
