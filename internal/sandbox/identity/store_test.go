package identity

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

// TestChallengeStoreBounded: expired challenges are forgotten, and no more than
// the limit are held at once.
func TestChallengeStoreBounded(t *testing.T) {
	cs := newChallengeStore(time.Minute, 3)
	for range 3 {
		if _, err := cs.issue(t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.issue(t0.Add(30 * time.Second)); !errors.Is(err, errTooManyChallenges) {
		t.Fatalf("a fourth live challenge: %v", err)
	}
	if _, err := cs.issue(t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
	if n := cs.len(); n != 1 {
		t.Errorf("%d challenges held, want 1", n)
	}

	// Used challenges are kept until they expire, then swept by a later issue.
	cs = newChallengeStore(time.Minute, maxChallenges)
	c, _ := cs.issue(t0)
	if err := cs.consume(c, t0); err != nil {
		t.Fatal(err)
	}
	if cs.len() != 1 {
		t.Error("a used challenge was forgotten before it expired")
	}
	_, _ = cs.issue(t0.Add(2 * time.Minute))
	if n := cs.len(); n != 1 {
		t.Errorf("%d challenges held after the sweep, want 1", n)
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
	if _, _, err := ts.issueRole(card, &u.Roles[0], later); err != nil {
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
