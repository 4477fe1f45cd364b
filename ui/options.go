package ui

import (
	"context"
	"crypto"
	"crypto/x509"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

// Options is everything the viewer is given by cmd/scr, the only place that
// builds concrete readers, clients and servers.
type Options struct {
	Client *client.Client
	Cards  Cards
	// Reader restricts the viewer to one reader; empty takes the first reader
	// with a card in it.
	Reader string
	// IdleLock is how long without a key before the screen locks; 0 means
	// DefaultIdleLock.
	IdleLock time.Duration
	// Demo is set by scr --demo: the passcode and patients to show, and how
	// to pull and insert the in-process card.
	Demo *Demo
	// CIS2 is the NHS's own sign-in (auth = "cis2"): the card first, then
	// CIS2 in the browser. nil: the card signs the server's challenge.
	CIS2 *CIS2
	// Now is the clock; nil means time.Now. Tests fix it for golden files.
	Now func() time.Time
}

// DefaultIdleLock is the --idle-lock default.
const DefaultIdleLock = 5 * time.Minute

// Demo is what the demo shows besides the journey itself.
type Demo struct {
	// Passcode is the passcode of the card put in at the start, if any.
	Passcode string
	Patients []DemoPatient
	// Cards are the sandbox cards the card screen offers to put in while
	// the reader is empty; Insert puts in the card of a user ID, taking
	// out any other.
	Cards  []DemoCard
	Insert func(uuid string)
	// ToggleCard pulls the demo card out, or puts it back.
	ToggleCard func()
}

// DemoCard is one sandbox card the demo can put in the reader.
type DemoCard struct {
	UUID     string // the holder's user ID
	Name     string // the holder
	What     string // who they are, and what their card shows
	Passcode string
}

// DemoPatient is one NHS number worth trying in the demo, and why.
type DemoPatient struct {
	NHSNumber string
	What      string
}

// Cards is the smartcard side of the journey, as the screens need it: the
// PC/SC service through pcscd or winscard, or the demo's in-process card.
type Cards interface {
	// Watch reports readers and cards: first what is there already, then
	// each change, until ctx ends and the channel is closed.
	Watch(ctx context.Context) (<-chan smartcard.Event, error)
	// Open connects to the card in reader and reads its certificate.
	Open(reader string) (Card, error)
}

// Card is one inserted NHS smartcard.
type Card interface {
	Reader() string
	Certificate() *x509.Certificate
	Holder() smartcard.Holder
	// PINStatus says how many passcode tries are left, without spending one.
	PINStatus() (smartcard.PINStatus, error)
	// VerifyPIN checks the passcode (to unlock an idle screen); it wipes pin.
	VerifyPIN(pin []byte) error
	// Signer signs once with the card's key, verifying pin in the same
	// transaction, then wipes pin; the viewer never keeps a passcode.
	Signer(pin []byte) crypto.Signer
	Close() error
}
