package cis2

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// maxCodes bounds the codes held at once: each is a card sign-in, and each
// card sign-in spends a challenge, which are bounded per address already.
const maxCodes = 10_000

// authCode is what an authorisation code stands for.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string // PKCE code_challenge (S256)
	nonce       string
	scope       string
	userUUID    string
	authTime    time.Time

	expires time.Time
	used    bool
	issued  []byte // the access token's key, once the code bought one
}

// secret makes an opaque random value: 32 bytes, base64url without padding.
func secret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashOf is what the stores keep of a code or token: its SHA-256, so that a
// memory dump holds nothing that works.
func hashOf(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// codeStore holds the authorisation codes. A code is good once; once used it
// is kept, marked, until it expires, so that a replay is told so and the
// token it bought is revoked (RFC 6749 section 4.1.2).
type codeStore struct {
	ttl time.Duration

	mu        sync.Mutex
	codes     map[[sha256.Size]byte]*authCode
	nextSweep time.Time
}

func newCodeStore(ttl time.Duration) *codeStore {
	return &codeStore{ttl: ttl, codes: make(map[[sha256.Size]byte]*authCode)}
}

var errTooManyCodes = errors.New("too many sign-ins are under way; try again shortly")

func (cs *codeStore) issue(c authCode, now time.Time) (string, error) {
	code := secret()
	c.expires = now.Add(cs.ttl)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if !now.Before(cs.nextSweep) || len(cs.codes) >= maxCodes {
		for k, v := range cs.codes {
			if !now.Before(v.expires) {
				delete(cs.codes, k)
			}
		}
		cs.nextSweep = now.Add(cs.ttl)
	}
	if len(cs.codes) >= maxCodes {
		return "", errTooManyCodes
	}
	cs.codes[hashOf(code)] = &c
	return code, nil
}

// Why redeem refuses a code.
var (
	errCodeUnknown = errors.New("the code is unknown, or has expired")
	errCodeUsed    = errors.New("the code has been used already; the token it bought is revoked")
)

// redeem spends code: it returns what the code stands for, or why it cannot
// be used. A code presented a second time answers errCodeUsed and the key of
// the access token the first bought, for the caller to revoke.
func (cs *codeStore) redeem(code string, now time.Time) (authCode, []byte, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.codes[hashOf(code)]
	switch {
	case !ok || !now.Before(c.expires):
		return authCode{}, nil, errCodeUnknown
	case c.used:
		issued := c.issued
		c.issued = nil
		return authCode{}, issued, errCodeUsed
	}
	c.used = true
	return *c, nil, nil
}

// bought records the access token a code bought (its key), for a replay to
// revoke.
func (cs *codeStore) bought(code string, tokenKey []byte) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.codes[hashOf(code)]; ok {
		c.issued = tokenKey
	}
}

// accessTokens are the provider's access tokens, good for its userinfo.
type accessTokens struct {
	ttl time.Duration

	mu        sync.Mutex
	tokens    map[[sha256.Size]byte]accessGrant
	nextSweep time.Time
}

type accessGrant struct {
	userUUID string
	expires  time.Time
}

func newAccessTokens(ttl time.Duration) *accessTokens {
	return &accessTokens{ttl: ttl, tokens: make(map[[sha256.Size]byte]accessGrant)}
}

// issue makes an access token for user, and returns it with its key.
func (at *accessTokens) issue(user string, now time.Time) (string, []byte, time.Time) {
	tok := secret()
	k := hashOf(tok)
	exp := now.Add(at.ttl)
	at.mu.Lock()
	defer at.mu.Unlock()
	if !now.Before(at.nextSweep) {
		for k, g := range at.tokens {
			if !now.Before(g.expires) {
				delete(at.tokens, k)
			}
		}
		at.nextSweep = now.Add(at.ttl)
	}
	at.tokens[k] = accessGrant{userUUID: user, expires: exp}
	return tok, k[:], exp
}

// lookup returns the user of a live access token.
func (at *accessTokens) lookup(tok string, now time.Time) (string, bool) {
	at.mu.Lock()
	defer at.mu.Unlock()
	g, ok := at.tokens[hashOf(tok)]
	if !ok || !now.Before(g.expires) {
		return "", false
	}
	return g.userUUID, true
}

// revoke ends the access token with the given key.
func (at *accessTokens) revoke(key []byte) {
	if len(key) != sha256.Size {
		return
	}
	at.mu.Lock()
	defer at.mu.Unlock()
	delete(at.tokens, [sha256.Size]byte(key))
}
