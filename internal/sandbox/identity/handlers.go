package identity

import (
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// maxFormBytes bounds a form body. The largest honest one, an RS256 assertion
// with its RSA-2048 certificate, is about 3 KB.
const maxFormBytes = 64 << 10

// scope is what every token here grants, as CIS2 names it.
const scope = "openid nationalrbacaccess"

// Routes registers the /oauth2 endpoints on mux. They are registered by path
// alone, not "POST /…": the mux's own 405 is plain text, and API.md wants every
// /oauth2 error as RFC 6749 JSON.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle(PathChallenge, allow(http.MethodPost, s.handleChallenge))
	mux.Handle(PathToken, allow(http.MethodPost, s.handleToken))
	mux.Handle(PathUserinfo, allow(http.MethodGet, s.handleUserinfo))
	mux.Handle(PathRevoke, allow(http.MethodPost, s.handleRevoke))
}

// allow answers any method but method with 405 and an RFC 6749 error body.
func allow(method string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			wire.OAuthError(w, http.StatusMethodNotAllowed, codeInvalidRequest, "use "+method)
			return
		}
		h(w, r)
	})
}

// readForm returns the request's form body. RFC 6749 section 3.2 (and RFC 7009
// section 2.1) send parameters as application/x-www-form-urlencoded in the body,
// never the query, where a token or assertion would end up in logs; each at most
// once.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("the form cannot be read: %v", err)
	}
	for name, values := range r.PostForm {
		if len(values) > 1 {
			return nil, invalidRequest("parameter %s is given more than once", name)
		}
	}
	return r.PostForm, nil
}

// handleToken is the token endpoint (RFC 6749 section 3.2) for section 1's
// grants, a card assertion (RFC 7523) and a role exchange (RFC 8693), and for
// the API platform's exchange of a CIS2 ID token (section 1b), which a client
// assertion or an ID token subject tells apart.
func (s *Service) handleToken(w http.ResponseWriter, r *http.Request) {
	s.flushDue(r.Context())
	form, err := readForm(w, r)
	if err != nil {
		writeOAuthError(w, err)
		return
	}
	if platformRequest(form) {
		s.platformExchange(w, r, form)
		return
	}
	switch grant := form.Get("grant_type"); grant {
	case grantJWTBearer:
		s.signIn(w, r, form)
	case grantTokenExchange:
		s.exchange(w, r, form)
	case "":
		writeOAuthError(w, invalidRequest("grant_type is required"))
	default:
		writeOAuthError(w, newOAuthError(http.StatusBadRequest, codeUnsupportedGrantType,
			"grant_type must be %s or %s", grantJWTBearer, grantTokenExchange))
	}
}

// tokenResponse is RFC 6749 section 5.1's, with RFC 8693 section 2.2.1's
// issued_token_type on an exchange.
type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
}

func writeToken(w http.ResponseWriter, token string, sess session, now time.Time, issuedType string) {
	w.Header().Set("Pragma", "no-cache") // RFC 6749 section 5.1; WriteJSON sets Cache-Control: no-store
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, tokenResponse{
		AccessToken:     token,
		IssuedTokenType: issuedType,
		TokenType:       "Bearer",
		ExpiresIn:       int64(sess.expires.Sub(now) / time.Second),
		Scope:           scope,
	})
}
