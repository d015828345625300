package advisories

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// MaxFeedBytes bounds what one fetch reads (osv.dev's zip of the whole Go
// ecosystem is a few MiB).
const MaxFeedBytes = 128 << 20

// FeedOptions configure the periodic fetch.
type FeedOptions struct {
	// URL serves an OSV document, a JSON array of them, or a zip archive
	// (e.g. an internal mirror of osv.dev's Go ecosystem archive).
	URL string
	// Interval between fetches; the first is at start.
	Interval time.Duration
	// IsLeader, if set, limits fetching to the node it is true on.
	IsLeader func() bool
	// Client is the HTTP client (default: 2 minutes timeout, proxy from
	// the environment).
	Client    *http.Client
	UserAgent string
}

// feedState is what the last fetches left: validators for the next
// conditional request, and figures for the metrics.
type feedState struct {
	mu           sync.Mutex
	etag         string
	lastModified string
	lastSuccess  time.Time
	failures     int64
}

// FeedStats returns when the feed was last fetched successfully (zero:
// never) and how many fetches failed.
func (s *Service) FeedStats() (lastSuccess time.Time, failures int64) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return s.feed.lastSuccess, s.feed.failures
}

// Retry delays of RunFeed (each at most the interval): after a failed
// fetch, and while this node is not the leader (so a node that becomes
// leader fetches soon after).
const (
	feedRetry         = 15 * time.Minute
	feedLeaderRecheck = 15 * time.Second
)

// RunFeed fetches o.URL at start and then every o.Interval until ctx ends.
// A failed fetch (unreachable, an HTTP error, a malformed file) stores
// nothing, is logged, and is tried again after 15 minutes (or the
// interval, if shorter).
func (s *Service) RunFeed(ctx context.Context, o FeedOptions) {
	if o.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		o.Client = &http.Client{Timeout: 2 * time.Minute, Transport: tr}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := o.Interval
		switch {
		case o.IsLeader != nil && !o.IsLeader():
			next = min(o.Interval, feedLeaderRecheck)
		default:
			if _, err := s.FetchFeed(ctx, o); err != nil && ctx.Err() == nil {
				s.feed.mu.Lock()
				s.feed.failures++
				s.feed.mu.Unlock()
				next = min(o.Interval, feedRetry)
				s.log.Warn("fetching the advisory feed failed; it is tried again later", "url", redact(o.URL), "retry_in", next, "err", err)
			}
		}
		t.Reset(next)
	}
}

// FetchFeed fetches the feed once and imports it. It sends the validators
// of the previous answer, so an unchanged feed costs a 304, for which it
// returns a nil result.
func (s *Service) FetchFeed(ctx context.Context, o FeedOptions) (*tc.AdvisoryImportResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return nil, err
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "tcd"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "application/json, application/zip;q=0.9, */*;q=0.1")
	s.feed.mu.Lock()
	if s.feed.etag != "" {
		req.Header.Set("If-None-Match", s.feed.etag)
	}
	if s.feed.lastModified != "" {
		req.Header.Set("If-Modified-Since", s.feed.lastModified)
	}
	s.feed.mu.Unlock()
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %w", redact(o.URL), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		s.succeeded(resp)
		s.log.Debug("advisory feed unchanged", "url", redact(o.URL))
		return nil, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("GET %s answered %s", redact(o.URL), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", redact(o.URL), err)
	}
	if len(body) > MaxFeedBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", redact(o.URL), MaxFeedBytes>>20)
	}
	out, err := s.Import(ctx, redact(o.URL), body, sourceFeed+redact(o.URL))
	if err != nil {
		return nil, err
	}
	s.succeeded(resp)
	return &out, nil
}

func (s *Service) succeeded(resp *http.Response) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	s.feed.lastSuccess = s.now()
	if resp.StatusCode != http.StatusNotModified {
		s.feed.etag, s.feed.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
}

// redact hides a password in a URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
