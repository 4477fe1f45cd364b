package identity

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

var t0 = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

// TestChallengeStoreBounded: no more than the limit are outstanding at once,
// a full store evicting rather than refusing; an expired challenge stops
// counting at once and is forgotten a lifetime later; a used one stops
// counting at once and is forgotten when it would have expired.
func TestChallengeStoreBounded(t *testing.T) {
	cs := newChallengeStore(time.Minute, 3, 2)
	var first string
	for i, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		c, err := cs.issue(addr, t0)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
	}
	if _, err := cs.issue("192.0.2.4", t0.Add(30*time.Second)); err != nil {
		t.Fatalf("a fourth live challenge: %v", err)
	}
	if n := cs.len(); n != 3 {
		t.Errorf("%d challenges outstanding, want 3", n)
	}
	if err := cs.consume(first, t0.Add(30*time.Second)); err == nil || !strings.Contains(err.Error(), "not a challenge this server issued") {
		t.Errorf("the evicted challenge: %v, want unknown", err)
	}
	if _, err := cs.issue("192.0.2.5", t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
	if n, r, a := cs.len(), cs.retained(), cs.addresses(); n != 2 || r != 2 || a != 2 {
		t.Errorf("%d outstanding, %d retired, %d addresses; want 2, 2 and 2", n, r, a)
	}
	if _, err := cs.issue("192.0.2.5", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The two of t0 that expired are forgotten; the two issued since have
	// expired, and are remembered.
	if n, r := cs.len(), cs.retained(); n != 1 || r != 2 {
		t.Errorf("a lifetime after expiry: %d outstanding and %d retired, want 1 and 2", n, r)
	}

	// Used challenges stop counting at once, but are remembered until they
	// expire, so that a replay is told it was used rather than unknown.
	cs = newChallengeStore(time.Minute, maxChallenges, DefaultChallengesPerAddress)
	c, _ := cs.issue("192.0.2.1", t0)
	if err := cs.consume(c, t0); err != nil {
		t.Fatal(err)
	}
	if n, r, a := cs.len(), cs.retained(), cs.addresses(); n != 0 || r != 1 || a != 0 {
		t.Errorf("after use: %d outstanding, %d retired, %d addresses; want 0, 1 and 0", n, r, a)
	}
	if err := cs.consume(c, t0.Add(59*time.Second)); err == nil || !strings.Contains(err.Error(), "already been used") {
		t.Errorf("replayed: %v", err)
	}
	_, _ = cs.issue("192.0.2.2", t0.Add(2*time.Minute))
	if n, r, a := cs.len(), cs.retained(), cs.addresses(); n != 1 || r != 0 || a != 1 {
		t.Errorf("%d outstanding, %d retired, %d addresses after expiry, want 1, 0 and 1", n, r, a)
	}
}

// TestChallengesPerAddress: one address holds at most its limit of unused
// challenges, told when the oldest expires; spending one, or its expiry, makes
// room; other addresses are not affected.
func TestChallengesPerAddress(t *testing.T) {
	cs := newChallengeStore(time.Minute, maxChallenges, 3)
	const flooder, other = "192.0.2.1", "192.0.2.2"
	var mine []string
	for i := range 3 {
		c, err := cs.issue(flooder, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, c)
	}
	for range 1000 {
		_, err := cs.issue(flooder, t0.Add(10*time.Second))
		tooMany, ok := errors.AsType[*tooManyFromAddress](err)
		if !ok || tooMany.limit != 3 || tooMany.retryAfter != 50*time.Second {
			t.Fatalf("a challenge beyond the address's limit: %v (%+v)", err, tooMany)
		}
	}
	if n := cs.len(); n != 3 {
		t.Errorf("%d challenges held after the flood, want 3", n)
	}
	if _, err := cs.issue(other, t0.Add(10*time.Second)); err != nil {
		t.Fatalf("another address: %v", err)
	}

	// Spending one makes room (any assertion spends its challenge, accepted or not).
	if err := cs.consume(mine[1], t0.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.issue(flooder, t0.Add(20*time.Second)); err != nil {
		t.Fatalf("after one was spent: %v", err)
	}
	if _, err := cs.issue(flooder, t0.Add(20*time.Second)); err == nil {
		t.Fatal("a fourth unused challenge")
	}
	// So does the oldest's expiry.
	if _, err := cs.issue(flooder, t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the oldest expired: %v", err)
	}
}

// TestTokenStoreBounded: expired tokens are swept, except a card token whose
// role tokens still live.
func TestTokenStoreBounded(t *testing.T) {
	ts := newTokenStore(15 * time.Minute)
	u := &User{UUID: "555000000105", Roles: []Role{{PersonRoleID: "555000000206"}}}
	for range 50 {
		ts.issueCard(u, t0)
	}
	card, _ := ts.issueCard(u, t0)
	later := t0.Add(14 * time.Minute)
	if _, _, _, err := ts.issueRole(card, &u.Roles[0], later); err != nil {
		t.Fatal(err)
	}
	if n := ts.len(); n != 52 {
		t.Fatalf("%d tokens, want 52", n)
	}

	// Past the card tokens' expiry, the next issue sweeps all but the one with
	// a live role token (and the new one).
	ts.issueCard(u, t0.Add(16*time.Minute))
	if n := ts.len(); n != 3 {
		t.Errorf("%d tokens after the sweep, want 3", n)
	}
	if _, err := ts.lookup(card, t0.Add(16*time.Minute)); !errors.Is(err, errExpiredToken) {
		t.Errorf("the retained card token: %v, want expired", err)
	}

	// Once its role token has expired too, it goes.
	ts.issueCard(u, t0.Add(45*time.Minute))
	if n := ts.len(); n != 1 {
		t.Errorf("%d tokens after the role token expired, want 1", n)
	}
}

// TestFailureLogBounded: however many addresses fail, no more than
// maxFailureKeys windows are held, and no count is lost: a window forgotten
// to make room comes back as a summary to write.
func TestFailureLogBounded(t *testing.T) {
	fl := newFailureLog()
	const addrs = maxFailureKeys + 100
	var written, summarised int
	for i := range addrs {
		k := failureKey{addr: fmt.Sprintf("192.0.2.%d", i), kind: audit.SignIn}
		for range failuresInFull + 2 {
			full, due := fl.admit(k, audit.Record{Detail: "refused"}, t0)
			if full {
				written++
			}
			for _, s := range due {
				summarised += s.count
			}
		}
	}
	if n := len(fl.windows); n > maxFailureKeys {
		t.Fatalf("%d windows held, want at most %d", n, maxFailureKeys)
	}
	for _, s := range fl.take(t0, true) {
		summarised += s.count
	}
	if written != addrs*failuresInFull || summarised != addrs*2 {
		t.Errorf("%d written in full and %d summarised, want %d and %d", written, summarised, addrs*failuresInFull, addrs*2)
	}
	if len(fl.windows) != 0 {
		t.Errorf("%d windows left after taking all", len(fl.windows))
	}
}

// TestChallengeEviction: a full store serves an address within its own
// allowance by evicting the oldest challenge of the address holding the most
// (of those, the one holding the oldest challenge); an address at its own
// allowance is refused, and evicts nothing; an evicted challenge is refused
// as unknown.
func TestChallengeEviction(t *testing.T) {
	cs := newChallengeStore(time.Minute, 6, 3)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	issue := func(addr string, s int) string {
		t.Helper()
		c, err := cs.issue(addr, at(s))
		if err != nil {
			t.Fatalf("%s at %ds: %v", addr, s, err)
		}
		return c
	}
	a1, a2, a3 := issue("A", 0), issue("A", 1), issue("A", 2)
	b1, b2 := issue("B", 3), issue("B", 4)
	c1 := issue("C", 5) // full

	// An address at its own allowance is refused, even with the store full,
	// and nothing is evicted for it.
	if _, err := cs.issue("A", at(6)); !isTooMany(err) {
		t.Fatalf("A at its allowance: %v", err)
	}
	if n := cs.len(); n != 6 {
		t.Fatalf("%d outstanding after a refusal, want 6", n)
	}

	issue("D", 6) // evicts A's oldest: A holds the most
	issue("E", 7) // A and B hold 2: A's a2 is older than B's b1
	issue("F", 8) // B holds the most
	issue("G", 9) // all hold 1: a3 is the oldest
	for _, c := range []string{a1, a2, b1, a3} {
		if err := cs.consume(c, at(10)); err == nil || !strings.Contains(err.Error(), "not a challenge this server issued") {
			t.Errorf("an evicted challenge: %v, want refused as unknown", err)
		}
	}
	for _, c := range []string{b2, c1} {
		if err := cs.consume(c, at(10)); err != nil {
			t.Errorf("a challenge not evicted: %v", err)
		}
	}
	if n, a := cs.len(), cs.addresses(); n != 4 || a != 4 {
		t.Errorf("%d outstanding from %d addresses, want 4 from 4 (D to G)", n, a)
	}

	// The address holding the most may be the one asking: it gives up its own oldest.
	cs = newChallengeStore(time.Minute, 3, 5)
	z1 := issue("Z", 0)
	issue("Z", 1)
	issue("Z", 2)
	issue("Z", 3)
	if err := cs.consume(z1, at(4)); err == nil || !strings.Contains(err.Error(), "not a challenge this server issued") {
		t.Errorf("Z's evicted oldest: %v", err)
	}
}

func isTooMany(err error) bool {
	_, ok := errors.AsType[*tooManyFromAddress](err)
	return ok
}

// TestSpentChallengesDoNotFill: challenges spent as fast as they are issued,
// from a few addresses, never fill the store or evict anyone's; the used ones
// remembered, for the replay message, are capped.
func TestSpentChallengesDoNotFill(t *testing.T) {
	cs := newChallengeStore(time.Minute, maxChallenges, DefaultChallengesPerAddress)
	bystander, err := cs.issue("192.0.2.200", t0)
	if err != nil {
		t.Fatal(err)
	}
	now := t0 // stopped: nothing expires
	for i := range 3 * maxChallenges {
		c, err := cs.issue(fmt.Sprintf("192.0.2.%d", i%32), now)
		if err != nil {
			t.Fatalf("challenge %d: %v", i, err)
		}
		if err := cs.consume(c, now); err != nil {
			t.Fatalf("spending challenge %d: %v", i, err)
		}
	}
	if n, a := cs.len(), cs.addresses(); n != 1 || a != 1 {
		t.Errorf("%d outstanding from %d addresses, want the bystander's alone", n, a)
	}
	if r := cs.retained(); r != maxChallenges || len(cs.retiredOrder) != r {
		t.Errorf("%d used challenges remembered (%d in order), want the cap, %d", r, len(cs.retiredOrder), maxChallenges)
	}
	if err := cs.consume(bystander, now); err != nil {
		t.Errorf("the bystander's challenge: %v", err)
	}
}

// TestChallengeStoreInvariants runs random issues, uses and clock steps
// against a small store, checking its indexes agree after each, and that
// each eviction took what the rule says, found by a full scan.
func TestChallengeStoreInvariants(t *testing.T) {
	const limit, perAddr = 20, 4
	cs := newChallengeStore(10*time.Second, limit, perAddr)
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	var issued []string
	evictions := 0
	for step := range 20_000 {
		switch op := rng.IntN(10); {
		case op < 6:
			addr := fmt.Sprintf("a%d", rng.IntN(12))
			cs.mu.Lock()
			cs.expire(now)
			var want *pending // the full scan's choice, if the store is full
			if len(cs.live) >= limit {
				for _, h := range cs.holders {
					if want == nil || len(h.pending) > len(want.holder.pending) ||
						len(h.pending) == len(want.holder.pending) && h.pending[0].seq < want.seq {
						want = h.pending[0]
					}
				}
			}
			atCap := cs.holders[addr] != nil && len(cs.holders[addr].pending) >= perAddr
			cs.mu.Unlock()
			c, err := cs.issue(addr, now)
			if atCap != isTooMany(err) || (!atCap && err != nil) {
				t.Fatalf("step %d: %s at its cap %v: %v", step, addr, atCap, err)
			}
			if err == nil {
				issued = append(issued, c)
			}
			if want != nil && !atCap {
				evictions++
				if _, held := cs.live[want.id]; held {
					t.Fatalf("step %d: %s's challenge %d should have been evicted", step, want.holder.addr, want.seq)
				}
			}
		case op < 9 && len(issued) > 0:
			_ = cs.consume(issued[rng.IntN(len(issued))], now)
		default:
			now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		checkChallengeStore(t, cs, step)
	}
	if evictions < 1000 {
		t.Errorf("only %d evictions: the store was rarely full", evictions)
	}
}

func checkChallengeStore(t *testing.T, cs *challengeStore, step int) {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	held := 0
	for addr, h := range cs.holders {
		if h.addr != addr || len(h.pending) == 0 || len(h.pending) > cs.perAddr || cs.busiest[h.index] != h {
			t.Fatalf("step %d: holder %s: %d pending, index %d", step, addr, len(h.pending), h.index)
		}
		for i, p := range h.pending {
			if cs.live[p.id] != p || p.holder != h || (i > 0 && h.pending[i-1].seq >= p.seq) {
				t.Fatalf("step %d: %s's challenge %d is not held in order", step, addr, p.seq)
			}
		}
		held += len(h.pending)
	}
	if held != len(cs.live) || cs.order.Len() != len(cs.live) || len(cs.busiest) != len(cs.holders) || len(cs.live) > cs.limit {
		t.Fatalf("step %d: %d held by addresses, %d live, %d in order, %d in the heap of %d", step, held, len(cs.live), cs.order.Len(), len(cs.busiest), len(cs.holders))
	}
	for i := 1; i < len(cs.busiest); i++ {
		if cs.busiest.Less(i, (i-1)/2) {
			t.Fatalf("step %d: the heap is out of order at %d", step, i)
		}
	}
	if len(cs.retired) != len(cs.retiredOrder) || len(cs.retired) > cs.retiredLimit {
		t.Fatalf("step %d: %d retired, %d in order", step, len(cs.retired), len(cs.retiredOrder))
	}
}
