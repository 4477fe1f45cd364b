package cis2

import (
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/identity"
)

// authRequest is an authorisation request (RFC 6749 section 4.1.1, OpenID
// Connect Core 1.0 section 3.1.2.1, RFC 7636 section 4.3).
type authRequest struct {
	app         *apps.App
	redirectURI string
	scope       string
	state       string
	nonce       string
	challenge   string // code_challenge, S256
}

// authError is an error to send back to the client on its redirect_uri
// (RFC 6749 section 4.1.2.1).
type authError struct {
	code, description string
}

// pageError is an error that cannot go to the redirect_uri, because the
// client or its redirect_uri is not to be trusted: the user is told in the
// browser (RFC 6749 section 4.1.2.1: "MUST NOT automatically redirect").
type pageError struct{ description string }

// codeChallengeForm is a base64url SHA-256 (RFC 7636 section 4.2): 43
// characters without padding.
var codeChallengeForm = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// maxParam bounds state and nonce, which come back in the redirect and the ID
// token.
const maxParam = 512

// parseAuthorize reads an authorisation request: first the client and its
// redirect_uri, whose failure is a pageError, then the rest, whose failure
// is an authError for the redirect.
func (p *Provider) parseAuthorize(v url.Values) (authRequest, *authError, *pageError) {
	var req authRequest
	if err := once(v); err != nil {
		return req, nil, &pageError{err.Error()}
	}
	clientID := v.Get("client_id")
	app, ok := p.apps.ByClientID(clientID)
	switch {
	case clientID == "":
		return req, nil, &pageError{"client_id is required"}
	case !ok:
		return req, nil, &pageError{"client_id " + clientID + " is not a registered application"}
	}
	req.app = app
	req.redirectURI = v.Get("redirect_uri")
	if err := loopbackRedirect(req.redirectURI); err != nil {
		return req, nil, &pageError{err.Error()}
	}
	req.scope, req.state, req.nonce, req.challenge = v.Get("scope"), v.Get("state"), v.Get("nonce"), v.Get("code_challenge")
	scopes := strings.Fields(req.scope)
	switch {
	case v.Get("response_type") != "code":
		return req, &authError{"unsupported_response_type", "response_type must be code: the Authorization Code flow is the only one"}, nil
	case !slices.Contains(scopes, "openid"):
		return req, &authError{"invalid_scope", "scope must include openid"}, nil
	case slices.ContainsFunc(scopes, func(s string) bool { return !slices.Contains(Scopes, s) }):
		return req, &authError{"invalid_scope", "scope holds a scope this provider does not know; it knows " + strings.Join(Scopes, " ")}, nil
	case req.state == "" || len(req.state) > maxParam:
		return req, &authError{"invalid_request", "state is required (at most 512 characters)"}, nil
	case req.nonce == "" || len(req.nonce) > maxParam:
		return req, &authError{"invalid_request", "nonce is required (at most 512 characters)"}, nil
	case req.challenge == "":
		return req, &authError{"invalid_request", "code_challenge is required: PKCE (RFC 7636) with S256"}, nil
	case v.Get("code_challenge_method") != "S256":
		return req, &authError{"invalid_request", "code_challenge_method must be S256"}, nil
	case !codeChallengeForm.MatchString(req.challenge):
		return req, &authError{"invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier, 43 characters"}, nil
	}
	return req, nil, nil
}

// loopbackRedirect accepts a native application's loopback redirect URI
// (RFC 8252 section 7.3): http, the loopback IP literal 127.0.0.1 or [::1],
// any port, no fragment. "localhost" is refused, as section 8.3 advises.
func loopbackRedirect(raw string) error {
	if raw == "" {
		return errors.New("redirect_uri is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("redirect_uri is not a URL")
	}
	ip := net.ParseIP(u.Hostname())
	switch {
	case u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "":
		return errors.New("redirect_uri must be http://127.0.0.1:PORT/… or http://[::1]:PORT/… (a loopback redirect, RFC 8252), without user or fragment")
	case ip == nil || !ip.IsLoopback() || (ip.To4() != nil && !ip.Equal(net.IPv4(127, 0, 0, 1))):
		return errors.New("redirect_uri's host must be the loopback address 127.0.0.1 or [::1] (RFC 8252 section 7.3), not " + u.Hostname())
	case u.Port() == "":
		return errors.New("redirect_uri must name the port the application listens on")
	}
	return nil
}

// redirect sends the user agent back to the client with params (and the
// request's state).
func redirect(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	if req.state != "" {
		params.Set("state", req.state)
	}
	u, _ := url.Parse(req.redirectURI) // parseAuthorize checked it
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (e *authError) params() url.Values {
	v := url.Values{"error": {e.code}}
	if e.description != "" {
		v.Set("error_description", e.description)
	}
	return v
}

// handleAuthorize is the authorisation endpoint. A GET is the user's browser
// arriving: it answers the page that stands in for CIS2's sign-in. A POST with
// card_assertion is that sign-in done: the card authenticates the user and the
// browser is sent back to the client with a code.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	var (
		v   url.Values
		err error
	)
	if r.Method == http.MethodPost {
		v, err = readForm(w, r)
	} else {
		v = r.URL.Query()
	}
	if err != nil {
		page(w, http.StatusBadRequest, pageData{Problem: err.Error()})
		return
	}
	req, aerr, perr := p.parseAuthorize(v)
	switch {
	case perr != nil:
		page(w, http.StatusBadRequest, pageData{Problem: perr.description})
		return
	case aerr != nil:
		redirect(w, r, req, aerr.params())
		return
	case r.Method == http.MethodGet:
		page(w, http.StatusOK, pageData{App: req.app.Name})
		return
	}

	user, err := p.cards.AuthenticateCard(r, v.Get("card_assertion"), "CIS2 authorise (sandbox) for "+req.app.Name)
	if refused, ok := errors.AsType[*identity.CardRefusedError](err); ok {
		redirect(w, r, req, (&authError{"access_denied", "the card is refused: " + refused.Description}).params())
		return
	}
	if err != nil {
		redirect(w, r, req, (&authError{"server_error", "the sign-in could not be recorded, so it did not happen"}).params())
		return
	}
	code, err := p.codes.issue(authCode{
		clientID:    req.app.ClientID,
		redirectURI: req.redirectURI,
		challenge:   req.challenge,
		nonce:       req.nonce,
		scope:       req.scope,
		userUUID:    user.UUID,
		authTime:    p.now(),
	}, p.now())
	if err != nil {
		redirect(w, r, req, (&authError{"temporarily_unavailable", err.Error()}).params())
		return
	}
	redirect(w, r, req, url.Values{"code": {code}})
}

// pageData is what the authorise page shows.
type pageData struct {
	App     string // the application asking, on a good request
	Problem string // what is wrong with a bad one
}

// pageTemplate is parsed at the first page, not at init: scr links the
// sandbox in for its demo, and every start would pay for the parse.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>scr-sandbox: CIS2 sign-in (stand-in)</title></head>
<body>
<h1>scr-sandbox: a stand-in for NHS CIS2 Authentication</h1>
<p><strong>This is the sandbox.</strong> Its users, cards and keys are synthetic and public;
nothing here is NHS CIS2, and no real credentials belong here.</p>
{{if .Problem}}<p>This sign-in request cannot go on: {{.Problem}}.</p>
{{else}}<p>{{.App}} asks you to sign in. Where CIS2 would ask for your smartcard and passcode,
the sandbox takes the card in the reader: the application (scr --demo, or a test) sends this
request again as a POST with <code>card_assertion</code>, the card's signature over a challenge
from <code>POST /oauth2/challenge</code>, and is sent back its code.</p>
{{end}}</body>
</html>
`))
})

func page(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pageTemplate().Execute(w, d)
}
