package identity

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

var t0 = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

// TestChallengeStoreBounded: expired challenges are forgotten, and no more than
// the limit are held at once.
func TestChallengeStoreBounded(t *testing.T) {
	cs := newChallengeStore(time.Minute, 3, 2)
	for _, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if _, err := cs.issue(addr, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.issue("192.0.2.4", t0.Add(30*time.Second)); !errors.Is(err, errTooManyChallenges) {
		t.Fatalf("a fourth live challenge: %v", err)
	}
	if _, err := cs.issue("192.0.2.4", t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
	if n := cs.len(); n != 1 {
		t.Errorf("%d challenges held, want 1", n)
	}

	// Used challenges are kept until they expire, then swept by a later issue.
	cs = newChallengeStore(time.Minute, maxChallenges, DefaultChallengesPerAddress)
	c, _ := cs.issue("192.0.2.1", t0)
	if err := cs.consume(c, t0); err != nil {
		t.Fatal(err)
	}
	if cs.len() != 1 {
		t.Error("a used challenge was forgotten before it expired")
	}
	_, _ = cs.issue("192.0.2.2", t0.Add(2*time.Minute))
	if n, a := cs.len(), cs.addresses(); n != 1 || a != 1 {
		t.Errorf("%d challenges of %d addresses held after the sweep, want 1 of 1", n, a)
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
