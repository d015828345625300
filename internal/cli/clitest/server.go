// Package clitest is the test kit of tcctl: a fake tcd that speaks the
// identity routes of pkg/client with the real wire shapes and error
// envelope, and a harness that runs cli.Run with terminal mode on or off,
// fake password prompts and a private profile directory.
package clitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// Request is one request the fake tcd received.
type Request struct {
	Method        string
	Path          string
	Query         string
	Authorization string
	Body          string
}

// Server is an in-memory fake tcd for the identity API.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	next      int
	users     []*tc.User
	passwords map[string]string // user ID → password
	sessions  map[string]string // token → user ID
	invites   []*tc.Invite      // with Code kept
	resets    map[string]string // reset code → user ID
	requests  []Request
	now       time.Time
}

// NewServer starts a fake tcd that lives as long as the test.
func NewServer(t testing.TB) *Server {
	s := &Server{
		passwords: map[string]string{},
		sessions:  map[string]string{},
		resets:    map[string]string{},
		now:       time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/setup", s.setup)
	mux.HandleFunc("POST /api/auth/login", s.login)
	mux.HandleFunc("POST /api/auth/logout", s.logout)
	mux.HandleFunc("GET /api/auth/me", s.me)
	mux.HandleFunc("POST /api/auth/invites/accept", s.acceptInvite)
	mux.HandleFunc("POST /api/auth/password-reset", s.usePasswordReset)
	mux.HandleFunc("GET /api/users", s.listUsers)
	mux.HandleFunc("GET /api/users/invites", s.listInvites)
	mux.HandleFunc("POST /api/users/invites", s.createInvite)
	mux.HandleFunc("DELETE /api/users/invites/{id}", s.deleteInvite)
	mux.HandleFunc("POST /api/users/transfer-ownership", s.transferOwnership)
	mux.HandleFunc("GET /api/users/{id}", s.getUser)
	mux.HandleFunc("PATCH /api/users/{id}", s.updateUser)
	mux.HandleFunc("DELETE /api/users/{id}", s.deleteUser)
	mux.HandleFunc("POST /api/users/{id}/password-reset", s.createPasswordReset)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(body)})
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// AddUser creates a user with a password and returns it.
func (s *Server) AddUser(username string, role tc.Role, password string) tc.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUser(username, username+"@example.com", role, password)
}

// Session issues a session token for username, as a login would.
func (s *Server) Session(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(username)
	if u == nil {
		panic("clitest: no user " + username)
	}
	return s.issue(u.ID)
}

// User returns the current state of a user (by ID or username).
func (s *Server) User(idOrName string) (tc.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.find(idOrName); u != nil {
		return *u, true
	}
	return tc.User{}, false
}

// Password returns the password of a user, to check that a flow set it.
func (s *Server) Password(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.find(username); u != nil {
		return s.passwords[u.ID]
	}
	return ""
}

// SessionValid reports whether token is still accepted.
func (s *Server) SessionValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[token]
	return ok
}

// Requests returns what the server received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastRequest returns the last request to method and path.
func (s *Server) LastRequest(method, path string) (Request, bool) {
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i], true
		}
	}
	return Request{}, false
}

// --- state helpers (callers hold s.mu) ---

func (s *Server) id(prefix string) string {
	s.next++
	return fmt.Sprintf("%s%04d", prefix, s.next)
}

func (s *Server) addUser(username, email string, role tc.Role, password string) *tc.User {
	u := &tc.User{ID: s.id("u"), Username: username, Email: email, Role: role, CreatedAt: s.now, UpdatedAt: s.now}
	s.users = append(s.users, u)
	s.passwords[u.ID] = password
	return u
}

func (s *Server) find(idOrName string) *tc.User {
	for _, u := range s.users {
		if u.ID == idOrName || u.Username == strings.ToLower(idOrName) {
			return u
		}
	}
	return nil
}

func (s *Server) issue(userID string) string {
	tok := fmt.Sprintf("tc-session_%s", s.id("s"))
	s.sessions[tok] = userID
	return tok
}

func (s *Server) endSessions(userID string) {
	for tok, id := range s.sessions {
		if id == userID {
			delete(s.sessions, tok)
		}
	}
}

func (s *Server) owner() *tc.User {
	for _, u := range s.users {
		if u.Role == tc.RoleOwner {
			return u
		}
	}
	return nil
}

// --- HTTP helpers ---

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err *tc.Error) {
	body := map[string]any{"code": err.Code, "message": err.Message}
	for k, v := range err.Details {
		body[k] = v
	}
	writeJSON(w, tc.StatusForCode(err.Code), body)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeErr(w, tc.Errorf(tc.EInvalid, "invalid JSON body: %v", err))
		return false
	}
	return true
}

// authorize returns the caller if the request carries a valid session with
// permission p; otherwise it writes 401 or 403 and returns nil. The caller
// must hold s.mu.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, p tc.Permission) *tc.User {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "Token ")
	}
	uid, valid := s.sessions[tok]
	var u *tc.User
	if ok && valid {
		u = s.find(uid)
	}
	if u == nil || u.Disabled {
		writeErr(w, tc.Errorf(tc.EUnauthorized, "missing or invalid credentials"))
		return nil
	}
	if p != "" && !u.Role.Permissions().Has(p) {
		writeErr(w, tc.MissingPermissionError(p))
		return nil
	}
	return u
}

func page(r *http.Request, n int) (lo, hi, limit, offset int) {
	limit, offset = tc.DefaultLimit, 0
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 {
		limit = v
	}
	if v, err := strconv.Atoi(r.URL.Query().Get("offset")); err == nil && v > 0 {
		offset = v
	}
	lo, hi = min(offset, n), min(offset+limit, n)
	return lo, hi, limit, offset
}
