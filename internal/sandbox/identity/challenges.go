package identity

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"
)

// maxChallenges bounds the challenges outstanding at once, a bound on memory:
// at 100 concurrent sessions, each asking once a sign-in, 10 000 live
// challenges is far beyond honest use. No one client can come near it:
// DefaultChallengesPerAddress is far smaller.
const maxChallenges = 10_000

// DefaultChallengesPerAddress is how many unused challenges one client address
// may hold at once. A client asks for one, signs it within seconds and spends
// it; 16 allows for sign-ins abandoned at the passcode and for several counter
// PCs behind one address, while an endpoint that needs no credentials cannot
// be used by one address to fill the store and lock everyone else out.
const DefaultChallengesPerAddress = 16

var errTooManyChallenges = errors.New("identity: too many outstanding challenges")

// tooManyFromAddress refuses a challenge because its address already holds
// its limit of unused ones; retryAfter is when the oldest of them expires.
type tooManyFromAddress struct {
	limit      int
	retryAfter time.Duration
}

func (e *tooManyFromAddress) Error() string {
	return "identity: too many outstanding challenges from one address"
}

// challengeStore holds the challenges the server has issued. A challenge is good
// for one assertion (its jti) until it expires; once used it is kept, marked, until
// then, so that a replay is told it was used rather than unknown.
type challengeStore struct {
	ttl     time.Duration
	limit   int // all addresses together
	perAddr int // one address

	mu     sync.Mutex
	issued map[string]challenge
	// unused holds, for each address, its challenges not yet used and perhaps
	// not yet expired, oldest first (the TTL is fixed, so also in order of
	// expiry). At most perAddr each; an address with none has no entry.
	unused    map[string][]string
	nextSweep time.Time
}

type challenge struct {
	expires time.Time
	addr    string // ClientAddress of the request that asked for it
	used    bool
}

func newChallengeStore(ttl time.Duration, limit, perAddr int) *challengeStore {
	return &challengeStore{
		ttl: ttl, limit: limit, perAddr: perAddr,
		issued: make(map[string]challenge),
		unused: make(map[string][]string),
	}
}

// issue makes a new challenge for a client at addr: 32 random bytes, base64url
// without padding (RFC 7515 Appendix C), so it can stand as a JWT jti unchanged.
// It fails with a *tooManyFromAddress if addr holds perAddr unused challenges,
// and with errTooManyChallenges if the store is full.
func (cs *challengeStore) issue(addr string, now time.Time) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	c := base64.RawURLEncoding.EncodeToString(b[:])

	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.issued) >= cs.limit || !now.Before(cs.nextSweep) {
		cs.sweep(now)
	}
	mine := cs.dropExpired(addr, now)
	if len(mine) >= cs.perAddr {
		oldest := cs.issued[mine[0]].expires
		return "", &tooManyFromAddress{limit: cs.perAddr, retryAfter: oldest.Sub(now)}
	}
	if len(cs.issued) >= cs.limit {
		return "", errTooManyChallenges
	}
	cs.issued[c] = challenge{expires: now.Add(cs.ttl), addr: addr}
	cs.unused[addr] = append(mine, c)
	return c, nil
}

// dropExpired forgets addr's unused challenges that have expired, from the
// front, and returns those left. Called with cs.mu held.
func (cs *challengeStore) dropExpired(addr string, now time.Time) []string {
	mine := cs.unused[addr]
	n := 0
	for n < len(mine) && !now.Before(cs.issued[mine[n]].expires) {
		n++
	}
	if n > 0 {
		mine = slices.Delete(mine, 0, n)
		cs.setUnused(addr, mine)
	}
	return mine
}

// setUnused stores addr's unused challenges, dropping the entry when there
// are none. Called with cs.mu held.
func (cs *challengeStore) setUnused(addr string, mine []string) {
	if len(mine) == 0 {
		delete(cs.unused, addr)
		return
	}
	cs.unused[addr] = mine
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
	cs.setUnused(ch.addr, slices.DeleteFunc(cs.unused[ch.addr], func(u string) bool { return u == c }))
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
	for addr, mine := range cs.unused {
		cs.setUnused(addr, slices.DeleteFunc(mine, func(c string) bool { _, held := cs.issued[c]; return !held }))
	}
	cs.nextSweep = now.Add(cs.ttl)
}

// len reports how many challenges are held, for tests.
func (cs *challengeStore) len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.issued)
}

// addresses reports how many addresses hold unused challenges, for tests.
func (cs *challengeStore) addresses() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.unused)
}
