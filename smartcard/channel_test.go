package smartcard

import (
	"bytes"
	"errors"
	"testing"
)

// scriptedConn answers each APDU with the next scripted response and records what
// it was sent. It stands in for cards that misbehave in ways the virtual card
// does not: a wrong Le, no PIV application.
type scriptedConn struct {
	answers [][]byte
	sent    [][]byte
}

func (s *scriptedConn) Transmit(cmd []byte) ([]byte, error) {
	s.sent = append(s.sent, append([]byte(nil), cmd...))
	if len(s.answers) == 0 {
		return nil, errors.New("script ran out")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, nil
}
func (s *scriptedConn) BeginTransaction() error { return nil }
func (s *scriptedConn) EndTransaction() error   { return nil }

func TestChannelResendsWithExactLe(t *testing.T) {
	conn := &scriptedConn{answers: [][]byte{{0x6C, 0x03}, {1, 2, 3, 0x90, 0x00}}}
	ch := channel{conn: conn}
	data, sw, err := ch.send(Command{INS: 0xCA, Ne: 256})
	if err != nil || !sw.OK() || !bytes.Equal(data, []byte{1, 2, 3}) {
		t.Fatalf("send = % X, %v, %v", data, sw, err)
	}
	if want := []byte{0, 0xCA, 0, 0, 3}; !bytes.Equal(conn.sent[1], want) {
		t.Fatalf("resent % X, want % X", conn.sent[1], want)
	}
}

func TestChannelGathersGetResponse(t *testing.T) {
	conn := &scriptedConn{answers: [][]byte{{1, 0x61, 0x02}, {2, 3, 0x61, 0x00}, {4, 0x90, 0x00}}}
	ch := channel{conn: conn}
	data, sw, err := ch.send(Command{INS: 0xCB, Ne: 256})
	if err != nil || !sw.OK() || !bytes.Equal(data, []byte{1, 2, 3, 4}) {
		t.Fatalf("send = % X, %v, %v", data, sw, err)
	}
	if want := []byte{0, 0xC0, 0, 0, 2}; !bytes.Equal(conn.sent[1], want) {
		t.Fatalf("GET RESPONSE = % X, want % X", conn.sent[1], want)
	}
	if ch.apdus != 3 {
		t.Fatalf("counted %d APDUs, want 3", ch.apdus)
	}
}

func TestChannelChainsLongData(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 300)
	conn := &scriptedConn{answers: [][]byte{{0x90, 0x00}, {0x90, 0x00}}}
	ch := channel{conn: conn}
	if _, sw, err := ch.send(Command{INS: 0x87, P1: 0x07, P2: 0x9A, Data: long}); err != nil || !sw.OK() {
		t.Fatalf("send: %v, %v", sw, err)
	}
	if conn.sent[0][0] != 0x10 || conn.sent[0][4] != 255 || conn.sent[1][0] != 0x00 || conn.sent[1][4] != 45 {
		t.Fatalf("chain = % X … / % X …", conn.sent[0][:5], conn.sent[1][:5])
	}
}

func TestChannelStopsChainOnError(t *testing.T) {
	conn := &scriptedConn{answers: [][]byte{{0x68, 0x84}}}
	ch := channel{conn: conn}
	_, sw, err := ch.send(Command{INS: 0x87, Data: make([]byte, 600)})
	if err != nil || sw != SWChainingUnsupported || len(conn.sent) != 1 {
		t.Fatalf("send = %v, %v after %d APDUs", sw, err, len(conn.sent))
	}
}

func TestChannelBoundsGetResponse(t *testing.T) {
	conn := &endless61{}
	ch := channel{conn: conn}
	if _, _, err := ch.send(Command{INS: 0xCB, Ne: 256}); !errors.Is(err, ErrMalformedAPDU) {
		t.Fatalf("endless 61xx: err = %v, want ErrMalformedAPDU", err)
	}
}

// endless61 always has 256 more bytes.
type endless61 struct{}

func (endless61) Transmit([]byte) ([]byte, error) { return append(make([]byte, 256), 0x61, 0x00), nil }
func (endless61) BeginTransaction() error         { return nil }
func (endless61) EndTransaction() error           { return nil }

func TestSelectWithoutPIV(t *testing.T) {
	p := NewPIV(&scriptedConn{answers: [][]byte{{0x6A, 0x82}}})
	if _, err := p.Certificate(); !errors.Is(err, ErrNotPIV) {
		t.Fatalf("Certificate() on a non-PIV card: err = %v, want ErrNotPIV", err)
	}
}

func TestCardResetRetriesOnce(t *testing.T) {
	conn := &resetOnce{inner: &scriptedConn{answers: [][]byte{{0x90, 0x00}, {0x63, 0xC3}}}}
	p := NewPIV(conn)
	st, err := p.PINStatus()
	if err != nil || st.TriesLeft != 3 {
		t.Fatalf("PINStatus() after a reset = %+v, %v", st, err)
	}
}

// resetOnce fails its first APDU as a PC/SC handle does after another program
// reset the card.
type resetOnce struct {
	inner *scriptedConn
	done  bool
}

func (r *resetOnce) Transmit(cmd []byte) ([]byte, error) {
	if !r.done {
		r.done = true
		return nil, &PCSCError{Op: "SCardTransmit", Kind: ErrCardReset}
	}
	return r.inner.Transmit(cmd)
}
func (r *resetOnce) BeginTransaction() error { return nil }
func (r *resetOnce) EndTransaction() error   { return nil }
