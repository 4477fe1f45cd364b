package identity

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// maxChallenges bounds the challenges outstanding at once. The endpoint needs no
// credentials, so without a bound anyone could fill the server's memory; at 100
// concurrent sessions, each asking once a sign-in, 10 000 live challenges is far
// beyond honest use.
const maxChallenges = 10_000

var errTooManyChallenges = errors.New("identity: too many outstanding challenges")

// challengeStore holds the challenges the server has issued. A challenge is good
// for one assertion (its jti) until it expires; once used it is kept, marked, until
// then, so that a replay is told it was used rather than unknown.
type challengeStore struct {
	ttl   time.Duration
	limit int

	mu        sync.Mutex
	issued    map[string]challenge
	nextSweep time.Time
}

type challenge struct {
	expires time.Time
	used    bool
}

func newChallengeStore(ttl time.Duration, limit int) *challengeStore {
	return &challengeStore{ttl: ttl, limit: limit, issued: make(map[string]challenge)}
}

// issue makes a new challenge: 32 random bytes, base64url without padding
// (RFC 7515 Appendix C), so it can stand as a JWT jti unchanged.
func (cs *challengeStore) issue(now time.Time) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	c := base64.RawURLEncoding.EncodeToString(b[:])

	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.issued) >= cs.limit || !now.Before(cs.nextSweep) {
		cs.sweep(now)
	}
	if len(cs.issued) >= cs.limit {
		return "", errTooManyChallenges
	}
	cs.issued[c] = challenge{expires: now.Add(cs.ttl)}
	return c, nil
}

// consume spends challenge c, whatever the outcome: a challenge is presented
// once. It reports why c cannot authenticate an assertion, if it cannot.
func (cs *challengeStore) consume(c string, now time.Time) error {
	if c == "" {
		return invalidGrant("the assertion has no jti: it must be a challenge from POST %s", PathChallenge)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ch, ok := cs.issued[c]
	switch {
	case !ok:
		return invalidGrant("the jti is not a challenge this server issued, or it expired long ago")
	case ch.used:
		return invalidGrant("the jti's challenge has already been used: ask for a new one")
	}
	ch.used = true
	cs.issued[c] = ch
	if !now.Before(ch.expires) {
		return invalidGrant("the jti's challenge expired at %s", ch.expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// sweep forgets expired challenges; a forgotten one is refused as unknown.
// Called with cs.mu held.
func (cs *challengeStore) sweep(now time.Time) {
	for c, ch := range cs.issued {
		if !now.Before(ch.expires) {
			delete(cs.issued, c)
		}
	}
	cs.nextSweep = now.Add(cs.ttl)
}

// len reports how many challenges are held, for tests.
func (cs *challengeStore) len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.issued)
}
