package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// runCard is `scr card`: what the readers hold, read without spending a PIN try.
// Exit status 1 when the service or every reader is missing, else 0.
func runCard(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scr card", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON, for tickets and scripts")
	demo := fs.Bool("demo", false, "read the built-in demo card in-process instead of a reader (sandbox only)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: scr card [--json] [--demo]\n\nShows each card reader, the card in it, the holder named by its certificate,\nthe certificate's issuer and expiry, and the PIN tries left (asked without spending one).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var reports []smartcard.CardReport
	var err error
	if *demo {
		reports, err = demoSurvey()
	} else {
		reports, err = survey()
	}
	now := time.Now()
	if *asJSON {
		b, _ := json.MarshalIndent(cardJSON(reports, err, now), "", "  ")
		_, _ = stdout.Write(safetext.EscapeJSON(append(b, '\n')))
	} else {
		printCards(stdout, reports, err, now)
	}
	if err != nil {
		return 1
	}
	return 0
}

func survey() ([]smartcard.CardReport, error) {
	sc, err := smartcard.Establish()
	if err != nil {
		return nil, err
	}
	defer sc.Release()
	return sc.Survey()
}

// demoReader names the in-process card in reports.
const demoReader = "scr demo card (in-process, sandbox only)"

// demoSurvey reads the built-in demo identity from a virtual card in this process:
// the same PIV exchange as with a reader, without pcscd.
func demoSurvey() ([]smartcard.CardReport, error) {
	id, err := virtual.DemoIdentity()
	if err != nil {
		return nil, err
	}
	card, err := virtual.New(id, virtual.Options{})
	if err != nil {
		return nil, err
	}
	return []smartcard.CardReport{smartcard.Inspect(demoReader, card.ATR(), card)}, nil
}

// dateLayout is the NHS Common User Interface date: 22-Oct-2010.
const dateLayout = "02-Jan-2006"

// printCards writes the reports as text. A reader's name, the certificate's
// names and an error's message are text from outside the program: each
// passes the gate (the holder's did in smartcard.HolderOf).
func printCards(w io.Writer, reports []smartcard.CardReport, err error, now time.Time) {
	if err != nil {
		fmt.Fprintln(w, safetext.Line(explain.Error(err)))
		return
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Reader    %s\n", safetext.Line(r.Reader))
		if !r.CardPresent {
			fmt.Fprintln(w, "Card      none")
			continue
		}
		fmt.Fprintf(w, "Card      present, ATR %s\n", fmt.Sprintf("% X", r.ATR))
		if c := r.Certificate; c != nil {
			fmt.Fprintf(w, "Holder    %s\n", orNotKnown(r.Holder.Name))
			fmt.Fprintf(w, "User ID   %s\n", orNotKnown(r.Holder.UUID))
			fmt.Fprintf(w, "Issuer    %s\n", safetext.Line(c.Issuer.CommonName))
			fmt.Fprintf(w, "Expires   %s\n", expiry(c.NotAfter, now))
			fmt.Fprintf(w, "PIN       %s\n", pinText(r.PIN))
		}
		if r.Err != nil {
			fmt.Fprintf(w, "Problem   %s\n", safetext.Line(explain.Error(r.Err)))
		}
	}
}

func expiry(t, now time.Time) string {
	days := int(t.Sub(now).Hours() / 24)
	switch {
	case t.Before(now):
		return fmt.Sprintf("%s (expired)", t.Format(dateLayout))
	case days == 1:
		return fmt.Sprintf("%s (in 1 day)", t.Format(dateLayout))
	}
	return fmt.Sprintf("%s (in %d days)", t.Format(dateLayout), days)
}

func pinText(s smartcard.PINStatus) string {
	switch {
	case s.Verified:
		return "verified by a program still using the card"
	case s.Blocked():
		return "blocked: contact your Registration Authority"
	case s.TriesLeft == 1:
		return "1 try left"
	}
	return fmt.Sprintf("%d tries left", s.TriesLeft)
}

func orNotKnown(s string) string {
	if s == "" {
		return "Not Known"
	}
	return s
}

// The JSON form of `scr card`, for support tickets: stable field names, no
// PIN; every text from outside through the gate, as in the text form.
type cardsOut struct {
	Readers []readerOut `json:"readers"`
	Error   string      `json:"error,omitempty"`
}

type readerOut struct {
	Reader      string `json:"reader"`
	CardPresent bool   `json:"card_present"`
	ATR         string `json:"atr,omitempty"`
	Holder      string `json:"holder,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	NotAfter    string `json:"not_after,omitempty"`
	Expired     bool   `json:"expired,omitempty"`
	PINVerified bool   `json:"pin_verified,omitempty"`
	PINTries    *int   `json:"pin_tries_left,omitempty"`
	Problem     string `json:"problem,omitempty"`
}

func cardJSON(reports []smartcard.CardReport, err error, now time.Time) cardsOut {
	out := cardsOut{Readers: []readerOut{}}
	if err != nil {
		out.Error = safetext.Line(explain.Error(err))
		return out
	}
	for _, r := range reports {
		ro := readerOut{Reader: safetext.Line(r.Reader), CardPresent: r.CardPresent}
		if r.CardPresent {
			ro.ATR = strings.ToUpper(hex.EncodeToString(r.ATR))
		}
		if c := r.Certificate; c != nil {
			ro.Holder, ro.UserID, ro.Issuer = r.Holder.Name, r.Holder.UUID, safetext.Line(c.Issuer.CommonName)
			ro.NotAfter = c.NotAfter.UTC().Format(time.RFC3339)
			ro.Expired = c.NotAfter.Before(now)
			ro.PINVerified = r.PIN.Verified
			if !r.PIN.Verified {
				n := r.PIN.TriesLeft
				ro.PINTries = &n
			}
		}
		if r.Err != nil {
			ro.Problem = safetext.Line(explain.Error(r.Err))
		}
		out.Readers = append(out.Readers, ro)
	}
	return out
}
