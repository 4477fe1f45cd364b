package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

// watchLayout stamps each event line: the time to the millisecond, for
// matching against a reader's own log.
const watchLayout = "15:04:05.000"

// EventLine is one event of --watch, stamped with when it arrived. The
// reader's name is the driver's, so it passes the gate.
func EventLine(ev smartcard.Event, at time.Time) string {
	stamp := at.Format(watchLayout)
	ev.Reader = safetext.Line(ev.Reader)
	switch ev.Kind {
	case smartcard.CardInserted:
		return fmt.Sprintf("%s  card inserted   %s  ATR %s", stamp, ev.Reader, atrText(ev.ATR))
	case smartcard.CardRemoved:
		return fmt.Sprintf("%s  card removed    %s", stamp, ev.Reader)
	case smartcard.ReaderAdded:
		return fmt.Sprintf("%s  reader added    %s", stamp, ev.Reader)
	case smartcard.ReaderRemoved:
		return fmt.Sprintf("%s  reader removed  %s", stamp, ev.Reader)
	case smartcard.ServiceLost:
		return fmt.Sprintf("%s  service lost    %s (waiting for it to come back)", stamp, explain.Error(smartcard.ErrNoService))
	}
	return fmt.Sprintf("%s  %s", stamp, safetext.Line(fmt.Sprint(ev)))
}

// EventPlainLine is one event of --watch in the plain form, for a screen
// reader (--plain): what happened first, then when, as a sentence, with no
// column to line up: "Card inserted in Virtual PCD 00 00 at
// 14:15:30.078. ATR 3B 8D 81."
func EventPlainLine(ev smartcard.Event, at time.Time) string {
	stamp := at.Format(watchLayout)
	reader := strings.Join(strings.Fields(safetext.Line(ev.Reader)), " ")
	switch ev.Kind {
	case smartcard.CardInserted:
		return fmt.Sprintf("Card inserted in %s at %s. ATR %s.", reader, stamp, atrText(ev.ATR))
	case smartcard.CardRemoved:
		return fmt.Sprintf("Card removed from %s at %s.", reader, stamp)
	case smartcard.ReaderAdded:
		return fmt.Sprintf("Reader added at %s: %s.", stamp, reader)
	case smartcard.ReaderRemoved:
		return fmt.Sprintf("Reader removed at %s: %s.", stamp, reader)
	case smartcard.ServiceLost:
		return fmt.Sprintf("Service lost at %s. %s Waiting for it to come back.", stamp, explain.Sentence(explain.Error(smartcard.ErrNoService)))
	}
	return fmt.Sprintf("Event at %s: %s.", stamp, strings.Join(strings.Fields(safetext.Line(fmt.Sprint(ev))), " "))
}

// Watch prints a line per event, EventLine, until ctx ends or events
// closes.
func Watch(ctx context.Context, events <-chan smartcard.Event, w io.Writer, now func() time.Time) error {
	return watch(ctx, events, w, now, EventLine)
}

// WatchPlain is Watch in the plain form, a line per event as EventPlainLine
// says it.
func WatchPlain(ctx context.Context, events <-chan smartcard.Event, w io.Writer, now func() time.Time) error {
	return watch(ctx, events, w, now, EventPlainLine)
}

func watch(ctx context.Context, events <-chan smartcard.Event, w io.Writer, now func() time.Time, line func(smartcard.Event, time.Time) string) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if _, err := fmt.Fprintln(w, line(ev, now())); err != nil {
				return err
			}
		}
	}
}
