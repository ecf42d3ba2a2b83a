package access_test

import (
	"slices"
	"testing"

	"github.com/otpcard/otpcard/domain/access"
)

// rightsExcept lists every right but the given ones, in the stable order.
func rightsExcept(except ...access.Right) []access.Right {
	var out []access.Right
	for _, r := range access.AllRights() {
		if !slices.Contains(except, r) {
			out = append(out, r)
		}
	}
	return out
}

// inOrder puts rights into the stable order Rights uses.
func inOrder(rights ...access.Right) []access.Right {
	var out []access.Right
	for _, r := range access.AllRights() {
		if slices.Contains(rights, r) {
			out = append(out, r)
		}
	}
	return out
}

func TestAllRights(t *testing.T) {
	want := []access.Right{"ClientCreate", "ClientView", "ClientModify", "ClientDelete", "UserCreate", "UserView",
		"UserModify", "UserDelete", "PolicyCreate", "PolicyView", "PolicyModify", "PolicyDelete",
		"PolicyConfigurationView", "CredentialCreate", "CredentialView", "CredentialModify", "CredentialDelete",
		"CredentialChangeState", "AuditView", "RolloutCreate", "RolloutView", "PrintBatchDownload"}
	got := access.AllRights()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got[0] = "Changed"
	if again := access.AllRights(); again[0] != access.ClientCreate {
		t.Errorf("after mutating a returned slice: got %v first, want ClientCreate", again[0])
	}
	if access.RightPrefix != "AccessControl." {
		t.Errorf("RightPrefix: got %q, want \"AccessControl.\"", access.RightPrefix)
	}
}

// TestRoleRights is the role table of API.md section 2.
func TestRoleRights(t *testing.T) {
	tests := []struct {
		roles []string
		want  []access.Right
	}{
		{[]string{"Root"}, access.AllRights()},
		{[]string{"ClientRoot"}, rightsExcept(access.ClientCreate, access.ClientDelete)},
		{[]string{"UserAdmin"}, inOrder(access.UserCreate, access.UserView, access.UserModify, access.UserDelete,
			access.CredentialCreate, access.CredentialView, access.CredentialModify, access.CredentialDelete,
			access.CredentialChangeState, access.PolicyConfigurationView, access.PolicyView)},
		{[]string{"Helpdesk"}, inOrder(access.UserView, access.CredentialView, access.CredentialModify,
			access.CredentialChangeState, access.PolicyConfigurationView)},
		{[]string{"Auditor"}, inOrder(access.AuditView, access.ClientView, access.UserView, access.CredentialView)},
		{[]string{"Helpdesk", "Auditor"}, inOrder(access.UserView, access.CredentialView, access.CredentialModify,
			access.CredentialChangeState, access.PolicyConfigurationView, access.AuditView, access.ClientView)},
		{[]string{"Root", "Auditor"}, access.AllRights()},
		{[]string{"RolloutOperator"}, inOrder(access.RolloutCreate, access.RolloutView, access.PrintBatchDownload,
			access.CredentialCreate, access.CredentialView, access.UserView)},
		{[]string{"root"}, nil},
		{[]string{"Admin"}, nil},
		{[]string{""}, nil},
		{[]string{"AccessControl.Root"}, nil},
		{[]string{"Bogus", "Auditor"}, inOrder(access.AuditView, access.ClientView, access.UserView, access.CredentialView)},
		{nil, nil},
	}
	for _, tt := range tests {
		p := access.NewAdmin("admin", tt.roles, nil, nil)
		got := p.Rights()
		if !slices.Equal(got, tt.want) {
			t.Errorf("roles %q: got %v, want %v", tt.roles, got, tt.want)
		}
		for _, r := range access.AllRights() {
			if got, want := p.Has(r), slices.Contains(tt.want, r); got != want {
				t.Errorf("roles %q: Has(%s) got %v, want %v", tt.roles, r, got, want)
			}
		}
	}
}

func TestPermissions(t *testing.T) {
	tests := []struct {
		name        string
		roles       []string
		permissions []string
		want        []access.Right
	}{
		{"one right", nil, []string{"AccessControl.CredentialView"}, []access.Right{access.CredentialView}},
		{"every right by name", nil, prefixed(access.AllRights()), access.AllRights()},
		{"without prefix ignored", nil, []string{"CredentialView", "ClientCreate"}, nil},
		{"lower-case prefix ignored", nil, []string{"accesscontrol.CredentialView"}, nil},
		{"prefix only ignored", nil, []string{"AccessControl."}, nil},
		{"unknown right ignored", nil, []string{"AccessControl.Bogus", "AccessControl.UserView"}, []access.Right{access.UserView}},
		{"right with wrong case ignored", nil, []string{"AccessControl.credentialview"}, nil},
		{"role name as permission ignored", nil, []string{"AccessControl.Root", "Root"}, nil},
		{"union with roles", []string{"Auditor"}, []string{"AccessControl.CredentialDelete"},
			inOrder(access.AuditView, access.ClientView, access.UserView, access.CredentialView, access.CredentialDelete)},
		{"duplicates", []string{"Auditor"}, []string{"AccessControl.AuditView", "AccessControl.AuditView"},
			inOrder(access.AuditView, access.ClientView, access.UserView, access.CredentialView)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.NewAdmin("admin", tt.roles, tt.permissions, nil).Rights(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func prefixed(rights []access.Right) []string {
	out := make([]string, len(rights))
	for i, r := range rights {
		out[i] = access.RightPrefix + string(r)
	}
	return out
}

func TestPrincipalBasics(t *testing.T) {
	admin := access.NewAdmin("alice", []string{"Root"}, nil, nil)
	if admin.Subject() != "alice" || admin.Mode() != access.ModeAdmin || admin.Mode().String() != "admin" {
		t.Errorf("admin: got %q %v %q, want alice, ModeAdmin, \"admin\"", admin.Subject(), admin.Mode(), admin.Mode().String())
	}
	self := access.NewSelfAdmin("user-a", t0)
	if self.Subject() != "user-a" || self.Mode() != access.ModeSelfAdmin || self.Mode().String() != "self-admin" {
		t.Errorf("self: got %q %v %q, want user-a, ModeSelfAdmin, \"self-admin\"", self.Subject(), self.Mode(), self.Mode().String())
	}
	if !self.AuthTime().Equal(t0) {
		t.Errorf("AuthTime: got %v, want %v", self.AuthTime(), t0)
	}
	if got := self.Rights(); len(got) != 0 {
		t.Errorf("self-admin Rights: got %v, want none", got)
	}
	for _, r := range access.AllRights() {
		if self.Has(r) {
			t.Errorf("self-admin Has(%s): got true, want false", r)
		}
	}
	if got := access.Mode(0).String(); got != "unknown" {
		t.Errorf("Mode(0): got %q, want \"unknown\"", got)
	}
}

func TestDataRoom(t *testing.T) {
	tests := []struct {
		name           string
		clients        []string
		wantRoom       []string
		wantRestricted bool
		sees           map[string]bool
	}{
		{"nil sees all", nil, nil, false, map[string]bool{"a": true, "b": true, "": true}},
		{"empty sees none", []string{}, []string{}, true, map[string]bool{"a": false, "b": false}},
		{"listed only", []string{"a", "c"}, []string{"a", "c"}, true, map[string]bool{"a": true, "b": false, "c": true, "A": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := access.NewAdmin("admin", []string{"Root"}, nil, tt.clients)
			room, restricted := p.DataRoom()
			if restricted != tt.wantRestricted || !slices.Equal(room, tt.wantRoom) {
				t.Errorf("DataRoom: got %v, %v; want %v, %v", room, restricted, tt.wantRoom, tt.wantRestricted)
			}
			if restricted && room == nil {
				t.Errorf("DataRoom: got a nil room while restricted, want a non-nil slice")
			}
			for client, want := range tt.sees {
				if got := p.SeesClient(client); got != want {
					t.Errorf("SeesClient(%q): got %v, want %v", client, got, want)
				}
			}
		})
	}
}

func TestDataRoomIsCopied(t *testing.T) {
	clients := []string{"a", "b"}
	p := access.NewAdmin("admin", nil, nil, clients)
	clients[0] = "z"
	if !p.SeesClient("a") || p.SeesClient("z") {
		t.Errorf("after mutating the input: got SeesClient(a)=%v SeesClient(z)=%v, want true, false", p.SeesClient("a"), p.SeesClient("z"))
	}
	room, _ := p.DataRoom()
	room[0] = "y"
	if p.SeesClient("y") {
		t.Errorf("after mutating DataRoom's result: got SeesClient(y)=true, want false")
	}
	if _, restricted := access.NewSelfAdmin("user-a", t0).DataRoom(); restricted {
		t.Errorf("self-admin DataRoom: got restricted, want unrestricted")
	}
}
