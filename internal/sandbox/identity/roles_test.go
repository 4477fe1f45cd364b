package identity_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// signInUsers are the users whose cards sign in (not the expired or revoked ones).
var signInUsers = []string{priya, james, jordan, "555000000104", daniel}

func directory(t *testing.T) identity.Directory {
	t.Helper()
	d, err := identity.LoadDirectory(assets.Users)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// keys returns the set of keys of a JSON object and, under "role.", of the
// objects in its nhsid_nrbac_roles.
func keys(t *testing.T, data []byte) []string {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for k := range obj {
		ks = append(ks, k)
	}
	var roles []map[string]any
	if err := json.Unmarshal(obj["nhsid_nrbac_roles"], &roles); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		for k := range r {
			if !slices.Contains(ks, "role."+k) {
				ks = append(ks, "role."+k)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// TestUserinfoShape: /oauth2/userinfo answers in exactly the shape of the CIS2
// example (API.md section 1), with the directory's data, for every user, and
// whether asked with the card token or a role token.
func TestUserinfoShape(t *testing.T) {
	ref, err := os.ReadFile("testdata/cis2-userinfo.json")
	if err != nil {
		t.Fatal(err)
	}
	want := keys(t, ref)
	h, dir := newHarness(t), directory(t)
	for _, uid := range signInUsers {
		t.Run(uid, func(t *testing.T) {
			token := h.signIn(t, loadCard(t, uid))
			user, _ := dir.User(uid)
			role := h.exchange(t, token, user.Roles[0].PersonRoleID).token(t).AccessToken
			for _, tok := range []string{token, role} {
				r := h.userinfo(t, tok)
				if r.status != http.StatusOK || r.header.Get("Content-Type") != wire.ContentJSON {
					t.Fatalf("%d %s %s", r.status, r.header.Get("Content-Type"), r.body)
				}
				if got := keys(t, r.body); !slices.Equal(got, want) {
					t.Errorf("fields %v, want those of the CIS2 example %v", got, want)
				}
				var got struct {
					Sub string `json:"sub"`
					identity.User
				}
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				if got.Sub != uid || got.UUID != uid || got.Name != user.Name || !slices.EqualFunc(got.Roles, user.Roles, equalRole) {
					t.Errorf("userinfo %s, want the directory's %+v", r.body, user)
				}
			}
		})
	}
}

func equalRole(a, b identity.Role) bool {
	return slices.Equal(a.Activities, b.Activities) && slices.Equal(a.ActivityCodes, b.ActivityCodes) &&
		a.OrgCode == b.OrgCode && a.PersonOrgID == b.PersonOrgID && a.PersonRoleID == b.PersonRoleID &&
		a.RoleCode == b.RoleCode && a.RoleName == b.RoleName
}

// TestExchangeEachRole exchanges every role of every user who can sign in, and
// uses each role token through RequireRole.
func TestExchangeEachRole(t *testing.T) {
	h, dir := newHarness(t), directory(t)
	for _, uid := range signInUsers {
		user, _ := dir.User(uid)
		token := h.signIn(t, loadCard(t, uid))
		for _, role := range user.Roles {
			t.Run(uid+"/"+role.PersonRoleID, func(t *testing.T) {
				r := h.exchange(t, token, role.PersonRoleID)
				tr := r.token(t)
				if tr.TokenType != "Bearer" || tr.Scope != "openid nationalrbacaccess" || tr.ExpiresIn != int(ttl/time.Second) ||
					tr.IssuedTokenType != "urn:ietf:params:oauth:token-type:access_token" || tr.AccessToken == token {
					t.Errorf("exchange response %s", r.body)
				}
				rec := h.audit.last(t)
				if rec.Kind != audit.RoleExchange || rec.Outcome != audit.Allowed || rec.UserUUID != uid ||
					rec.RoleID != role.PersonRoleID || rec.OrgCode != role.OrgCode || rec.RoleName != role.RoleName || rec.RequestID != r.requestID {
					t.Errorf("audit record %+v", rec)
				}

				s := h.scr(t, tr.AccessToken, role.PersonRoleID)
				var got wire.Session
				if s.status != http.StatusOK || json.Unmarshal(s.body, &got) != nil {
					t.Fatalf("RequireRole: %d %s", s.status, s.body)
				}
				want := wire.Session{
					UserUUID: uid, UserName: user.Name, RoleID: role.PersonRoleID, RoleName: role.RoleName,
					OrgCode: role.OrgCode, OrgName: dir.OrgName(role.OrgCode), Activities: role.ActivityCodes,
					TokenID: got.TokenID,
				}
				if got.OrgName == "" || len(got.TokenID) != 16 || !reflect.DeepEqual(got, want) {
					t.Errorf("session %+v, want %+v", got, want)
				}
			})
		}
	}
}

func TestExchangeRefused(t *testing.T) {
	h := newHarness(t)
	card := h.signIn(t, loadCard(t, priya))
	role := h.exchange(t, card, "555000000201").token(t).AccessToken
	const exchangeType = "urn:ietf:params:oauth:token-type:access_token"

	tests := []struct {
		name                 string
		subject, typ, roleID string
		setup                func()
		wantStatus           int
		wantCode, wantDesc   string
		wantUser             string
	}{
		{"another user's role", card, exchangeType, "555000000202", nil, 400, "invalid_target", "not one of the user's roles", priya},
		{"no such role", card, exchangeType, "999999999999", nil, 400, "invalid_target", "not one of the user's roles", priya},
		{"no selected_roleid", card, exchangeType, "", nil, 400, "invalid_request", "selected_roleid is required", priya},
		{"no subject_token", "", exchangeType, "555000000201", nil, 400, "invalid_request", "subject_token is required", ""},
		{"wrong subject_token_type", card, "urn:ietf:params:oauth:token-type:jwt", "555000000201", nil, 400, "invalid_request", "subject_token_type must be", ""},
		{"unknown subject_token", "not-a-token", exchangeType, "555000000201", nil, 400, "invalid_request", "unknown or has been revoked", ""},
		{"role token as subject", role, exchangeType, "555000000201", nil, 400, "invalid_request", "role token, not a card token", priya},
		{"expired card token", card, exchangeType, "555000000201", func() { h.clock.Advance(ttl) }, 400, "invalid_request", "expired", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			r := h.postForm(t, tokenEP, map[string][]string{
				"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token":      {tt.subject},
				"subject_token_type": {tt.typ},
				"selected_roleid":    {tt.roleID},
			})
			code, desc := r.oauth(t)
			if r.status != tt.wantStatus || code != tt.wantCode || !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("got %d %s %q, want %d %s containing %q", r.status, code, desc, tt.wantStatus, tt.wantCode, tt.wantDesc)
			}
			rec := h.audit.last(t)
			if rec.Kind != audit.RoleExchange || rec.Outcome != audit.Denied || rec.Detail != desc || rec.UserUUID != tt.wantUser || rec.RequestID != r.requestID {
				t.Errorf("audit record %+v", rec)
			}
		})
	}
}

// TestRequireRole: 401 OperationOutcome for a missing, unknown or expired token;
// 403 for a card token or a URID that is missing or not the token's role.
func TestRequireRole(t *testing.T) {
	h := newHarness(t)
	card := h.signIn(t, loadCard(t, daniel))
	boots := h.exchange(t, card, "555000000206").token(t).AccessToken
	expiring := h.exchange(t, card, "555000000207").token(t).AccessToken

	tests := []struct {
		name, token, urid string
		setup             func()
		want              int
	}{
		{"the token's role", boots, "555000000206", nil, http.StatusOK},
		{"no token", "", "555000000206", nil, http.StatusUnauthorized},
		{"unknown token", "c2VjcmV0", "555000000206", nil, http.StatusUnauthorized},
		{"card token", card, "555000000206", nil, http.StatusForbidden},
		{"no URID", boots, "", nil, http.StatusForbidden},
		{"the user's other role", boots, "555000000207", nil, http.StatusForbidden},
		{"someone else's role", boots, "555000000201", nil, http.StatusForbidden},
		{"expired role token", expiring, "555000000207", func() { h.clock.Advance(ttl) }, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			r := h.scr(t, tt.token, tt.urid)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == http.StatusOK {
				return
			}
			var oo struct {
				ResourceType string `json:"resourceType"`
				Issue        []struct {
					Code string `json:"code"`
				} `json:"issue"`
			}
			if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 || oo.Issue[0].Code != "forbidden" {
				t.Errorf("not an OperationOutcome with code forbidden: %s", r.body)
			}
			if r.header.Get("Content-Type") != wire.ContentFHIR {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if tt.want == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestTokenID(t *testing.T) {
	h := newHarness(t)
	token := h.signIn(t, loadCard(t, priya))
	req := func(auth string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	id := h.svc.TokenID(req("Bearer " + token))
	if len(id) != 16 || strings.Contains(token, id) {
		t.Errorf("TokenID %q", id)
	}
	if again := h.svc.TokenID(req("bearer " + token)); again != id {
		t.Errorf("TokenID not stable: %q then %q", id, again)
	}
	if other := h.svc.TokenID(req("Bearer other")); other == id || other == "" {
		t.Errorf("TokenID of another token: %q", other)
	}
	for _, auth := range []string{"", "Basic dXNlcjpwYXNz", "Bearer "} {
		if got := h.svc.TokenID(req(auth)); got != "" {
			t.Errorf("TokenID(%q) = %q, want empty", auth, got)
		}
	}
}

// TestRevoke: sign-out. A role token ends alone; a card token ends with every
// role token exchanged from it, even after the card token itself has expired.
func TestRevoke(t *testing.T) {
	h := newHarness(t)
	card := h.signIn(t, loadCard(t, daniel))
	boots := h.exchange(t, card, "555000000206").token(t).AccessToken
	greenway := h.exchange(t, card, "555000000207").token(t).AccessToken

	if r := h.revoke(t, boots); r.status != http.StatusOK {
		t.Fatalf("revoke role token: %d %s", r.status, r.body)
	}
	rec := h.audit.last(t)
	if rec.Kind != audit.SignOut || rec.Outcome != audit.Allowed || rec.RoleID != "555000000206" || rec.OrgCode != "FA123" {
		t.Errorf("audit record %+v", rec)
	}
	if r := h.scr(t, boots, "555000000206"); r.status != http.StatusUnauthorized {
		t.Errorf("revoked role token: %d", r.status)
	}
	if r := h.scr(t, greenway, "555000000207"); r.status != http.StatusOK {
		t.Errorf("the other role token: %d", r.status)
	}
	if r := h.userinfo(t, card); r.status != http.StatusOK {
		t.Errorf("the card token: %d", r.status)
	}

	if r := h.revoke(t, card); r.status != http.StatusOK {
		t.Fatalf("revoke card token: %d %s", r.status, r.body)
	}
	if rec := h.audit.last(t); rec.Outcome != audit.Allowed || rec.UserUUID != daniel || !strings.Contains(rec.Detail, "1 live role token") {
		t.Errorf("audit record %+v", rec)
	}
	if r := h.scr(t, greenway, "555000000207"); r.status != http.StatusUnauthorized {
		t.Errorf("role token after its card token was revoked: %d", r.status)
	}
	if r := h.userinfo(t, card); r.status != http.StatusUnauthorized {
		t.Errorf("revoked card token: %d", r.status)
	}
	if r := h.exchange(t, card, "555000000206"); r.status != http.StatusBadRequest {
		t.Errorf("exchange of a revoked card token: %d", r.status)
	}

	// Revoking what is not a token, or no longer one, is still 200 (RFC 7009 2.2).
	for _, tok := range []string{card, "never-issued"} {
		if r := h.revoke(t, tok); r.status != http.StatusOK {
			t.Errorf("revoke %q: %d", tok, r.status)
		}
		if rec := h.audit.last(t); rec.Kind != audit.SignOut || rec.Outcome != audit.Denied {
			t.Errorf("audit record %+v", rec)
		}
	}

	// A role token outlives its card token; revoking the expired card token
	// still ends it.
	card = h.signIn(t, loadCard(t, daniel))
	h.clock.Advance(ttl - time.Minute)
	late := h.exchange(t, card, "555000000206").token(t).AccessToken
	h.clock.Advance(2 * time.Minute)
	if r := h.scr(t, late, "555000000206"); r.status != http.StatusOK {
		t.Fatalf("role token after its card token expired: %d", r.status)
	}
	h.revoke(t, card)
	if r := h.scr(t, late, "555000000206"); r.status != http.StatusUnauthorized {
		t.Errorf("role token after its expired card token was revoked: %d", r.status)
	}
}

// TestAuditFailure: if the audit trail cannot be written, nothing happens and
// the client gets 500, for grants and refusals alike.
func TestAuditFailure(t *testing.T) {
	h := newHarness(t)
	demo := loadCard(t, priya)
	card := h.signIn(t, demo)
	role := h.exchange(t, card, "555000000201").token(t).AccessToken
	h.audit.setFail(true)
	before := h.audit.count()

	steps := []struct {
		name string
		do   func() reply
	}{
		{"sign-in", func() reply { return h.grant(t, demo.assertion(t, h.tokenURL(), h.challenge(t), t0, nil)) }},
		{"refused sign-in", func() reply { return h.grant(t, demo.assertion(t, "https://elsewhere", h.challenge(t), t0, nil)) }},
		{"exchange", func() reply { return h.exchange(t, card, "555000000201") }},
		{"refused exchange", func() reply { return h.exchange(t, card, "555000000202") }},
		{"revoke", func() reply { return h.revoke(t, card) }},
		{"revoke unknown", func() reply { return h.revoke(t, "never-issued") }},
	}
	for _, s := range steps {
		r := s.do()
		if code, _ := r.oauth(t); r.status != http.StatusInternalServerError || code != "server_error" || strings.Contains(string(r.body), "access_token") {
			t.Errorf("%s with the audit trail down: %d %s", s.name, r.status, r.body)
		}
	}
	if h.audit.count() != before {
		t.Error("records appeared while the trail was down")
	}
	// The revoke did not happen.
	h.audit.setFail(false)
	if r := h.scr(t, role, "555000000201"); r.status != http.StatusOK {
		t.Errorf("role token after an unrecorded revoke: %d", r.status)
	}
}

// TestConcurrentSessions runs 100 whole sessions at once, for the race
// detector: challenge, sign-in, userinfo, role exchange, an SCR call, sign-out.
// The sessions run off the test goroutine, so they report errors rather than
// use the t-based helpers. They all come from 127.0.0.1, so that address may
// hold a challenge for each.
func TestConcurrentSessions(t *testing.T) {
	const n = 100
	h := newHarnessWith(t, func(cfg *identity.Config) { cfg.ChallengesPerAddress = n })
	demo := loadCard(t, priya)
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			<-start
			errs <- h.session(demo, "555000000201")
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got, want := h.audit.count(), 3*n; got != want { // sign-in, exchange, sign-out each
		t.Errorf("%d audit records, want %d", got, want)
	}
}
