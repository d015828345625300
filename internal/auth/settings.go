package auth

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

func (st Settings) api() tc.Settings {
	return tc.Settings{
		LoginLockoutAttempts:   st.LockoutAttempts,
		LoginLockoutMinutes:    int(st.LockoutDuration / time.Minute),
		PasswordComplexity:     st.Complexity,
		SessionLifetimeMinutes: int(st.SessionLifetime / time.Minute),
		PublicAPIURL:           st.PublicAPIURL,
		HeartbeatURL:           st.HeartbeatURL,
		AuditRetentionHours:    int(st.AuditRetention / time.Hour),
	}
}

// GetSettings returns the settings (settings:read).
func (s *Service) GetSettings(p *Principal) (tc.Settings, error) {
	if err := Require(p, tc.Perm(tc.ResSettings, tc.ActRead)); err != nil {
		return tc.Settings{}, err
	}
	return s.Settings().api(), nil
}

func checkPublicURL(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil // blank: derived from the request
	}
	u, err := url.Parse(v)
	switch {
	case len(v) > 2048:
		return "", tc.Errorf(tc.EInvalid, "%s must be at most 2048 characters", field).With("field", field)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", tc.Errorf(tc.EInvalid, "%s must be an absolute http(s) URL such as https://tcd.example.com:8888", field).With("field", field)
	case strings.HasSuffix(v, "/"):
		return "", tc.Errorf(tc.EInvalid, "%s must not end with a slash", field).With("field", field)
	}
	return v, nil
}

// UpdateSettings changes settings (settings:write); every value is checked
// before anything is stored.
func (s *Service) UpdateSettings(ctx context.Context, p *Principal, req tc.SettingsPatch) (tc.Settings, error) {
	if err := Require(p, tc.Perm(tc.ResSettings, tc.ActWrite)); err != nil {
		return tc.Settings{}, err
	}
	next := s.Settings()
	changed := 0
	if v := req.LoginLockoutAttempts; v != nil {
		if *v < 1 || *v > 1000 {
			return tc.Settings{}, tc.Errorf(tc.EInvalid, "loginLockoutAttempts must be from 1 to 1000").With("field", "loginLockoutAttempts")
		}
		next.LockoutAttempts, changed = *v, changed+1
	}
	if v := req.LoginLockoutMinutes; v != nil {
		if *v < 1 || *v > 100000 {
			return tc.Settings{}, tc.Errorf(tc.EInvalid, "loginLockoutMinutes must be from 1 to 100000").With("field", "loginLockoutMinutes")
		}
		next.LockoutDuration, changed = time.Duration(*v)*time.Minute, changed+1
	}
	if v := req.PasswordComplexity; v != nil {
		c, err := tc.ParseComplexity(string(*v))
		if err != nil {
			return tc.Settings{}, tc.Errorf(tc.EInvalid, "%s", tc.ErrorMessage(err)).With("field", "passwordComplexity")
		}
		next.Complexity, changed = c, changed+1
	}
	if v := req.SessionLifetimeMinutes; v != nil {
		if *v < 1 || *v > 365*24*60 {
			return tc.Settings{}, tc.Errorf(tc.EInvalid, "sessionLifetimeMinutes must be from 1 to 525600").With("field", "sessionLifetimeMinutes")
		}
		next.SessionLifetime, changed = time.Duration(*v)*time.Minute, changed+1
	}
	if v := req.PublicAPIURL; v != nil {
		u, err := checkPublicURL("publicApiUrl", *v)
		if err != nil {
			return tc.Settings{}, err
		}
		next.PublicAPIURL, changed = u, changed+1
	}
	if v := req.HeartbeatURL; v != nil {
		u, err := checkPublicURL("heartbeatUrl", *v)
		if err != nil {
			return tc.Settings{}, err
		}
		next.HeartbeatURL, changed = u, changed+1
	}
	if v := req.AuditRetentionHours; v != nil {
		ok := false
		for _, c := range tc.AuditRetentionChoices {
			ok = ok || c == *v
		}
		if !ok {
			return tc.Settings{}, tc.Errorf(tc.EInvalid, "auditRetentionHours must be one of 720, 2160, 4320, 8760, 17520 or 0 (keep forever)").With("field", "auditRetentionHours")
		}
		next.AuditRetention, changed = time.Duration(*v)*time.Hour, changed+1
	}
	if changed == 0 {
		return tc.Settings{}, tc.Errorf(tc.EInvalid, "nothing to change")
	}
	if err := s.store.PutSettings(ctx, next.Encode()); err != nil {
		return tc.Settings{}, err
	}
	// In force (here and, through the bus, on the other nodes) once the
	// request committed: a node reading them earlier would keep the old.
	store.AfterCommit(ctx, func() {
		s.settings.Store(&next)
		s.publish(store.TopicSettings)
	})
	s.log.Info("settings changed", "by", p.Actor())
	return next.api(), nil
}

// PublicURLs returns the public API and heartbeat URLs (any credential).
func (s *Service) PublicURLs(p *Principal) (tc.PublicURLs, error) {
	if err := RequireUser(p); err != nil {
		return tc.PublicURLs{}, err
	}
	st := s.Settings()
	return tc.PublicURLs{PublicAPIURL: st.PublicAPIURL, HeartbeatURL: st.HeartbeatURL}, nil
}
