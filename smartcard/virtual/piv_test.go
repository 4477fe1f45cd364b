package virtual

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"io"
	"testing"

	"github.com/scrterm/scr/smartcard"
)

func TestSelect(t *testing.T) {
	tests := []struct {
		name     string
		apdu     []byte
		wantSW   smartcard.StatusWord
		wantData bool
	}{
		{"full AID with Le", selectPIV, smartcard.SWSuccess, true},
		{"full AID without Le, by GET RESPONSE", b("00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00"), smartcard.SWSuccess, true},
		{"truncated to 9 bytes (OpenSC)", b("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"), smartcard.SWSuccess, true},
		{"truncated to the RID", b("00 A4 04 00 05 A0 00 00 03 08 00"), smartcard.SWSuccess, true},
		{"no FCI asked", b("00 A4 04 0C 0B A0 00 00 03 08 00 00 10 00 01 00"), smartcard.SWSuccess, false},
		{"shorter than the RID", b("00 A4 04 00 04 A0 00 00 03 00"), smartcard.SWFileNotFound, false},
		{"longer than the PIV AID", b("00 A4 04 00 0C A0 00 00 03 08 00 00 10 00 01 00 01 00"), smartcard.SWFileNotFound, false},
		{"other application", b("00 A4 04 00 07 A0 00 00 00 03 10 10 00"), smartcard.SWFileNotFound, false},
		{"no AID", b("00 A4 04 00 00"), smartcard.SWFileNotFound, false},
		{"by file identifier", b("00 A4 00 00 02 3F 00"), smartcard.SWIncorrectP1P2, false},
		{"next occurrence", b("00 A4 04 02 0B A0 00 00 03 08 00 00 10 00 01 00"), smartcard.SWIncorrectP1P2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, p256, Options{})
			data, sw := readAll(t, c, tt.apdu)
			if sw != tt.wantSW {
				t.Fatalf("SW %s, want %s", sw, tt.wantSW)
			}
			if !tt.wantData {
				if len(data) != 0 {
					t.Fatalf("data % X, want none", data)
				}
				return
			}
			checkPropertyTemplate(t, data, smartcard.AlgECCP256)
		})
	}
}

// checkPropertyTemplate checks SELECT's answer against SP 800-73-4 Part 2 Table 3.
func checkPropertyTemplate(t *testing.T, data []byte, alg byte) {
	t.Helper()
	apt, err := smartcard.FindTLV(data, 0x61)
	if err != nil {
		t.Fatalf("no application property template in % X: %v", data, err)
	}
	want := map[uint32][]byte{
		0x4F: b("00 00 10 00 01 00"),
		0x79: b("4F 05 A0 00 00 03 08"),
		0x50: []byte("scr virtual PIV"),
		0xAC: {0x80, 0x01, alg, 0x06, 0x01, 0x00},
	}
	for tag, v := range want {
		got, err := smartcard.FindTLV(apt, tag)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("tag %X = % X (%v), want % X", tag, got, err, v)
		}
	}
}

func TestSelectAlgorithm(t *testing.T) {
	for _, tt := range []struct {
		kind string
		alg  byte
	}{{p256, smartcard.AlgECCP256}, {p384, smartcard.AlgECCP384}, {rsa2048, smartcard.AlgRSA2048}} {
		t.Run(tt.kind, func(t *testing.T) {
			c := newTestCard(t, tt.kind, Options{})
			checkPropertyTemplate(t, mustSW(t, c, selectPIV, smartcard.SWSuccess), tt.alg)
		})
	}
}

func TestSelectionAndPIN(t *testing.T) {
	other := b("00 A4 04 00 07 A0 00 00 00 03 10 10")
	tests := []struct {
		name  string
		steps [][]byte
		last  []byte
		want  smartcard.StatusWord
	}{
		{"nothing selected after power-up", nil, getCert, smartcard.SWInsNotSupported},
		{"VERIFY before SELECT", nil, verifyRight, smartcard.SWInsNotSupported},
		{"GENERAL AUTHENTICATE before SELECT", nil, gaP256(make([]byte, 32)), smartcard.SWInsNotSupported},
		{"reselecting PIV keeps the PIN verified", [][]byte{selectPIV, verifyRight, selectPIV}, verifyStatus, smartcard.SWSuccess},
		{"another AID deselects PIV", [][]byte{selectPIV, verifyRight, other}, getCert, smartcard.SWInsNotSupported},
		{"another AID forgets the PIN", [][]byte{selectPIV, verifyRight, other, selectPIV}, verifyStatus, 0x63C3},
		{"vendor instruction", [][]byte{selectPIV}, b("00 FD 00 00 00"), smartcard.SWInsNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, p256, Options{})
			for _, s := range tt.steps {
				send(t, c, s)
			}
			mustSW(t, c, tt.last, tt.want)
		})
	}
}

func TestGetData(t *testing.T) {
	id := testIdentity(t, p256)
	c, err := New(id, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c, selectPIV, smartcard.SWSuccess)

	t.Run("certificate", func(t *testing.T) {
		obj, sw := readAll(t, c, getCert)
		if sw != smartcard.SWSuccess {
			t.Fatalf("SW %s", sw)
		}
		v := mustFind(t, obj, 0x53)
		if cert := mustFind(t, v, 0x70); !bytes.Equal(cert, id.Cert.Raw) {
			t.Error("tag 70 is not the certificate")
		}
		if info := mustFind(t, v, 0x71); !bytes.Equal(info, []byte{0}) {
			t.Errorf("CertInfo % X, want 00", info)
		}
		if edc := mustFind(t, v, 0xFE); len(edc) != 0 {
			t.Errorf("error detection code % X, want empty", edc)
		}
	})
	t.Run("CHUID", func(t *testing.T) {
		obj, sw := readAll(t, c, getCHUID)
		if sw != smartcard.SWSuccess {
			t.Fatalf("SW %s", sw)
		}
		v := mustFind(t, obj, 0x53)
		checkFASCN(t, mustFind(t, v, 0x30))
		if guid := mustFind(t, v, 0x34); len(guid) != 16 {
			t.Errorf("GUID of %d bytes", len(guid))
		}
		if exp := mustFind(t, v, 0x35); string(exp) != "20991231" {
			t.Errorf("expiration %q", exp)
		}
		mustFind(t, v, 0x3E)
		mustFind(t, v, 0xFE)
	})
	t.Run("discovery", func(t *testing.T) {
		obj, sw := readAll(t, c, getDiscovery)
		if sw != smartcard.SWSuccess {
			t.Fatalf("SW %s", sw)
		}
		v := mustFind(t, obj, 0x7E)
		if aid := mustFind(t, v, 0x4F); !bytes.Equal(aid, pivAID) {
			t.Errorf("AID % X", aid)
		}
		if policy := mustFind(t, v, 0x5F2F); !bytes.Equal(policy, b("40 00")) {
			t.Errorf("PIN usage policy % X", policy)
		}
	})

	errs := []struct {
		name string
		apdu []byte
		want smartcard.StatusWord
	}{
		{"absent object", b("00 CB 3F FF 05 5C 03 5F C1 0A 00"), smartcard.SWFileNotFound},
		{"tag with a leading zero", b("00 CB 3F FF 04 5C 02 00 7E 00"), smartcard.SWFileNotFound},
		{"wrong P1 P2", b("00 CB 3F FE 05 5C 03 5F C1 05 00"), smartcard.SWIncorrectP1P2},
		{"no data field", b("00 CB 3F FF 00"), smartcard.SWIncorrectData},
		{"not a tag list", b("00 CB 3F FF 05 4C 03 5F C1 05 00"), smartcard.SWIncorrectData},
		{"empty tag", b("00 CB 3F FF 02 5C 00 00"), smartcard.SWIncorrectData},
		{"four-byte tag", b("00 CB 3F FF 06 5C 04 5F C1 05 01 00"), smartcard.SWIncorrectData},
		{"length past the end", b("00 CB 3F FF 03 5C 05 5F 00"), smartcard.SWIncorrectData},
		{"two tags", b("00 CB 3F FF 06 5C 01 7E 5C 01 7E 00"), smartcard.SWIncorrectData},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) { mustSW(t, c, tt.apdu, tt.want) })
	}
}

// checkFASCN checks the FASC-N's character parity and LRC (TIG SCEPACS 6.6): 40
// characters of 4 data bits, least significant first, and an odd parity bit.
func checkFASCN(t *testing.T, f []byte) {
	t.Helper()
	if len(f) != 25 {
		t.Fatalf("FASC-N of %d bytes", len(f))
	}
	bit := func(i int) byte { return f[i/8] >> (7 - i%8) & 1 }
	var lrc byte
	for ch := 0; ch < 40; ch++ {
		var v, ones byte
		for j := 0; j < 5; j++ {
			x := bit(5*ch + j)
			ones += x
			if j < 4 {
				v |= x << j
			}
		}
		if ones%2 != 1 {
			t.Errorf("FASC-N character %d has even parity", ch)
		}
		switch {
		case ch == 0 && v != 0xB:
			t.Errorf("FASC-N starts with %X, want start sentinel B", v)
		case ch == 39 && v != lrc:
			t.Errorf("FASC-N LRC %X, want %X", v, lrc)
		}
		lrc ^= v
	}
}

func mustFind(t *testing.T, b []byte, tag uint32) []byte {
	t.Helper()
	v, err := smartcard.FindTLV(b, tag)
	if err != nil {
		t.Fatalf("tag %X in % X: %v", tag, b, err)
	}
	return v
}

func TestCompressedCertificate(t *testing.T) {
	id := testIdentity(t, rsa2048)
	c, err := New(id, Options{CompressCert: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	obj, sw := readAll(t, c, getCert)
	if sw != smartcard.SWSuccess {
		t.Fatalf("SW %s", sw)
	}
	v := mustFind(t, obj, 0x53)
	if info := mustFind(t, v, 0x71); !bytes.Equal(info, []byte{1}) {
		t.Fatalf("CertInfo % X, want 01", info)
	}
	zr, err := gzip.NewReader(bytes.NewReader(mustFind(t, v, 0x70)))
	if err != nil {
		t.Fatal(err)
	}
	der, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(der, id.Cert.Raw) {
		t.Error("decompressed certificate differs")
	}
}

func TestVerify(t *testing.T) {
	type step struct {
		apdu []byte
		want smartcard.StatusWord
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"status does not spend a try", []step{
			{verifyStatus, 0x63C3}, {verifyStatus, 0x63C3}, {b("00 20 00 80 00"), 0x63C3},
		}},
		{"right PIN", []step{
			{verifyRight, smartcard.SWSuccess}, {verifyStatus, smartcard.SWSuccess},
		}},
		{"wrong PIN decrements", []step{
			{verifyWrong, 0x63C2}, {verifyStatus, 0x63C2}, {verifyWrong, 0x63C1}, {verifyStatus, 0x63C1},
		}},
		{"wrong PIN clears verification", []step{
			{verifyRight, smartcard.SWSuccess}, {verifyWrong, 0x63C2}, {verifyStatus, 0x63C2},
		}},
		{"third wrong PIN blocks", []step{
			{verifyWrong, 0x63C2}, {verifyWrong, 0x63C1}, {verifyWrong, 0x63C0},
			{verifyRight, smartcard.SWAuthMethodBlocked}, {verifyStatus, smartcard.SWAuthMethodBlocked},
			{verifyWrong, smartcard.SWAuthMethodBlocked},
		}},
		{"right PIN resets the counter", []step{
			{verifyWrong, 0x63C2}, {verifyWrong, 0x63C1}, {verifyRight, smartcard.SWSuccess},
			{b("00 20 FF 80"), smartcard.SWSuccess}, {verifyStatus, 0x63C3},
		}},
		{"P1 FF resets the security status", []step{
			{verifyRight, smartcard.SWSuccess}, {b("00 20 FF 80"), smartcard.SWSuccess}, {verifyStatus, 0x63C3},
		}},
		{"P1 FF with data", []step{{b("00 20 FF 80 08 31 32 33 34 35 36 FF FF"), smartcard.SWWrongLength}}},
		{"unpadded PIN spends no try", []step{
			{b("00 20 00 80 06 31 32 33 34 35 36"), smartcard.SWIncorrectData}, {verifyStatus, 0x63C3},
		}},
		{"too long spends no try", []step{
			{b("00 20 00 80 09 31 32 33 34 35 36 FF FF FF"), smartcard.SWIncorrectData}, {verifyStatus, 0x63C3},
		}},
		{"PIN padded with zeros is wrong", []step{{b("00 20 00 80 08 31 32 33 34 35 36 00 00"), 0x63C2}}},
		{"global PIN reference", []step{{b("00 20 00 00 08 31 32 33 34 35 36 FF FF"), smartcard.SWRefDataNotFound}}},
		{"unknown P1", []step{{b("00 20 01 80 08 31 32 33 34 35 36 FF FF"), smartcard.SWIncorrectP1P2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, p256, Options{})
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			for i, s := range tt.steps {
				if _, sw := send(t, c, s.apdu); sw != s.want {
					t.Fatalf("step %d (% X): SW %s, want %s", i, s.apdu, sw, s.want)
				}
			}
		})
	}
}

func TestVerifyPINLengths(t *testing.T) {
	for _, pin := range []string{"123456", "1234567", "12345678"} {
		t.Run(pin, func(t *testing.T) {
			id := testIdentity(t, p256)
			id.PIN = []byte(pin)
			c, err := New(id, Options{})
			if err != nil {
				t.Fatal(err)
			}
			block := bytes.Repeat([]byte{0xFF}, 8)
			copy(block, pin)
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			mustSW(t, c, command(t, smartcard.Command{INS: insVerify, P2: 0x80, Data: block}), smartcard.SWSuccess)
		})
	}
}

// gaP256 is GENERAL AUTHENTICATE with slot 9A, ECC P-256, asking to sign digest.
func gaP256(digest []byte) []byte {
	raw, _ := smartcard.Command{INS: insGeneralAut, P1: smartcard.AlgECCP256, P2: 0x9A, Data: authTemplate(digest), Ne: 256}.Encode(false)
	return raw
}

// authTemplate is 7C { 82 00, 81 <challenge> }.
func authTemplate(challenge []byte) []byte {
	inner := smartcard.AppendTLV(smartcard.AppendTLV(nil, 0x82, nil), 0x81, challenge)
	return smartcard.AppendTLV(nil, 0x7C, inner)
}

// pkcs1v15 pads a SHA-256 digest for signing (RFC 8017 9.2), as the host does
// before sending an RSA challenge.
func pkcs1v15(digest []byte, size int) []byte {
	prefix := b("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20")
	block := make([]byte, size)
	block[1] = 0x01
	tail := append(prefix, digest...)
	for i := 2; i < size-len(tail)-1; i++ {
		block[i] = 0xFF
	}
	copy(block[size-len(tail):], tail)
	return block
}

func TestGeneralAuthenticateSigns(t *testing.T) {
	msg := []byte("sign me")
	tests := []struct {
		name    string
		kind    string
		alg     byte
		chained bool
	}{
		{"ECDSA P-256", p256, smartcard.AlgECCP256, false},
		{"ECDSA P-384", p384, smartcard.AlgECCP384, false},
		{"RSA-2048 extended", rsa2048, smartcard.AlgRSA2048, false},
		{"RSA-2048 chained", rsa2048, smartcard.AlgRSA2048, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := testIdentity(t, tt.kind)
			c, err := New(id, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			mustSW(t, c, verifyRight, smartcard.SWSuccess)

			var challenge []byte
			switch tt.kind {
			case p256:
				d := sha256.Sum256(msg)
				challenge = d[:]
			case p384:
				d := sha512.Sum384(msg)
				challenge = d[:]
			case rsa2048:
				d := sha256.Sum256(msg)
				challenge = pkcs1v15(d[:], 256)
			}
			cmd := smartcard.Command{INS: insGeneralAut, P1: tt.alg, P2: 0x9A, Data: authTemplate(challenge), Ne: 256}
			var resp []byte
			var sw smartcard.StatusWord
			if tt.chained {
				resp, sw = sendChained(t, c, cmd)
			} else {
				resp, sw = readAll(t, c, command(t, cmd))
			}
			if sw != smartcard.SWSuccess {
				t.Fatalf("SW %s", sw)
			}
			sig := mustFind(t, mustFind(t, resp, 0x7C), 0x82)
			switch pub := id.Cert.PublicKey.(type) {
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, challenge, sig) {
					t.Error("ECDSA signature does not verify")
				}
			case *rsa.PublicKey:
				d := sha256.Sum256(msg)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
					t.Errorf("RSA signature does not verify: %v", err)
				}
			}
		})
	}
}

// sendChained sends cmd in short APDUs with command chaining (CLA 10 on all but
// the last part) and gathers the response.
func sendChained(t *testing.T, c *Card, cmd smartcard.Command) ([]byte, smartcard.StatusWord) {
	t.Helper()
	data := cmd.Data
	for len(data) > smartcard.MaxShortData {
		part := cmd
		part.CLA, part.Data, part.Ne = claChain, data[:smartcard.MaxShortData], 0
		mustSW(t, c, command(t, part), smartcard.SWSuccess)
		data = data[smartcard.MaxShortData:]
	}
	cmd.Data = data
	return readAll(t, c, command(t, cmd))
}

func TestGeneralAuthenticateErrors(t *testing.T) {
	digest := make([]byte, 32)
	ga := func(p1, p2 byte, data []byte) []byte {
		raw, _ := smartcard.Command{INS: insGeneralAut, P1: p1, P2: p2, Data: data, Ne: 256}.Encode(false)
		return raw
	}
	tests := []struct {
		name     string
		kind     string
		verified bool
		apdu     []byte
		want     smartcard.StatusWord
	}{
		{"PIN not verified", p256, false, gaP256(digest), smartcard.SWSecurityNotSatisfied},
		{"other key reference", p256, true, ga(smartcard.AlgECCP256, 0x9C, authTemplate(digest)), smartcard.SWRefDataNotFound},
		{"algorithm of another key", p256, true, ga(smartcard.AlgECCP384, 0x9A, authTemplate(digest)), smartcard.SWIncorrectP1P2},
		{"RSA algorithm for an EC key", p256, true, ga(smartcard.AlgRSA2048, 0x9A, authTemplate(digest)), smartcard.SWIncorrectP1P2},
		{"digest too short", p256, true, gaP256(digest[:31]), smartcard.SWIncorrectData},
		{"digest too long", p256, true, gaP256(make([]byte, 48)), smartcard.SWIncorrectData},
		{"no data", p256, true, ga(smartcard.AlgECCP256, 0x9A, nil), smartcard.SWIncorrectData},
		{"no response asked", p256, true, ga(smartcard.AlgECCP256, 0x9A, b("7C 22 81 20")), smartcard.SWIncorrectData},
		{"not a template", p256, true, ga(smartcard.AlgECCP256, 0x9A, b("7D 02 82 00")), smartcard.SWIncorrectData},
		{"challenge missing", p256, true, ga(smartcard.AlgECCP256, 0x9A, b("7C 02 82 00")), smartcard.SWIncorrectData},
		{"response tag with data", p256, true, ga(smartcard.AlgECCP256, 0x9A, append(b("7C 25 82 01 00 81 20"), digest...)), smartcard.SWIncorrectData},
		{"key agreement asked", p256, true, ga(smartcard.AlgECCP256, 0x9A, append(b("7C 24 82 00 85 20"), digest...)), smartcard.SWIncorrectData},
		{"trailing object", p256, true, ga(smartcard.AlgECCP256, 0x9A, append(authTemplate(digest), 0x01, 0x00)), smartcard.SWIncorrectData},
		{"RSA block not below the modulus", rsa2048, true, command(t, smartcard.Command{INS: insGeneralAut, P1: smartcard.AlgRSA2048, P2: 0x9A, Data: authTemplate(bytes.Repeat([]byte{0xFF}, 256)), Ne: 256}), smartcard.SWIncorrectData},
		{"RSA block too short", rsa2048, true, ga(smartcard.AlgRSA2048, 0x9A, authTemplate(make([]byte, 128))), smartcard.SWIncorrectData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, tt.kind, Options{})
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			if tt.verified {
				mustSW(t, c, verifyRight, smartcard.SWSuccess)
			}
			mustSW(t, c, tt.apdu, tt.want)
		})
	}
}

func TestRSAPrivateWithoutCRT(t *testing.T) {
	k := *testKey(t, rsa2048).(*rsa.PrivateKey)
	k.Precomputed = rsa.PrecomputedValues{}
	block := pkcs1v15(make([]byte, 32), 256)
	got, ok := rsaPrivate(&k, block)
	if !ok {
		t.Fatal("rsaPrivate failed")
	}
	want, err := rsa.SignPKCS1v15(rand.Reader, testKey(t, rsa2048).(*rsa.PrivateKey), crypto.SHA256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("raw RSA without CRT values differs from crypto/rsa")
	}
}

func TestNewRejects(t *testing.T) {
	good := testIdentity(t, p256)
	other := testIdentity(t, p384)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   Identity
	}{
		{"no key", Identity{Cert: good.Cert, PIN: good.PIN}},
		{"no certificate", Identity{Key: good.Key, PIN: good.PIN}},
		{"key of another certificate", Identity{Key: good.Key, Cert: other.Cert, PIN: good.PIN}},
		{"RSA-1024", Identity{Key: rsa1024, Cert: testCert(t, rsa1024), PIN: good.PIN}},
		{"PIN too short", Identity{Key: good.Key, Cert: good.Cert, PIN: []byte("12345")}},
		{"PIN too long", Identity{Key: good.Key, Cert: good.Cert, PIN: []byte("123456789")}},
		{"PIN not digits", Identity{Key: good.Key, Cert: good.Cert, PIN: []byte("12345a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.id, Options{}); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

// The certificate a test puts on a card must parse back as the one given.
func TestCertificateRoundTrip(t *testing.T) {
	id := testIdentity(t, p256)
	c, err := New(id, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	obj, _ := readAll(t, c, getCert)
	cert, err := x509.ParseCertificate(mustFind(t, mustFind(t, obj, 0x53), 0x70))
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "Test User" || cert.Subject.SerialNumber != "555000000001" {
		t.Errorf("subject %v", cert.Subject)
	}
}
