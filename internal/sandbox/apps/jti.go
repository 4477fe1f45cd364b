package apps

import (
	"errors"
	"sync"
	"time"
)

// Use's refusals.
var (
	ErrJTIUsed = errors.New("apps: the jti has been used already")
	ErrJTIFull = errors.New("apps: too many client assertions are live; try again shortly")
)

// DefaultJTICapacity bounds a JTICache: far beyond the client assertions honest
// clients make in the five minutes one may live.
const DefaultJTICapacity = 100_000

// JTICache remembers the jti of each client assertion accepted until the
// assertion expires, so that none is accepted twice. It is safe for
// concurrent use.
type JTICache struct {
	capacity int

	mu        sync.Mutex
	seen      map[string]time.Time // jti → the assertion's exp
	nextSweep time.Time
}

// NewJTICache makes a cache holding at most capacity jtis (0 means
// DefaultJTICapacity).
func NewJTICache(capacity int) *JTICache {
	if capacity <= 0 {
		capacity = DefaultJTICapacity
	}
	return &JTICache{capacity: capacity, seen: make(map[string]time.Time)}
}

// Seen reports whether jti was accepted before (and its assertion has not
// expired since).
func (c *JTICache) Seen(jti string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.seen[jti]
	return ok && now.Before(exp)
}

// Use records jti, whose assertion expires at exp. It fails with ErrJTIUsed for
// a jti used already, and with ErrJTIFull when the cache is full of unexpired
// ones: then no assertion is accepted until some expire, rather than one being
// forgotten and made replayable.
func (c *JTICache) Use(jti string, exp, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !now.Before(c.nextSweep) || len(c.seen) >= c.capacity {
		for j, e := range c.seen {
			if !now.Before(e) {
				delete(c.seen, j)
			}
		}
		c.nextSweep = now.Add(time.Minute)
	}
	if e, ok := c.seen[jti]; ok && now.Before(e) {
		return ErrJTIUsed
	}
	if len(c.seen) >= c.capacity {
		return ErrJTIFull
	}
	c.seen[jti] = exp
	return nil
}
