package doctor

import (
	"context"
	"fmt"
	"io"
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

// Watch prints a line per event until ctx ends or events closes.
func Watch(ctx context.Context, events <-chan smartcard.Event, w io.Writer, now func() time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if _, err := fmt.Fprintln(w, EventLine(ev, now())); err != nil {
				return err
			}
		}
	}
}
