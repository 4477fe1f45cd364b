package identity

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// The API platform's token exchange (API.md section 1b): an application that
// has its user's CIS2 ID token exchanges it at /oauth2/token, authenticating
// itself with a client assertion signed by its registered key, for an access
// token that PDS and SCR take with the role in NHSD-Session-URID.
//
// The checks, their order, their status codes and the error and
// error_description of each refusal are the platform's own, as its identity
// service publishes them (reference/nhs/identity: the e2e tests of token
// exchange and the validate-client-assertion-claims and
// validate-subject-token-claims scripts). Where the platform's text is not
// published (a subject token whose signature does not verify, or whose user
// the sandbox does not know) the description is the sandbox's, in the same
// style.
const (
	tokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	clientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

	// PlatformTokenLifetime is how long a platform token lives, as the
	// platform's expires_in says ("599"), unless Config.TokenTTL is shorter.
	PlatformTokenLifetime = 599 * time.Second

	// maxClientAssertionAhead is how far in the future a client assertion's
	// exp may be: the platform advises five minutes and allows ten seconds
	// more.
	maxClientAssertionAhead = 310 * time.Second

	// algClientAssertion is the only alg the platform takes for a client
	// assertion; algIDToken is CIS2's for its ID tokens.
	algClientAssertion = "RS512"
	algIDToken         = "RS256"

	// codePublicKey is the platform's error code for a client assertion its
	// registered keys do not verify.
	codePublicKey = "public_key error"
)

// The platform's refusals, word for word.
const (
	msgGrantType           = "grant_type is invalid"
	msgClientAssertionType = "Missing or invalid client_assertion_type - must be '" + clientAssertionTypeJWT + "'"
	msgSubjectTokenType    = "missing or invalid subject_token_type - must be '" + tokenTypeIDToken + "'"
	msgMissingSubject      = "Missing subject_token"
	msgMalformedSubject    = "Malformed JWT in subject_token"
	msgMissingAssertion    = "Missing client_assertion"
	msgMalformedAssertion  = "Malformed JWT in client_assertion"

	// The client assertion (validate-client-assertion-claims.js and the
	// platform's e2e tests).
	msgCAAlg          = "Invalid 'alg' header in client_assertion JWT - unsupported JWT algorithm - must be 'RS512'"
	msgCAExpired      = "Invalid 'exp' claim in client_assertion JWT - JWT has expired"
	msgCAMissingKID   = "Missing 'kid' header in client_assertion JWT"
	msgCATyp          = "Invalid 'typ' header in client_assertion JWT - must be 'JWT'"
	msgCAMissingExp   = "Missing 'exp' claim in client_assertion JWT"
	msgCAExpNotInt    = "Invalid 'exp' claim in client_assertion JWT - must be an integer"
	msgCAIssSub       = "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT"
	msgCAMissingJTI   = "Missing 'jti' claim in client_assertion JWT"
	msgCAJTINotString = "Invalid 'jti' claim in client_assertion JWT - must be a unique string value such as a GUID"
	msgCAJTIReused    = "Non-unique 'jti' claim in client_assertion JWT"
	msgCAExpTooLong   = "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future"
	msgCAUnknownApp   = "Invalid 'iss'/'sub' claims in client_assertion JWT"
	msgCAUnknownKID   = "Invalid 'kid' header in client_assertion JWT - no matching public key"
	msgCASignature    = "JWT signature verification failed"
	msgCAAud          = "Missing or invalid 'aud' claim in client_assertion JWT"

	// The subject token (validate-subject-token-claims.js, and
	// validate-id-token-claims.js for iss and aud).
	msgSTMissingKID = "Missing 'kid' header in subject_token JWT"
	msgSTTyp        = "Invalid 'typ' header in subject_token JWT - must be 'JWT'"
	msgSTMissingAlg = "Missing 'alg' header in subject_token JWT"
	msgSTMissingExp = "Missing 'exp' claim in subject_token JWT"
	msgSTExpNotInt  = "Invalid 'exp' claim in subject_token JWT - must be an integer"
	msgSTExpired    = "Invalid 'exp' claim in subject_token JWT - JWT has expired"
	msgSTMissingIss = "Missing 'iss' claim in subject_token JWT"
	msgSTMissingAud = "Missing 'aud' claim in subject_token JWT"
	msgSTIss        = "Invalid iss claim in external ID token JWT"
	msgSTAud        = "Invalid 'aud' claim in external ID token JWT"

	// The sandbox's own, where the platform publishes none.
	msgSTUnknownKID = "Invalid 'kid' header in subject_token JWT - no matching public key"
	msgSTSignature  = "Invalid subject_token JWT - signature verification failed"
	msgSTUser       = "Invalid 'sub' claim in subject_token JWT - the user is not known"
)

// platformRequest reports whether a token request is the API platform's
// exchange (section 1b) rather than one of section 1's grants: it carries a
// client assertion, or an ID token as its subject. Section 1's requests carry
// neither, so they are answered exactly as before.
func platformRequest(form url.Values) bool {
	return form.Has("client_assertion_type") || form.Has("client_assertion") ||
		form.Get("subject_token_type") == tokenTypeIDToken
}

func platformRefusal(status int, description string) *oauthError {
	return &oauthError{status: status, code: codeInvalidRequest, description: description}
}

// platformTokenResponse is the platform's answer (identity-service.yaml and its
// e2e tests): expires_in is a string there, "599", and so it is here.
type platformTokenResponse struct {
	AccessToken     string `json:"access_token"`
	ExpiresIn       string `json:"expires_in"`
	TokenType       string `json:"token_type"`
	IssuedTokenType string `json:"issued_token_type"`
}

// platformExchange is the API platform's token exchange: a CIS2 ID token and a
// client assertion of a registered application buy a platform token for the
// ID token's user. Every exchange, allowed or refused, is recorded as a role
// exchange (its detail says it was the platform's) before its answer goes.
func (s *Service) platformExchange(w http.ResponseWriter, r *http.Request, form url.Values) {
	now := s.now()
	rec := audit.Record{Kind: audit.RoleExchange}
	app, user, err := s.checkPlatformExchange(r, form, now)
	if user != nil {
		rec.UserUUID, rec.UserName = user.UUID, user.Name
	}
	if err != nil {
		s.refuse(w, r, rec, err)
		return
	}
	token, sess := s.tokens.issuePlatform(user, app.Name, s.platformTTL, now)
	rec.Outcome = audit.Allowed
	rec.Detail = fmt.Sprintf("API platform token exchange: a CIS2 ID token for an access token to %s (API key %s), the role named on each request",
		app.Name, app.APIKey)
	if s.record(r, rec) != nil {
		s.tokens.revoke(token)
		auditUnavailable(w)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, platformTokenResponse{
		AccessToken:     token,
		ExpiresIn:       strconv.FormatInt(int64(sess.expires.Sub(now)/time.Second), 10),
		TokenType:       "Bearer",
		IssuedTokenType: tokenTypeAccessToken,
	})
}

// checkPlatformExchange checks a platform exchange in the platform's order: the
// form, the client assertion's header and claims, the application and its key,
// the jti, then the subject token. user is set once the subject token names a
// known user, so that a refusal after that is recorded against them.
func (s *Service) checkPlatformExchange(r *http.Request, form url.Values, now time.Time) (*apps.App, *User, error) {
	switch {
	case form.Get("grant_type") != grantTokenExchange:
		return nil, nil, platformRefusal(http.StatusBadRequest, msgGrantType)
	case form.Get("client_assertion_type") != clientAssertionTypeJWT:
		return nil, nil, platformRefusal(http.StatusBadRequest, msgClientAssertionType)
	case form.Get("subject_token_type") != tokenTypeIDToken:
		return nil, nil, platformRefusal(http.StatusBadRequest, msgSubjectTokenType)
	case form.Get("subject_token") == "":
		return nil, nil, platformRefusal(http.StatusBadRequest, msgMissingSubject)
	case form.Get("client_assertion") == "":
		return nil, nil, platformRefusal(http.StatusBadRequest, msgMissingAssertion)
	}
	assertion, ok := decodeJWT(form.Get("client_assertion"))
	if !ok {
		return nil, nil, platformRefusal(http.StatusBadRequest, msgMalformedAssertion)
	}
	subject, ok := decodeJWT(form.Get("subject_token"))
	if !ok {
		return nil, nil, platformRefusal(http.StatusBadRequest, msgMalformedSubject)
	}
	app, err := s.checkClientAssertion(r, assertion, form.Get("client_assertion"), now)
	if err != nil {
		return nil, nil, err
	}
	user, err := s.checkSubjectToken(subject, form.Get("subject_token"), app, now)
	return app, user, err
}

// checkClientAssertion checks the application's client assertion, and spends
// its jti once it is known to be the application's.
func (s *Service) checkClientAssertion(r *http.Request, ca decodedJWT, raw string, now time.Time) (*apps.App, error) {
	exp, expKind := ca.numericClaim("exp")
	iss, _ := ca.claims["iss"].(string)
	sub, _ := ca.claims["sub"].(string)
	jti, jtiIsString := ca.claims["jti"].(string)
	bad := func(msg string) (*apps.App, error) { return nil, platformRefusal(http.StatusBadRequest, msg) }
	// validate-client-assertion-claims.js, in its order.
	switch {
	case ca.header["alg"] != algClientAssertion:
		return bad(msgCAAlg)
	case expKind == claimNumber && now.After(exp):
		return bad(msgCAExpired)
	case !truthy(ca.header["kid"]):
		return bad(msgCAMissingKID)
	case !isJWTTyp(ca.header["typ"]):
		return bad(msgCATyp)
	case expKind == claimAbsent:
		return bad(msgCAMissingExp)
	case expKind != claimNumber:
		return bad(msgCAExpNotInt)
	case iss == "" || sub == "" || iss != sub:
		return bad(msgCAIssSub)
	case !truthy(ca.claims["jti"]):
		return bad(msgCAMissingJTI)
	case !jtiIsString:
		return bad(msgCAJTINotString)
	case s.jtis.Seen(jti, now):
		return bad(msgCAJTIReused)
	case exp.Sub(now) > maxClientAssertionAhead:
		return bad(msgCAExpTooLong)
	}
	// Then the application the API key names, its key and the signature.
	app, ok := s.apps.ByAPIKey(iss)
	if !ok {
		return nil, platformRefusal(http.StatusUnauthorized, msgCAUnknownApp)
	}
	kid, _ := ca.header["kid"].(string)
	key, ok := app.Key(kid)
	if !ok {
		return nil, platformRefusal(http.StatusUnauthorized, msgCAUnknownKID)
	}
	if !verifies(raw, algClientAssertion, key) {
		return nil, &oauthError{status: http.StatusUnauthorized, code: codePublicKey, description: msgCASignature}
	}
	if !audienceIs(ca.claims["aud"], s.audiences(r)) {
		return nil, platformRefusal(http.StatusUnauthorized, msgCAAud)
	}
	switch err := s.jtis.Use(jti, exp, now); {
	case errors.Is(err, apps.ErrJTIUsed):
		return bad(msgCAJTIReused)
	case err != nil:
		return nil, newOAuthError(http.StatusServiceUnavailable, codeUnavailable, "%s", "too many client assertions are live; try again shortly")
	}
	return app, nil
}

// checkSubjectToken checks the CIS2 ID token: validate-subject-token-claims.js
// in its order, then that CIS2 issued it for this application (iss and aud, as
// validate-id-token-claims.js checks them) and signed it, and that its user is
// known.
func (s *Service) checkSubjectToken(st decodedJWT, raw string, app *apps.App, now time.Time) (*User, error) {
	exp, expKind := st.numericClaim("exp")
	iss, _ := st.claims["iss"].(string)
	bad := func(status int, msg string) (*User, error) { return nil, platformRefusal(status, msg) }
	switch {
	case !truthy(st.header["kid"]):
		return bad(http.StatusBadRequest, msgSTMissingKID)
	case !isJWTTyp(st.header["typ"]):
		return bad(http.StatusBadRequest, msgSTTyp)
	case !truthy(st.header["alg"]):
		return bad(http.StatusBadRequest, msgSTMissingAlg)
	case expKind == claimAbsent:
		return bad(http.StatusBadRequest, msgSTMissingExp)
	case expKind != claimNumber:
		return bad(http.StatusBadRequest, msgSTExpNotInt)
	case now.After(exp):
		return bad(http.StatusBadRequest, msgSTExpired)
	case !truthy(st.claims["iss"]):
		return bad(http.StatusBadRequest, msgSTMissingIss)
	case !truthy(st.claims["aud"]):
		return bad(http.StatusUnauthorized, msgSTMissingAud)
	case s.idTokens == nil || !strings.EqualFold(iss, s.idTokens.Issuer()):
		return bad(http.StatusBadRequest, msgSTIss)
	case !audienceIs(st.claims["aud"], []string{app.ClientID}):
		return bad(http.StatusBadRequest, msgSTAud)
	}
	kid, _ := st.header["kid"].(string)
	key, ok := s.idTokens.IDTokenKey(kid)
	if !ok {
		return bad(http.StatusUnauthorized, msgSTUnknownKID)
	}
	if !verifies(raw, algIDToken, key) {
		return bad(http.StatusUnauthorized, msgSTSignature)
	}
	sub, _ := st.claims["sub"].(string)
	user, ok := s.users.users[sub]
	if !ok {
		return bad(http.StatusBadRequest, msgSTUser)
	}
	return user, nil
}

// decodedJWT is a compact JWS's header and claims, decoded but not verified.
type decodedJWT struct {
	header, claims map[string]any
}

// decodeJWT decodes a compact JWS (RFC 7515 section 7.1) of three base64url
// parts whose first two are JSON objects; numbers stay json.Numbers.
func decodeJWT(raw string) (decodedJWT, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || parts[2] == "" {
		return decodedJWT{}, false
	}
	var d decodedJWT
	for i, dst := range []*map[string]any{&d.header, &d.claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return decodedJWT{}, false
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil || *dst == nil || dec.More() {
			return decodedJWT{}, false
		}
	}
	return d, true
}

// claimKind is what a NumericDate claim holds.
type claimKind int

const (
	claimAbsent claimKind = iota // missing, or a value JavaScript takes as false (0, "", null, false)
	claimNumber
	claimOther // a string or anything else that is not a number
)

// numericClaim reads a NumericDate claim (seconds since 1970) as a time.
func (d decodedJWT) numericClaim(name string) (time.Time, claimKind) {
	v, ok := d.claims[name]
	if !ok || !truthy(v) {
		return time.Time{}, claimAbsent
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, claimOther
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, claimOther
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), claimNumber
}

// truthy is JavaScript's truth of a JSON value, which the platform's scripts
// test for "missing".
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case json.Number:
		f, err := v.Float64()
		return err != nil || f != 0
	}
	return true
}

// isJWTTyp reports whether a typ header is "JWT", in any case.
func isJWTTyp(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, "jwt")
}

// audienceIs reports whether an aud claim is exactly one of want: a string, or
// an array of one string (which the platform's script reads as that string).
func audienceIs(aud any, want []string) bool {
	var got string
	switch a := aud.(type) {
	case string:
		got = a
	case []any:
		if len(a) != 1 {
			return false
		}
		got, _ = a[0].(string)
	}
	for _, w := range want {
		if got != "" && got == w {
			return true
		}
	}
	return false
}

// verifies reports whether raw's signature is alg's by key. The claims are
// checked by the callers, in the platform's order and words.
func verifies(raw, alg string, key any) bool {
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation()).
		Parse(raw, func(*jwt.Token) (any, error) { return key, nil })
	return err == nil
}
