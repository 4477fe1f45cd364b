package smartcard

import (
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
)

// PIV application constants (NIST SP 800-73-4 Part 1 2.2 and Part 2 3).
var pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08} // right-truncated: matches any PIV version

// PIVAID is the PIV application's AID as SELECT sends it, in hex bytes
// ("A0 00 00 03 08"), for a program that reports it (scr doctor): the AID
// is written here only.
func PIVAID() string { return fmt.Sprintf("% X", pivAID) }

const (
	insSelect      = 0xA4
	insGetData     = 0xCB
	insVerify      = 0x20
	insGeneralAuth = 0x87

	pinRefApplication = 0x80 // PIV Card Application PIN (SP 800-73-4 Part 1 Table 3)
	keyRefAuth        = 0x9A // PIV Authentication key

	objAuthCert = 0x5FC105 // X.509 Certificate for PIV Authentication (Part 1 Table 3)

	tagObjectData   = 0x53
	tagCertificate  = 0x70
	tagCertInfo     = 0x71
	certInfoGzipped = 0x01 // CertInfo bit: certificate is gzip-compressed (Part 1 Table 10)

	tagDynAuth   = 0x7C // Dynamic Authentication Template (Part 2 3.2.4)
	tagResponse  = 0x82
	tagChallenge = 0x81
)

// pinPadding fills a PIN to 8 bytes (SP 800-73-4 Part 2 2.4.3).
const (
	pinMinLen  = 6
	pinMaxLen  = 8
	pinPadding = 0xFF
)

// Errors about the PIV application and its PIN.
var (
	// ErrNotPIV: the card has no PIV application (SELECT answered 6A82).
	ErrNotPIV = errors.New("smartcard: the card has no PIV application")
	// ErrPINBlocked: the PIN retry counter reached zero (6983).
	ErrPINBlocked = errors.New("smartcard: the PIN is blocked")
	// ErrPINRequired: the operation needs the PIN verified first (6982).
	ErrPINRequired = errors.New("smartcard: the PIN has not been verified")
	// ErrPINFormat: a PIV PIN is 6 to 8 digits; a PIN of another shape is refused
	// here, without spending one of the card's tries.
	ErrPINFormat = errors.New("smartcard: a PIN is 6 to 8 digits")
	// ErrNoCertificate: the PIV Authentication certificate is absent.
	ErrNoCertificate = errors.New("smartcard: the card holds no authentication certificate")
)

// WrongPINError is a VERIFY the card refused (63Cx): the PIN was wrong and
// TriesLeft more attempts remain before it blocks.
type WrongPINError struct {
	TriesLeft int
}

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("smartcard: wrong PIN, %d tries left", e.TriesLeft)
}

// PIV speaks the PIV Card Application on one card connection. Its methods may be
// called from several goroutines; each runs as one PC/SC transaction.
type PIV struct {
	mu sync.Mutex
	ch channel
}

// PIVOption changes how a PIV talks to its card.
type PIVOption func(*PIV)

// WithExtendedLength sends data over 255 bytes in one extended-length APDU rather
// than by command chaining, for cards that declare support for it.
func WithExtendedLength() PIVOption {
	return func(p *PIV) { p.ch.extended = true }
}

// NewPIV returns the PIV application on conn. It does not talk to the card yet.
func NewPIV(conn Conn, opts ...PIVOption) *PIV {
	p := &PIV{ch: channel{conn: conn}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// APDUs reports how many APDUs this PIV has sent, for benchmarks and tests.
func (p *PIV) APDUs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch.apdus
}

// transact runs fn inside one PC/SC transaction after selecting the PIV
// application: another program may have selected another application between our
// transactions, so each one starts with SELECT. If another program reset the card,
// the connection is re-established and fn runs once more from the start.
func (p *PIV) transact(fn func() error) error {
	_, err := p.transactSelected(fn)
	return err
}

// transactSelected is transact, and reports whether the transaction began and
// the PIV application was selected: if not, fn did not run and the error is
// the transaction's or the SELECT's.
func (p *PIV) transactSelected(fn func() error) (selected bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	selected, err = p.transactOnce(fn)
	if errors.Is(err, ErrCardReset) {
		selected, err = p.transactOnce(fn)
	}
	return selected, err
}

func (p *PIV) transactOnce(fn func() error) (selected bool, err error) {
	if err := p.ch.conn.BeginTransaction(); err != nil {
		return false, err
	}
	err = p.selectApp()
	if selected = err == nil; selected {
		err = fn()
	}
	if endErr := p.ch.conn.EndTransaction(); err == nil {
		err = endErr
	}
	return selected, err
}

// selectApp sends SELECT by AID (ISO/IEC 7816-4 11.2.2, SP 800-73-4 Part 2 3.1.1).
func (p *PIV) selectApp() error {
	_, sw, err := p.ch.send(Command{INS: insSelect, P1: 0x04, Data: pivAID, Ne: MaxShortLe})
	switch {
	case err != nil:
		return err
	case sw == SWFileNotFound:
		return ErrNotPIV
	case !sw.OK():
		return &StatusError{Op: "SELECT PIV", SW: sw}
	}
	return nil
}

// Certificate reads the PIV Authentication certificate (slot 9A), inflating it
// when the card stores it gzip-compressed.
func (p *PIV) Certificate() (*x509.Certificate, error) {
	cert, _, err := p.certificate()
	return cert, err
}

// certificate is Certificate, and reports whether the PIV application was
// selected, for Open to say which step failed.
func (p *PIV) certificate() (cert *x509.Certificate, selected bool, err error) {
	var obj []byte
	selected, err = p.transactSelected(func() error {
		var err error
		obj, err = p.getData(objAuthCert)
		return err
	})
	if sw, ok := StatusOf(err); ok && sw == SWFileNotFound {
		return nil, selected, ErrNoCertificate
	}
	if err != nil {
		return nil, selected, err
	}
	cert, err = parseCertObject(obj)
	return cert, selected, err
}

// getData reads a data object by its tag (SP 800-73-4 Part 2 3.1.2).
func (p *PIV) getData(tag uint32) ([]byte, error) {
	ne := MaxShortLe
	if p.ch.extended {
		ne = MaxExtendedLe
	}
	tagList := AppendTLV(nil, 0x5C, []byte{byte(tag >> 16), byte(tag >> 8), byte(tag)})
	data, sw, err := p.ch.send(Command{INS: insGetData, P1: 0x3F, P2: 0xFF, Data: tagList, Ne: ne})
	switch {
	case err != nil:
		return nil, err
	case !sw.OK():
		return nil, &StatusError{Op: "GET DATA", SW: sw}
	}
	return FindTLV(data, tagObjectData)
}

// maxCertSize bounds an inflated certificate, so a hostile card cannot make us
// allocate without end.
const maxCertSize = 64 << 10

func parseCertObject(obj []byte) (*x509.Certificate, error) {
	objs, err := ParseTLV(obj)
	if err != nil {
		return nil, err
	}
	var der []byte
	var info byte
	for _, o := range objs {
		switch o.Tag {
		case tagCertificate:
			der = o.Value
		case tagCertInfo:
			if len(o.Value) > 0 {
				info = o.Value[0]
			}
		}
	}
	if len(der) == 0 {
		return nil, ErrNoCertificate
	}
	if info&certInfoGzipped != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(der))
		if err != nil {
			return nil, fmt.Errorf("smartcard: compressed certificate: %w", err)
		}
		der, err = io.ReadAll(io.LimitReader(zr, maxCertSize+1))
		if err != nil {
			return nil, fmt.Errorf("smartcard: compressed certificate: %w", err)
		}
		if len(der) > maxCertSize {
			return nil, fmt.Errorf("smartcard: compressed certificate inflates past %d bytes", maxCertSize)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("smartcard: authentication certificate: %w", err)
	}
	return cert, nil
}

// PINStatus is what the card says of its PIN without spending a try.
type PINStatus struct {
	Verified  bool // already verified in this session: the card gives no count then
	TriesLeft int  // meaningful when !Verified; 0 means blocked
}

// Blocked reports whether the PIN can no longer be verified.
func (s PINStatus) Blocked() bool { return !s.Verified && s.TriesLeft == 0 }

// PINStatus asks the card for its PIN state with a VERIFY that carries no data,
// which does not spend a try (SP 800-73-4 Part 2 3.2.1).
func (p *PIV) PINStatus() (PINStatus, error) {
	var st PINStatus
	err := p.transact(func() error {
		_, sw, err := p.ch.send(Command{INS: insVerify, P2: pinRefApplication})
		if err != nil {
			return err
		}
		if n, ok := sw.TriesLeft(); ok {
			st.TriesLeft = n
			return nil
		}
		switch sw {
		case SWSuccess:
			st.Verified = true
		case SWAuthMethodBlocked:
			st.TriesLeft = 0
		default:
			return &StatusError{Op: "VERIFY (status)", SW: sw}
		}
		return nil
	})
	return st, err
}

// VerifyPIN presents the PIN to the card. It overwrites pin with zeros before it
// returns, whatever the outcome. A wrong PIN gives a *WrongPINError with the tries
// left; a blocked one ErrPINBlocked.
func (p *PIV) VerifyPIN(pin []byte) error {
	defer clear(pin)
	if err := CheckPIN(pin); err != nil {
		return err
	}
	return p.transact(func() error { return p.verify(pin) })
}

// CheckPIN checks the PIV PIN format, 6 to 8 ASCII digits (SP 800-73-4 Part 2
// 2.4.3), without asking the card.
func CheckPIN(pin []byte) error {
	if len(pin) < pinMinLen || len(pin) > pinMaxLen {
		return ErrPINFormat
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return ErrPINFormat
		}
	}
	return nil
}

// verify sends VERIFY with the PIN padded to 8 bytes (SP 800-73-4 Part 2 3.2.1).
func (p *PIV) verify(pin []byte) error {
	var padded [pinMaxLen]byte
	defer clear(padded[:])
	for i := range padded {
		padded[i] = pinPadding
	}
	copy(padded[:], pin)
	_, sw, err := p.ch.send(Command{INS: insVerify, P2: pinRefApplication, Data: padded[:]})
	if err != nil {
		return err
	}
	if n, ok := sw.TriesLeft(); ok {
		if n == 0 {
			return ErrPINBlocked
		}
		return &WrongPINError{TriesLeft: n}
	}
	switch sw {
	case SWSuccess:
		return nil
	case SWAuthMethodBlocked:
		return ErrPINBlocked
	}
	return &StatusError{Op: "VERIFY", SW: sw}
}

// generalAuthenticate asks the card to sign challenge with the PIV Authentication
// key (SP 800-73-4 Part 2 3.2.4): 7C { 82 00, 81 challenge } in, 7C { 82 sig } out.
func (p *PIV) generalAuthenticate(alg byte, challenge []byte) ([]byte, error) {
	var inner []byte
	inner = AppendTLV(inner, tagResponse, nil)
	inner = AppendTLV(inner, tagChallenge, challenge)
	data := AppendTLV(nil, tagDynAuth, inner)
	ne := MaxShortLe
	if p.ch.extended {
		ne = MaxExtendedLe
	}
	resp, sw, err := p.ch.send(Command{INS: insGeneralAuth, P1: alg, P2: keyRefAuth, Data: data, Ne: ne})
	switch {
	case err != nil:
		return nil, err
	case sw == SWSecurityNotSatisfied:
		return nil, ErrPINRequired
	case !sw.OK():
		return nil, &StatusError{Op: "GENERAL AUTHENTICATE", SW: sw}
	}
	tmpl, err := FindTLV(resp, tagDynAuth)
	if err != nil {
		return nil, err
	}
	return FindTLV(tmpl, tagResponse)
}
