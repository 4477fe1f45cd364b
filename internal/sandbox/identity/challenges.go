package identity

import (
	"container/heap"
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// maxChallenges bounds the challenges outstanding at once, a bound on memory:
// at 100 concurrent sessions, each asking once a sign-in, 10 000 live
// challenges is far beyond honest use. No one client can come near it:
// DefaultChallengesPerAddress is far smaller. Nor can many together lock
// anyone out by filling it: a full store makes room by evicting from whichever
// address holds the most (see challengeStore).
const maxChallenges = 10_000

// DefaultChallengesPerAddress is how many unused challenges one client address
// may hold at once. A client asks for one, signs it within seconds and spends
// it; 16 allows for sign-ins abandoned at the passcode and for several counter
// PCs behind one address, while an endpoint that needs no credentials cannot
// be used by one address to fill the store and lock everyone else out.
const DefaultChallengesPerAddress = 16

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
// for one assertion (its jti) until it expires.
//
// Only outstanding challenges (issued, neither used nor expired) count against
// the limits, perAddr for one address and limit for all together. Any local
// user can send from thousands of addresses (all of 127.0.0.0/8), so a full
// store does not refuse: it evicts the oldest challenge of the address holding
// the most, and an address within its own allowance is always served. An
// evicted challenge is forgotten, so its use is refused as unknown.
//
// Used and expired challenges are remembered apart (retired), for the message
// a late or replayed assertion gets, and only for that: replay protection is
// that only an outstanding challenge is accepted, and a forgotten one is
// refused as unknown. So that memory is simply capped, oldest out first.
//
// Every operation is O(log n) amortised: expiry pops from the front of the
// issue order (the TTL is fixed, so that is also the order of expiry), and a
// heap of addresses finds the one to evict from.
type challengeStore struct {
	ttl          time.Duration
	limit        int // outstanding, all addresses together
	perAddr      int // outstanding, one address
	retiredLimit int // used or expired ones remembered

	mu      sync.Mutex
	live    map[string]*pending // outstanding challenges; at most limit
	order   list.List           // of *pending, oldest first
	holders map[string]*holder  // addresses holding outstanding challenges; none empty
	busiest holderHeap          // the same holders, the one to evict from first
	seq     uint64              // issue counter

	retired map[string]*retiredChallenge
	// retiredOrder is retired's keys, oldest retired first; each leaves
	// retired when it leaves here. An entry past its forget time may wait
	// behind a younger one (a challenge spent early): it is then treated as
	// forgotten, and the cap still holds.
	retiredOrder []string
}

// pending is an outstanding challenge.
type pending struct {
	id      string
	expires time.Time
	seq     uint64 // issue order: lower is older
	holder  *holder
	elem    *list.Element // in challengeStore.order
}

// holder is one address's outstanding challenges, oldest first (at most
// perAddr), and its place in challengeStore.busiest.
type holder struct {
	addr    string // ClientAddress of the requests that asked for them
	pending []*pending
	index   int
}

// retiredChallenge is a used or expired challenge, remembered until forget so
// that an assertion using it is told why it is refused.
type retiredChallenge struct {
	expires, forget time.Time
	used            bool
}

func newChallengeStore(ttl time.Duration, limit, perAddr int) *challengeStore {
	return &challengeStore{
		ttl: ttl, limit: limit, perAddr: perAddr, retiredLimit: limit,
		live:    make(map[string]*pending),
		holders: make(map[string]*holder),
		retired: make(map[string]*retiredChallenge),
	}
}

// issue makes a new challenge for a client at addr: 32 random bytes, base64url
// without padding (RFC 7515 Appendix C), so it can stand as a JWT jti unchanged.
// It fails, with a *tooManyFromAddress, only if addr already holds perAddr
// outstanding challenges; if the store is full it evicts one to make room.
func (cs *challengeStore) issue(addr string, now time.Time) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	c := base64.RawURLEncoding.EncodeToString(b[:])

	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.expire(now)
	h := cs.holders[addr]
	if h != nil && len(h.pending) >= cs.perAddr {
		oldest := h.pending[0].expires
		return "", &tooManyFromAddress{limit: cs.perAddr, retryAfter: oldest.Sub(now)}
	}
	if len(cs.live) >= cs.limit && len(cs.busiest) > 0 {
		// Full: the address holding the most (of the oldest, on a tie) gives up
		// its oldest. Whoever fills the store thus evicts their own first, and
		// a client holding fewer keeps its challenge.
		cs.remove(cs.busiest[0].pending[0])
		h = cs.holders[addr] // gone if that was addr's only one
	}
	cs.seq++
	p := &pending{id: c, expires: now.Add(cs.ttl), seq: cs.seq}
	p.elem = cs.order.PushBack(p)
	cs.live[c] = p
	if h == nil {
		h = &holder{addr: addr, pending: []*pending{p}}
		cs.holders[addr] = h
		heap.Push(&cs.busiest, h)
	} else {
		h.pending = append(h.pending, p)
		heap.Fix(&cs.busiest, h.index)
	}
	p.holder = h
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
	cs.expire(now)
	if p, ok := cs.live[c]; ok {
		// Spent, it no longer counts against any limit; it is remembered, for
		// the message a replay gets, until it would have expired.
		cs.remove(p)
		cs.retire(c, p.expires, p.expires, true)
		if !now.Before(p.expires) { // left by expire only if the clock went back
			return invalidGrant("the jti's challenge expired at %s", p.expires.UTC().Format(time.RFC3339))
		}
		return nil
	}
	r, ok := cs.retired[c]
	switch {
	case !ok || !now.Before(r.forget):
		return invalidGrant("the jti is not a challenge this server issued, or it expired long ago")
	case r.used:
		return invalidGrant("the jti's challenge has already been used: ask for a new one")
	}
	r.used = true
	return invalidGrant("the jti's challenge expired at %s", r.expires.UTC().Format(time.RFC3339))
}

// expire retires the outstanding challenges that have expired, remembering
// each for one more lifetime (as the periodic sweep once did) so that a
// late assertion is told it expired, and forgets retired challenges past
// their time. Called with cs.mu held.
func (cs *challengeStore) expire(now time.Time) {
	for e := cs.order.Front(); e != nil; e = cs.order.Front() {
		p := e.Value.(*pending)
		if now.Before(p.expires) {
			break
		}
		cs.remove(p)
		cs.retire(p.id, p.expires, p.expires.Add(cs.ttl), false)
	}
	for len(cs.retiredOrder) > 0 && !now.Before(cs.retired[cs.retiredOrder[0]].forget) {
		cs.forgetOldestRetired()
	}
}

// remove takes p out of the outstanding challenges, and its address's.
// Called with cs.mu held.
func (cs *challengeStore) remove(p *pending) {
	delete(cs.live, p.id)
	cs.order.Remove(p.elem)
	h := p.holder
	// A scan, but of one address's challenges: at most perAddr.
	h.pending = slices.DeleteFunc(h.pending, func(q *pending) bool { return q == p })
	if len(h.pending) == 0 {
		heap.Remove(&cs.busiest, h.index)
		delete(cs.holders, h.addr)
		return
	}
	heap.Fix(&cs.busiest, h.index)
}

// retire remembers challenge c, used or expired, until forget; beyond
// retiredLimit the oldest retired is forgotten. Called with cs.mu held.
func (cs *challengeStore) retire(c string, expires, forget time.Time, used bool) {
	cs.retired[c] = &retiredChallenge{expires: expires, forget: forget, used: used}
	cs.retiredOrder = append(cs.retiredOrder, c)
	for len(cs.retiredOrder) > cs.retiredLimit {
		cs.forgetOldestRetired()
	}
}

// forgetOldestRetired forgets the front of retiredOrder. Called with cs.mu
// held, retiredOrder not empty.
func (cs *challengeStore) forgetOldestRetired() {
	delete(cs.retired, cs.retiredOrder[0])
	cs.retiredOrder[0] = ""
	cs.retiredOrder = cs.retiredOrder[1:]
}

// len reports how many challenges are outstanding, for tests.
func (cs *challengeStore) len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.live)
}

// retained reports how many used or expired challenges are remembered, for
// tests.
func (cs *challengeStore) retained() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.retired)
}

// addresses reports how many addresses hold outstanding challenges, for tests.
func (cs *challengeStore) addresses() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.holders)
}

// holderHeap orders addresses for eviction: the most outstanding challenges
// first, then the oldest challenge. It implements heap.Interface.
type holderHeap []*holder

func (hh holderHeap) Len() int { return len(hh) }

func (hh holderHeap) Less(i, j int) bool {
	a, b := hh[i], hh[j]
	if len(a.pending) != len(b.pending) {
		return len(a.pending) > len(b.pending)
	}
	return a.pending[0].seq < b.pending[0].seq
}

func (hh holderHeap) Swap(i, j int) {
	hh[i], hh[j] = hh[j], hh[i]
	hh[i].index, hh[j].index = i, j
}

func (hh *holderHeap) Push(x any) {
	h := x.(*holder)
	h.index = len(*hh)
	*hh = append(*hh, h)
}

func (hh *holderHeap) Pop() any {
	old := *hh
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*hh = old[:len(old)-1]
	h.index = -1
	return h
}
