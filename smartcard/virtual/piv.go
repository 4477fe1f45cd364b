package virtual

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"

	"github.com/scrterm/scr/smartcard"
)

// pivAID is the PIV Card Application's AID: NIST's RID A0 00 00 03 08 and PIX
// 00 00 10 00 01 00 (SP 800-73-4 Part 1 2.2).
var pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}

// ridLen is the length of the registered application provider identifier, the
// shortest right-truncated AID a SELECT may use (ISO/IEC 7816-4 12.2.3).
const ridLen = 5

// Instructions of SP 800-73-4 Part 2 3.1 and 3.2 this card implements.
const (
	insSelect     = 0xA4
	insGetData    = 0xCB
	insVerify     = 0x20
	insGeneralAut = 0x87
)

// Status words not named by package smartcard.
const (
	swNoDiagnosis smartcard.StatusWord = 0x6F00
)

const (
	pivLabel = "scr virtual PIV"
	keyRef   = 0x9A // PIV Authentication key (SP 800-73-4 Part 1 Table 4b)
	pinRef   = 0x80 // PIV Card Application PIN
)

// application is the PIV Card Application: the key and the data objects, fixed
// when the card is made.
type application struct {
	key     any // *ecdsa.PrivateKey or *rsa.PrivateKey
	alg     byte
	pin     [8]byte           // the PIN padded with FF to 8 bytes, as VERIFY carries it
	apt     []byte            // Application Property Template, SELECT's answer
	objects map[string][]byte // GET DATA tag bytes to data object
}

func newApplication(id Identity, opts Options) (*application, error) {
	alg, err := id.algorithm()
	if err != nil {
		return nil, fmt.Errorf("virtual: %w", err)
	}
	if err := smartcard.CheckPIN(id.PIN); err != nil {
		return nil, fmt.Errorf("virtual: %w", err)
	}
	app := &application{key: id.Key, alg: alg, apt: propertyTemplate(alg)}
	copy(app.pin[:], id.PIN)
	for i := len(id.PIN); i < len(app.pin); i++ {
		app.pin[i] = 0xFF
	}
	cert, err := certObject(id.Cert.Raw, opts.CompressCert)
	if err != nil {
		return nil, err
	}
	app.objects = map[string][]byte{
		"\x5F\xC1\x05": cert,
		"\x5F\xC1\x02": chuid(id.Cert.Raw),
		"\x7E":         discovery(),
	}
	return app, nil
}

// propertyTemplate is the Application Property Template answered to SELECT
// (SP 800-73-4 Part 2 3.1.1, Table 3).
func propertyTemplate(alg byte) []byte {
	var t []byte
	t = smartcard.AppendTLV(t, 0x4F, pivAID[ridLen:])                                 // PIX of the application
	t = smartcard.AppendTLV(t, 0x79, smartcard.AppendTLV(nil, 0x4F, pivAID[:ridLen])) // coexistent tag allocation authority
	t = smartcard.AppendTLV(t, 0x50, []byte(pivLabel))                                // application label
	var algs []byte
	algs = smartcard.AppendTLV(algs, 0x80, []byte{alg}) // cryptographic algorithm identifier
	algs = smartcard.AppendTLV(algs, 0x06, []byte{0})   // object identifier (00)
	t = smartcard.AppendTLV(t, 0xAC, algs)
	return smartcard.AppendTLV(nil, 0x61, t)
}

// certObject is the X.509 Certificate for PIV Authentication data object
// (SP 800-73-4 Part 1 Table 10): the certificate, CertInfo (bit 0: gzip) and an
// empty error detection code.
func certObject(der []byte, compress bool) ([]byte, error) {
	info := byte(0x00)
	if compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(der); err != nil {
			return nil, fmt.Errorf("virtual: compressing certificate: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("virtual: compressing certificate: %w", err)
		}
		der, info = buf.Bytes(), 0x01
	}
	var v []byte
	v = smartcard.AppendTLV(v, 0x70, der)
	v = smartcard.AppendTLV(v, 0x71, []byte{info})
	v = smartcard.AppendTLV(v, 0xFE, nil)
	return smartcard.AppendTLV(nil, 0x53, v), nil
}

// fascN is the FASC-N of a credential from a non-federal issuer: agency code,
// system code and credential number all 9s (SP 800-73-4 Part 1 3.3; TIG SCEPACS
// 6.6), packed in 40 5-bit BCD characters with odd parity and an LRC.
var fascN = []byte{
	0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68,
	0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB,
}

// chuid is a minimal Card Holder Unique Identifier (SP 800-73-4 Part 1 Table 9):
// FASC-N, GUID, expiration date, an empty issuer signature and error detection
// code. The GUID is derived from the certificate, so each identity has its own
// and OpenSC, which takes the card's serial number from it, tells cards apart.
func chuid(certDER []byte) []byte {
	sum := sha256.Sum256(certDER)
	guid := sum[:16]
	guid[6] = guid[6]&0x0F | 0x80 // RFC 9562 version 8: custom
	guid[8] = guid[8]&0x3F | 0x80 // RFC 9562 variant
	var v []byte
	v = smartcard.AppendTLV(v, 0x30, fascN)
	v = smartcard.AppendTLV(v, 0x34, guid)
	v = smartcard.AppendTLV(v, 0x35, []byte("20991231")) // expiration date, YYYYMMDD
	v = smartcard.AppendTLV(v, 0x3E, nil)
	v = smartcard.AppendTLV(v, 0xFE, nil)
	return smartcard.AppendTLV(nil, 0x53, v)
}

// discovery is the Discovery Object (SP 800-73-4 Part 1 Table 18): the AID and a
// PIN usage policy saying the PIV PIN is the one to use (40 00).
func discovery() []byte {
	var v []byte
	v = smartcard.AppendTLV(v, 0x4F, pivAID)
	v = smartcard.AppendTLV(v, 0x5F2F, []byte{0x40, 0x00})
	return smartcard.AppendTLV(nil, 0x7E, v)
}

// execute runs one whole command in the application.
//
// Before the PIV application is selected, commands other than SELECT reach no
// application that knows them, and the card answers 6D00 as a multi-application
// card's default application (its card manager) does for PIV instructions.
func (c *Card) execute(cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	if cmd.INS == insSelect {
		return c.selectApp(cmd)
	}
	if !c.sess.selected {
		return nil, smartcard.SWInsNotSupported
	}
	switch cmd.INS {
	case insGetData:
		return c.getData(cmd)
	case insVerify:
		return c.verify(cmd)
	case insGeneralAut:
		return c.generalAuthenticate(cmd)
	}
	// Among others: CHANGE REFERENCE DATA, RESET RETRY COUNTER, PUT DATA,
	// GENERATE ASYMMETRIC KEY PAIR, and vendor instructions such as Yubico's
	// GET VERSION (FD) and GET SERIAL (F8).
	return nil, smartcard.SWInsNotSupported
}

// selectApp is SELECT by DF name (SP 800-73-4 Part 2 3.1.1; ISO/IEC 7816-4
// 11.2.2). Any right-truncated PIV AID down to the RID selects PIV. Another AID
// is not found and leaves no application selected, as on a Java Card.
func (c *Card) selectApp(cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	if cmd.P1 != 0x04 {
		return nil, smartcard.SWIncorrectP1P2 // the card has no files to select by identifier
	}
	if cmd.P2 != 0x00 && cmd.P2 != 0x0C { // first occurrence; with or without FCI
		return nil, smartcard.SWIncorrectP1P2
	}
	if len(cmd.Data) < ridLen || !bytes.HasPrefix(pivAID, cmd.Data) {
		c.sess.selected, c.sess.verified = false, false
		return nil, smartcard.SWFileNotFound
	}
	// Selecting PIV again keeps its security status (SP 800-73-4 Part 2 3.1.1).
	c.sess.selected = true
	if cmd.P2 == 0x0C {
		return nil, smartcard.SWSuccess
	}
	return c.app.apt, smartcard.SWSuccess
}

// getData is GET DATA (SP 800-73-4 Part 2 3.1.2): data field 5C <tag>.
func (c *Card) getData(cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	if cmd.P1 != 0x3F || cmd.P2 != 0xFF {
		return nil, smartcard.SWIncorrectP1P2
	}
	objs, err := smartcard.ParseTLV(cmd.Data)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x5C || len(objs[0].Value) < 1 || len(objs[0].Value) > 3 {
		return nil, smartcard.SWIncorrectData
	}
	obj, ok := c.app.objects[string(objs[0].Value)]
	if !ok {
		return nil, smartcard.SWFileNotFound
	}
	return obj, smartcard.SWSuccess
}

// verify is VERIFY of the PIV Card Application PIN (SP 800-73-4 Part 2 3.2.1).
func (c *Card) verify(cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	switch {
	case cmd.P2 != pinRef:
		return nil, smartcard.SWRefDataNotFound
	case cmd.P1 == 0xFF: // reset the security status of the PIN
		if len(cmd.Data) != 0 {
			return nil, smartcard.SWWrongLength
		}
		c.sess.verified = false
		return nil, smartcard.SWSuccess
	case cmd.P1 != 0x00:
		return nil, smartcard.SWIncorrectP1P2
	case c.tries == 0:
		return nil, smartcard.SWAuthMethodBlocked
	case len(cmd.Data) == 0: // ask for the status without spending a try
		if c.sess.verified {
			return nil, smartcard.SWSuccess
		}
		return nil, triesLeft(c.tries)
	case len(cmd.Data) != len(c.app.pin):
		return nil, smartcard.SWIncorrectData
	}
	if subtle.ConstantTimeCompare(cmd.Data, c.app.pin[:]) == 1 {
		c.tries = pinTries
		c.sess.verified = true
		return nil, smartcard.SWSuccess
	}
	c.tries--
	c.sess.verified = false
	return nil, triesLeft(c.tries)
}

// triesLeft is 63Cx: verification failed, x tries left.
func triesLeft(n int) smartcard.StatusWord {
	return 0x63C0 | smartcard.StatusWord(n&0x0F)
}

// generalAuthenticate is GENERAL AUTHENTICATE with the PIV Authentication key
// (SP 800-73-4 Part 2 3.2.4, Appendix A.1): the host sends
// 7C { 82 00, 81 <challenge> } and gets 7C { 82 <response> }.
func (c *Card) generalAuthenticate(cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	switch {
	case cmd.P2 != keyRef:
		return nil, smartcard.SWRefDataNotFound
	case cmd.P1 != c.app.alg:
		return nil, smartcard.SWIncorrectP1P2
	case !c.sess.verified:
		return nil, smartcard.SWSecurityNotSatisfied
	}
	challenge, ok := authChallenge(cmd.Data)
	if !ok {
		return nil, smartcard.SWIncorrectData
	}
	var sig []byte
	switch k := c.app.key.(type) {
	case *ecdsa.PrivateKey:
		// The challenge is the digest, truncated or padded by the host to the
		// field size (SP 800-73-4 Part 2 A.1.2).
		if len(challenge) != (k.Curve.Params().BitSize+7)/8 {
			return nil, smartcard.SWIncorrectData
		}
		var err error
		if sig, err = ecdsa.SignASN1(rand.Reader, k, challenge); err != nil {
			return nil, swNoDiagnosis
		}
	case *rsa.PrivateKey:
		// The challenge is a block the host has already padded (PKCS#1 v1.5 or
		// PSS); the card applies the bare private key (SP 800-73-4 Part 2 A.1.1).
		if len(challenge) != k.Size() {
			return nil, smartcard.SWIncorrectData
		}
		if sig, ok = rsaPrivate(k, challenge); !ok {
			return nil, smartcard.SWIncorrectData
		}
	default:
		return nil, swNoDiagnosis
	}
	return smartcard.AppendTLV(nil, 0x7C, smartcard.AppendTLV(nil, 0x82, sig)), smartcard.SWSuccess
}

// authChallenge takes the challenge out of a dynamic authentication template
// asking for a response: 7C { 82 00, 81 <challenge> }, in either order.
func authChallenge(data []byte) ([]byte, bool) {
	outer, err := smartcard.ParseTLV(data)
	if err != nil || len(outer) != 1 || outer[0].Tag != 0x7C {
		return nil, false
	}
	inner, err := smartcard.ParseTLV(outer[0].Value)
	if err != nil {
		return nil, false
	}
	var challenge []byte
	asked := false
	for _, o := range inner {
		switch {
		case o.Tag == 0x82 && len(o.Value) == 0 && !asked:
			asked = true
		case o.Tag == 0x81 && len(o.Value) > 0 && challenge == nil:
			challenge = o.Value
		default:
			return nil, false
		}
	}
	return challenge, asked && challenge != nil
}

// rsaPrivate is the RSA private-key operation on a block below the modulus,
// with the CRT values where the key has them. The result is checked with the
// public key, so that a fault never leaks a wrong signature.
func rsaPrivate(k *rsa.PrivateKey, block []byte) ([]byte, bool) {
	m := new(big.Int).SetBytes(block)
	if m.Cmp(k.N) >= 0 {
		return nil, false
	}
	var s *big.Int
	if p := k.Precomputed; len(k.Primes) == 2 && p.Dp != nil && p.Dq != nil && p.Qinv != nil {
		prime, q := k.Primes[0], k.Primes[1]
		m1 := new(big.Int).Exp(m, p.Dp, prime)
		m2 := new(big.Int).Exp(m, p.Dq, q)
		h := m1.Sub(m1, m2)
		h.Mul(h, p.Qinv).Mod(h, prime)
		s = h.Mul(h, q).Add(h, m2)
	} else {
		s = new(big.Int).Exp(m, k.D, k.N)
	}
	check := new(big.Int).Exp(s, big.NewInt(int64(k.E)), k.N)
	if check.Cmp(m) != 0 {
		return nil, false
	}
	return s.FillBytes(make([]byte, k.Size())), true
}
