package identity_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestProtocolErrors: wrong methods, malformed forms and unknown grants are
// answered with RFC 6749 JSON, never the mux's plain text or HTML.
func TestProtocolErrors(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	h := newHarness(t)
	tests := []struct {
		name, method, target, contentType, body string
		hdr                                     http.Header
		wantStatus                              int
		wantCode, wantDesc                      string
	}{
		{"GET token", http.MethodGet, "/oauth2/token", "", "", nil, 405, "invalid_request", "use POST"},
		{"GET challenge", http.MethodGet, "/oauth2/challenge", "", "", nil, 405, "invalid_request", "use POST"},
		{"GET revoke", http.MethodGet, "/oauth2/revoke", "", "", nil, 405, "invalid_request", "use POST"},
		{"POST userinfo", http.MethodPost, "/oauth2/userinfo", form, "", bearer("x"), 405, "invalid_request", "use GET"},
		{"DELETE token", http.MethodDelete, "/oauth2/token", "", "", nil, 405, "invalid_request", "use POST"},
		{"JSON body", http.MethodPost, "/oauth2/token", "application/json", `{"grant_type":"x"}`, nil, 400, "invalid_request", "x-www-form-urlencoded"},
		{"no Content-Type", http.MethodPost, "/oauth2/token", "", "grant_type=x", nil, 400, "invalid_request", "x-www-form-urlencoded"},
		{"bad escape", http.MethodPost, "/oauth2/token", form, "grant_type=%zz", nil, 400, "invalid_request", "cannot be read"},
		{"too large", http.MethodPost, "/oauth2/token", form, "assertion=" + strings.Repeat("a", 70<<10), nil, 400, "invalid_request", "cannot be read"},
		{"repeated parameter", http.MethodPost, "/oauth2/token", form, "grant_type=a&grant_type=b", nil, 400, "invalid_request", "more than once"},
		{"no grant_type", http.MethodPost, "/oauth2/token", form, "assertion=x", nil, 400, "invalid_request", "grant_type is required"},
		{"grant_type in the query", http.MethodPost, "/oauth2/token?grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer", form, "", nil, 400, "invalid_request", "grant_type is required"},
		{"password grant", http.MethodPost, "/oauth2/token", form, "grant_type=password", nil, 400, "unsupported_grant_type", "grant_type must be"},
		{"no assertion", http.MethodPost, "/oauth2/token", form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", nil, 400, "invalid_request", "assertion is required"},
		{"revoke without token", http.MethodPost, "/oauth2/revoke", form, "token_type_hint=access_token", nil, 400, "invalid_request", "token is required"},
		{"userinfo without token", http.MethodGet, "/oauth2/userinfo", "", "", nil, 401, "invalid_token", "Bearer token is required"},
		{"userinfo with Basic", http.MethodGet, "/oauth2/userinfo", "", "", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 401, "invalid_token", "Bearer token is required"},
		{"userinfo with unknown token", http.MethodGet, "/oauth2/userinfo", "", "", bearer("nope"), 401, "invalid_token", "unknown or has been revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(t, tt.method, tt.target, tt.contentType, tt.body, tt.hdr)
			code, desc := r.oauth(t)
			if r.status != tt.wantStatus || code != tt.wantCode || !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("got %d %s %q, want %d %s containing %q", r.status, code, desc, tt.wantStatus, tt.wantCode, tt.wantDesc)
			}
			if r.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if r.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Error("401 without WWW-Authenticate: Bearer")
			}
		})
	}
}
