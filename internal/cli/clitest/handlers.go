package clitest

import (
	"net/http"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var req tc.SetupRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner() != nil {
		writeErr(w, tc.Errorf(tc.EConflict, "setup is already complete"))
		return
	}
	name, err := tc.NormalizeUsername(req.Username)
	if err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	email, err := tc.NormalizeEmail(req.Email)
	if err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	if err := tc.ComplexityLow.CheckPassword(req.Password); err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	u := s.addUser(name, email, tc.RoleOwner, req.Password)
	writeJSON(w, http.StatusCreated, tc.LoginResponse{Token: s.issue(u.ID), ExpiresAt: s.now.Add(24 * time.Hour), User: *u})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req tc.LoginRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(req.Username)
	if u == nil || u.Disabled || s.passwords[u.ID] != req.Password {
		writeErr(w, tc.Errorf(tc.EUnauthorized, "invalid username or password"))
		return
	}
	writeJSON(w, http.StatusOK, tc.LoginResponse{Token: s.issue(u.ID), ExpiresAt: s.now.Add(24 * time.Hour), User: *u})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, "") == nil {
		return
	}
	delete(s.sessions, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.authorize(w, r, "")
	if u == nil {
		return
	}
	writeJSON(w, http.StatusOK, tc.Me{User: *u, Credential: tc.CredentialSession, Permissions: u.Role.Permissions().Strings()})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActRead)) == nil {
		return
	}
	role, search := r.URL.Query().Get("role"), r.URL.Query().Get("search")
	var match []tc.User // nil when empty: the CLI must still print []
	for _, u := range s.users {
		if (role == "" || string(u.Role) == role) && (search == "" || strings.Contains(u.Username, search) || strings.Contains(u.Email, search)) {
			match = append(match, *u)
		}
	}
	lo, hi, limit, offset := page(r, len(match))
	writeJSON(w, http.StatusOK, tc.List[tc.User]{Items: match[lo:hi:hi], Total: len(match), Limit: limit, Offset: offset})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActRead)) == nil {
		return
	}
	u := s.find(r.PathValue("id"))
	if u == nil {
		writeErr(w, tc.Errorf(tc.ENotFound, "user %q not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var req tc.UpdateUserRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	caller := s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActWrite))
	if caller == nil {
		return
	}
	u := s.find(r.PathValue("id"))
	if u == nil {
		writeErr(w, tc.Errorf(tc.ENotFound, "user %q not found", r.PathValue("id")))
		return
	}
	if u.Role == tc.RoleOwner && (req.Role != nil || req.Disabled != nil) {
		writeErr(w, tc.Errorf(tc.EConflict, "the owner can be neither demoted nor disabled; transfer ownership first"))
		return
	}
	if req.Role != nil {
		if *req.Role == tc.RoleOwner {
			writeErr(w, tc.Errorf(tc.EInvalid, "use transfer-ownership to make a user owner"))
			return
		}
		u.Role = *req.Role
		s.endSessions(u.ID)
	}
	if req.Disabled != nil {
		if u.ID == caller.ID {
			writeErr(w, tc.Errorf(tc.EConflict, "you cannot disable yourself"))
			return
		}
		u.Disabled = *req.Disabled
		if u.Disabled {
			s.endSessions(u.ID)
		}
	}
	if req.Email != nil {
		u.Email = *req.Email
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	caller := s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActWrite))
	if caller == nil {
		return
	}
	u := s.find(r.PathValue("id"))
	switch {
	case u == nil:
		writeErr(w, tc.Errorf(tc.ENotFound, "user %q not found", r.PathValue("id")))
		return
	case u.Role == tc.RoleOwner || u.ID == caller.ID:
		writeErr(w, tc.Errorf(tc.EConflict, "neither the owner nor yourself can be deleted"))
		return
	}
	for i, x := range s.users {
		if x == u {
			s.users = append(s.users[:i], s.users[i+1:]...)
			break
		}
	}
	s.endSessions(u.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	var req tc.InviteRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	caller := s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActWrite))
	if caller == nil {
		return
	}
	d, err := tc.CheckCodeHours("expiresInHours", req.ExpiresInHours, tc.InviteHoursDefault)
	if err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	if !req.Role.Valid() || req.Role == tc.RoleOwner {
		writeErr(w, tc.Errorf(tc.EInvalid, "role must be administrator, manager or viewer"))
		return
	}
	if s.find(req.Username) != nil {
		writeErr(w, tc.Errorf(tc.EConflict, "username %q is taken", req.Username))
		return
	}
	inv := &tc.Invite{ID: s.id("i"), Username: req.Username, Email: req.Email, Role: req.Role, Code: "INV-" + s.id("c"),
		ExpiresAt: s.now.Add(d), CreatedAt: s.now, InvitedBy: caller.ID}
	s.invites = append(s.invites, inv)
	writeJSON(w, http.StatusCreated, inv)
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActRead)) == nil {
		return
	}
	items := make([]tc.Invite, 0, len(s.invites))
	for _, inv := range s.invites {
		c := *inv
		c.Code = "" // codes are shown once
		items = append(items, c)
	}
	lo, hi, limit, offset := page(r, len(items))
	writeJSON(w, http.StatusOK, tc.List[tc.Invite]{Items: items[lo:hi], Total: len(items), Limit: limit, Offset: offset})
}

func (s *Server) deleteInvite(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActWrite)) == nil {
		return
	}
	for i, inv := range s.invites {
		if inv.ID == r.PathValue("id") {
			s.invites = append(s.invites[:i], s.invites[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeErr(w, tc.Errorf(tc.ENotFound, "invite %q not found", r.PathValue("id")))
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	var req tc.CodeRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, inv := range s.invites {
		if inv.Code == req.Code {
			if err := tc.ComplexityLow.CheckPassword(req.Password); err != nil {
				writeErr(w, err.(*tc.Error))
				return
			}
			s.invites = append(s.invites[:i], s.invites[i+1:]...)
			u := s.addUser(inv.Username, inv.Email, inv.Role, req.Password)
			writeJSON(w, http.StatusCreated, tc.LoginResponse{Token: s.issue(u.ID), ExpiresAt: s.now.Add(24 * time.Hour), User: *u})
			return
		}
	}
	writeErr(w, tc.Errorf(tc.EInvalid, "invalid or expired invite code"))
}

func (s *Server) createPasswordReset(w http.ResponseWriter, r *http.Request) {
	var req tc.PasswordResetRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorize(w, r, tc.Perm(tc.ResUsers, tc.ActWrite)) == nil {
		return
	}
	u := s.find(r.PathValue("id"))
	if u == nil {
		writeErr(w, tc.Errorf(tc.ENotFound, "user %q not found", r.PathValue("id")))
		return
	}
	d, err := tc.CheckCodeHours("expiresInHours", req.ExpiresInHours, tc.ResetHoursDefault)
	if err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	code := "RST-" + s.id("c")
	s.resets[code] = u.ID
	writeJSON(w, http.StatusCreated, tc.PasswordReset{UserID: u.ID, Code: code, ExpiresAt: s.now.Add(d)})
}

func (s *Server) usePasswordReset(w http.ResponseWriter, r *http.Request) {
	var req tc.CodeRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	uid, ok := s.resets[req.Code]
	if !ok {
		writeErr(w, tc.Errorf(tc.EInvalid, "invalid or expired reset code"))
		return
	}
	if err := tc.ComplexityLow.CheckPassword(req.Password); err != nil {
		writeErr(w, err.(*tc.Error))
		return
	}
	delete(s.resets, req.Code)
	s.passwords[uid] = req.Password
	s.endSessions(uid)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) transferOwnership(w http.ResponseWriter, r *http.Request) {
	var req tc.TransferOwnershipRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	caller := s.authorize(w, r, "")
	if caller == nil {
		return
	}
	if caller.Role != tc.RoleOwner {
		writeErr(w, tc.Errorf(tc.EForbidden, "only the owner can transfer ownership"))
		return
	}
	target := s.find(req.UserID)
	switch {
	case target == nil:
		writeErr(w, tc.Errorf(tc.ENotFound, "user %q not found", req.UserID))
		return
	case target.Role != tc.RoleAdministrator || target.Disabled:
		writeErr(w, tc.Errorf(tc.EConflict, "ownership can only go to an active administrator"))
		return
	}
	target.Role, caller.Role = tc.RoleOwner, tc.RoleAdministrator
	s.endSessions(target.ID)
	s.endSessions(caller.ID)
	writeJSON(w, http.StatusOK, map[string]tc.User{"owner": *target, "previousOwner": *caller})
}
