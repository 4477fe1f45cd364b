package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"
)

// Lookup failures; their text is the error_description the client sees.
var (
	errUnknownToken    = errors.New("the token is unknown or has been revoked")
	errExpiredToken    = errors.New("the token has expired")
	errNotCardToken    = errors.New("the token is a role token, not a card token")
	errPlatformNotCard = errors.New("the token is an API platform token (exchanged from a CIS2 ID token), not a card token")
)

// tokenKey is the SHA-256 of a token. The store keeps only these, so neither a
// memory dump nor a log of keys gives anyone a token that works.
type tokenKey [sha256.Size]byte

func keyOf(token string) tokenKey { return sha256.Sum256([]byte(token)) }

// id is the non-secret token ID of Service.TokenID and wire.Session.TokenID.
func (k tokenKey) id() string { return hex.EncodeToString(k[:8]) }

// grant is what a token stands for: a signed-in card holder (card token), one
// of their roles (role token, exchanged from a card token), or, from the API
// platform's exchange of a CIS2 ID token (API.md section 1b), the user in any
// of their roles, which each request names in NHSD-Session-URID (platform
// token).
type grant struct {
	user     *User
	role     *Role      // nil for a card or platform token
	platform string     // platform token: the application's name; "" otherwise
	parent   tokenKey   // role token: the card token it was exchanged from
	children []tokenKey // card token: the role tokens exchanged from it
	expires  time.Time
}

// session is a copy of what handlers need from a grant.
type session struct {
	user     *User
	role     *Role
	platform string // the application a platform token was issued to; "" for a card or role token
	id       string
	expires  time.Time
}

// tokenStore holds the live tokens. An expired card token is kept for as long as
// a role token exchanged from it lives, so that revoking it still ends them
// (RFC 7009 section 2.1); nothing else outlives its expiry by more than a sweep.
type tokenStore struct {
	ttl time.Duration

	mu        sync.Mutex
	grants    map[tokenKey]*grant
	nextSweep time.Time
}

func newTokenStore(ttl time.Duration) *tokenStore {
	return &tokenStore{ttl: ttl, grants: make(map[tokenKey]*grant)}
}

// newToken makes an opaque bearer token: 32 random bytes, base64url without
// padding, which is within RFC 6750's b64token syntax.
func newToken() (string, tokenKey) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	t := base64.RawURLEncoding.EncodeToString(b[:])
	return t, keyOf(t)
}

// issueCard issues a card token for user.
func (ts *tokenStore) issueCard(user *User, now time.Time) (string, session) {
	token, k := newToken()
	g := &grant{user: user, expires: now.Add(ts.ttl)}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.sweepIfDue(now)
	ts.grants[k] = g
	return token, g.session(k)
}

// issuePlatform issues a platform token for user, to the application named
// app, living ttl.
func (ts *tokenStore) issuePlatform(user *User, app string, ttl time.Duration, now time.Time) (string, session) {
	token, k := newToken()
	g := &grant{user: user, platform: app, expires: now.Add(ttl)}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.sweepIfDue(now)
	ts.grants[k] = g
	return token, g.session(k)
}

// MaxRoleTokens is how many live role tokens one card sign-in may hold. A
// viewer holds one and exchanges again to change role (ctrl+r), so an exchange
// beyond the limit revokes the card's oldest role token rather than failing:
// switching roles keeps working, and a card token cannot mint tokens without
// end.
const MaxRoleTokens = 4

// issueRole issues a role token for role, exchanged from cardToken, which must
// still be a live card token: checked here, under the lock, so that a card token
// revoked meanwhile cannot gain a child. If the card token already has
// MaxRoleTokens live role tokens, the oldest is revoked and returned as ended,
// which restore can put back.
func (ts *tokenStore) issueRole(cardToken string, role *Role, now time.Time) (token string, sess session, ended *endedRole, err error) {
	pk := keyOf(cardToken)
	token, k := newToken()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	parent, err := ts.live(pk, now)
	if err != nil {
		return "", session{}, nil, err
	}
	if parent.role != nil {
		return "", session{}, nil, errNotCardToken
	}
	if parent.platform != "" {
		return "", session{}, nil, errPlatformNotCard
	}
	ts.sweepIfDue(now)
	// Forget children revoked or expired; those left are in order of issue.
	parent.children = slices.DeleteFunc(parent.children, func(c tokenKey) bool {
		if _, err := ts.live(c, now); err != nil {
			delete(ts.grants, c)
			return true
		}
		return false
	})
	if len(parent.children) >= MaxRoleTokens {
		oldest := parent.children[0]
		ended = &endedRole{key: oldest, grant: ts.grants[oldest]}
		delete(ts.grants, oldest)
		parent.children = slices.Delete(parent.children, 0, 1)
	}
	g := &grant{user: parent.user, role: role, parent: pk, expires: now.Add(ts.ttl)}
	ts.grants[k] = g
	parent.children = append(parent.children, k)
	return token, g.session(k), ended, nil
}

// endedRole is a role token issueRole revoked to stay within MaxRoleTokens.
type endedRole struct {
	key   tokenKey
	grant *grant
}

// restore puts back a role token issueRole ended, as the oldest of its card
// token's, if that card token is still held: the exchange that ended it could
// not be recorded, so it must not have happened.
func (ts *tokenStore) restore(e *endedRole) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	parent, ok := ts.grants[e.grant.parent]
	if !ok {
		return
	}
	ts.grants[e.key] = e.grant
	parent.children = slices.Insert(parent.children, 0, e.key)
}

// lookup returns the session of a live token.
func (ts *tokenStore) lookup(token string, now time.Time) (session, error) {
	k := keyOf(token)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	g, err := ts.live(k, now)
	if err != nil {
		return session{}, err
	}
	return g.session(k), nil
}

// find returns the session of a held token, expired or not, and how many live
// role tokens were exchanged from it: what revoke would end.
func (ts *tokenStore) find(token string, now time.Time) (s session, liveRoles int, ok bool) {
	k := keyOf(token)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	g, ok := ts.grants[k]
	if !ok {
		return session{}, 0, false
	}
	for _, c := range g.children {
		if _, err := ts.live(c, now); err == nil {
			liveRoles++
		}
	}
	return g.session(k), liveRoles, true
}

// revoke ends token and, for a card token, every role token exchanged from it.
func (ts *tokenStore) revoke(token string) {
	k := keyOf(token)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	g, ok := ts.grants[k]
	if !ok {
		return
	}
	delete(ts.grants, k)
	for _, c := range g.children {
		delete(ts.grants, c)
	}
	if g.role == nil {
		return
	}
	if parent, ok := ts.grants[g.parent]; ok {
		parent.children = slices.DeleteFunc(parent.children, func(c tokenKey) bool { return c == k })
	}
}

// live returns the grant of k if it is held and unexpired. Called with ts.mu held.
func (ts *tokenStore) live(k tokenKey, now time.Time) (*grant, error) {
	g, ok := ts.grants[k]
	switch {
	case !ok:
		return nil, errUnknownToken
	case !now.Before(g.expires):
		return nil, errExpiredToken
	}
	return g, nil
}

// sweepIfDue forgets expired tokens at most once a token lifetime, so memory
// stays bounded by the tokens issued in about two lifetimes. Called with ts.mu held.
func (ts *tokenStore) sweepIfDue(now time.Time) {
	if now.Before(ts.nextSweep) {
		return
	}
	ts.nextSweep = now.Add(ts.ttl)
	for k, g := range ts.grants {
		if (g.role != nil || g.platform != "") && !now.Before(g.expires) {
			delete(ts.grants, k)
		}
	}
	for k, g := range ts.grants {
		if g.role != nil || g.platform != "" {
			continue
		}
		g.children = slices.DeleteFunc(g.children, func(c tokenKey) bool { _, held := ts.grants[c]; return !held })
		if len(g.children) == 0 && !now.Before(g.expires) {
			delete(ts.grants, k)
		}
	}
}

// len reports how many tokens are held, for tests.
func (ts *tokenStore) len() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.grants)
}

func (g *grant) session(k tokenKey) session {
	return session{user: g.user, role: g.role, platform: g.platform, id: k.id(), expires: g.expires}
}
