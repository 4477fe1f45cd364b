package identity

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

// Refused sign-ins, role exchanges and sign-outs need no credentials to make,
// so writing a row for each would let anyone grow the audit trail without
// limit. They are recorded per client address, kind and user (the user is ""
// when none is known): the first failuresInFull in a failureWindow are written
// in full, the rest only counted, and one summary row ("N further failed
// sign-ins from ADDR since T") carries the count once the window has closed.
// It is written at the first sign-in request after that, from any address, or
// by Flush when the server stops.
const (
	failureWindow  = time.Minute
	failuresInFull = 5
	// maxFailureKeys bounds the windows held. A new one beyond it first
	// closes those past their time, then the oldest, writing its summary.
	maxFailureKeys = 4096
)

type failureKey struct {
	addr string
	kind audit.Kind
	user string // UserUUID of the refused records
}

// failureCount is one key's current window.
type failureCount struct {
	start    time.Time
	written  int    // refusals written in full in this window
	counted  int    // further refusals, not yet written as a summary
	userName string // of the latest counted refusal
	last     string // Detail of the latest counted refusal
}

// failureSummary is a closed window's count, to be written as one row.
type failureSummary struct {
	key      failureKey
	since    time.Time
	count    int
	userName string
	last     string
}

// failureLog holds the windows. It is safe for concurrent use.
type failureLog struct {
	mu      sync.Mutex
	windows map[failureKey]*failureCount
	nextDue time.Time // the earliest end of a window with a count; zero if none
}

func newFailureLog() *failureLog {
	return &failureLog{windows: make(map[failureKey]*failureCount)}
}

func (w *failureCount) closed(now time.Time) bool { return !now.Before(w.start.Add(failureWindow)) }

func (w *failureCount) summary(k failureKey) failureSummary {
	return failureSummary{key: k, since: w.start, count: w.counted, userName: w.userName, last: w.last}
}

// admit counts one refusal for k and says whether it is to be written in full.
// due are summaries of windows it closed, to be written too.
func (fl *failureLog) admit(k failureKey, rec audit.Record, now time.Time) (full bool, due []failureSummary) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	w := fl.windows[k]
	if w != nil && w.closed(now) {
		if w.counted > 0 {
			due = append(due, w.summary(k))
		}
		delete(fl.windows, k)
		w = nil
	}
	if w == nil {
		if len(fl.windows) >= maxFailureKeys {
			due = append(due, fl.makeRoom(now)...)
		}
		w = &failureCount{start: now}
		fl.windows[k] = w
	}
	if w.written < failuresInFull {
		w.written++
		return true, due
	}
	w.counted++
	w.userName, w.last = rec.UserName, rec.Detail
	fl.due(w)
	return false, due
}

// due notes that w has a count to write when it closes. Called with fl.mu held.
func (fl *failureLog) due(w *failureCount) {
	if end := w.start.Add(failureWindow); fl.nextDue.IsZero() || end.Before(fl.nextDue) {
		fl.nextDue = end
	}
}

// unadmit takes back a refusal admit let through in full whose row could not
// be written.
func (fl *failureLog) unadmit(k failureKey) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if w := fl.windows[k]; w != nil && w.written > 0 {
		w.written--
	}
}

// take returns the summaries of the windows closed by now, or of every window
// with a count if all, and forgets those windows.
func (fl *failureLog) take(now time.Time, all bool) []failureSummary {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if !all && (fl.nextDue.IsZero() || now.Before(fl.nextDue)) {
		return nil
	}
	return fl.takeLocked(now, all)
}

// takeLocked is take, called with fl.mu held. It also forgets closed windows
// without a count, and works out nextDue afresh.
func (fl *failureLog) takeLocked(now time.Time, all bool) []failureSummary {
	var due []failureSummary
	fl.nextDue = time.Time{}
	for k, w := range fl.windows {
		if w.closed(now) || (all && w.counted > 0) {
			if w.counted > 0 {
				due = append(due, w.summary(k))
			}
			delete(fl.windows, k)
		} else if w.counted > 0 {
			fl.due(w)
		}
	}
	return due
}

// makeRoom makes room for one more window: it forgets the closed ones, or if
// none has closed the oldest, and returns the summaries of those with a count.
// Called with fl.mu held.
func (fl *failureLog) makeRoom(now time.Time) []failureSummary {
	due := fl.takeLocked(now, false)
	if len(fl.windows) < maxFailureKeys {
		return due
	}
	var (
		oldest failureKey
		found  bool
	)
	for k, w := range fl.windows {
		if !found || w.start.Before(fl.windows[oldest].start) {
			oldest, found = k, true
		}
	}
	if w := fl.windows[oldest]; w.counted > 0 {
		due = append(due, w.summary(oldest))
	}
	delete(fl.windows, oldest) // nextDue may now be early: take then finds nothing, harmlessly
	return due
}

// putBack returns a summary that could not be written to the count, as a
// window already closed, so that the next attempt writes it again.
func (fl *failureLog) putBack(s failureSummary) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	w := fl.windows[s.key]
	if w == nil {
		w = &failureCount{start: s.since, written: failuresInFull}
		fl.windows[s.key] = w
	}
	w.counted += s.count
	if s.since.Before(w.start) {
		w.start = s.since
	}
	if w.last == "" {
		w.userName, w.last = s.userName, s.last
	}
	fl.due(w)
}

// recordRefusal records a refused request (rec, its outcome and Detail set) as
// the failure log allows: in full, or counted. An error means the request's
// refusal is not on the audit trail, and the request must fail.
func (s *Service) recordRefusal(r *http.Request, rec audit.Record) error {
	now := s.now()
	k := failureKey{addr: ClientAddress(r), kind: rec.Kind, user: rec.UserUUID}
	full, due := s.failures.admit(k, rec, now)
	// A summary that cannot be written is kept for later; this request's
	// own row is what decides its fate.
	_ = s.writeSummaries(r.Context(), due, now)
	if !full {
		return nil
	}
	if err := s.record(r, rec); err != nil {
		s.failures.unadmit(k)
		return err
	}
	return nil
}

// flushDue writes the summaries of windows that have closed. One that cannot
// be written is kept for the next attempt: the request at hand is not failed
// for it, since its own record is another row.
func (s *Service) flushDue(ctx context.Context) {
	now := s.now()
	_ = s.writeSummaries(ctx, s.failures.take(now, false), now)
}

// Flush writes a summary row for every refusal counted and not yet written,
// closed window or not. The server calls it as it stops, once no requests are
// left, so that no count is lost.
func (s *Service) Flush(ctx context.Context) error {
	now := s.now()
	return s.writeSummaries(ctx, s.failures.take(now, true), now)
}

// writeSummaries writes due as summary rows; those it cannot write go back to
// the count. It returns the first error.
func (s *Service) writeSummaries(ctx context.Context, due []failureSummary, now time.Time) error {
	var first error
	for _, sum := range due {
		rec := audit.Record{
			Time:     now.UTC(),
			Kind:     sum.key.kind,
			UserUUID: sum.key.user,
			UserName: sum.userName,
			Outcome:  audit.Denied,
			Detail:   sum.detail(),
		}
		if first != nil {
			s.failures.putBack(sum)
			continue
		}
		if err := s.audit.Append(ctx, rec); err != nil {
			first = err
			s.failures.putBack(sum)
		}
	}
	return first
}

// detail is the summary row's Detail.
func (sum failureSummary) detail() string {
	what := "refused requests"
	switch sum.key.kind {
	case audit.SignIn:
		what = "failed sign-ins"
	case audit.RoleExchange:
		what = "refused role exchanges"
	case audit.SignOut:
		what = "refused sign-outs"
	}
	return fmt.Sprintf("%d further %s from %s since %s, not recorded one by one; the last: %s",
		sum.count, what, sum.key.addr, sum.since.UTC().Format(time.RFC3339), sum.last)
}
