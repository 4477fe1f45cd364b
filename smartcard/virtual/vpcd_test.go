package virtual

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/scrterm/scr/smartcard"
)

// fakeVPCD plays vpcd: it listens, and Serve dials it as scr-vcard does.
type fakeVPCD struct {
	t    *testing.T
	conn net.Conn
	done chan error // Serve's result
}

func startServe(t *testing.T, ctx context.Context, card *Card) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	f := &fakeVPCD{t: t, conn: peer, done: make(chan error, 1)}
	go func() { f.done <- Serve(ctx, client, card) }()
	return f
}

// send writes one frame as vpcd does: the length and the payload in two writes.
func (f *fakeVPCD) send(payload []byte) {
	f.t.Helper()
	var hdr [2]byte
	binary.BigEndian.PutUint16(hdr[:], uint16(len(payload)))
	if _, err := f.conn.Write(hdr[:]); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.conn.Write(payload); err != nil {
		f.t.Fatal(err)
	}
}

// recv reads one frame.
func (f *fakeVPCD) recv() ([]byte, error) {
	f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(f.conn, hdr[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err := io.ReadFull(f.conn, buf)
	return buf, err
}

// transmit sends an APDU and returns the response APDU.
func (f *fakeVPCD) transmit(apdu []byte) []byte {
	f.t.Helper()
	f.send(apdu)
	resp, err := f.recv()
	if err != nil {
		f.t.Fatalf("no answer to % X: %v", apdu, err)
	}
	return resp
}

// closed waits for Serve to close the connection.
func (f *fakeVPCD) closed() {
	f.t.Helper()
	if b, err := f.recv(); !errors.Is(err, io.EOF) {
		f.t.Fatalf("read % X, %v; want EOF", b, err)
	}
}

func (f *fakeVPCD) result() error {
	f.t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(5 * time.Second):
		f.t.Fatal("Serve did not return")
		return nil
	}
}

func swOf(resp []byte) smartcard.StatusWord {
	_, sw, _ := smartcard.ParseResponse(resp)
	return sw
}

func TestServe(t *testing.T) {
	card := newTestCard(t, p256, Options{})
	f := startServe(t, context.Background(), card)

	f.send([]byte{vpcdPowerOn})
	f.send([]byte{vpcdGetATR})
	if got, err := f.recv(); err != nil || !bytes.Equal(got, card.ATR()) {
		t.Fatalf("ATR % X, %v", got, err)
	}
	if sw := swOf(f.transmit(selectPIV)); sw != smartcard.SWSuccess {
		t.Fatalf("SELECT: %s", sw)
	}
	if sw := swOf(f.transmit(verifyRight)); sw != smartcard.SWSuccess {
		t.Fatalf("VERIFY: %s", sw)
	}
	f.send([]byte{0x07}) // unknown control codes are ignored
	f.send([]byte{vpcdReset})
	if sw := swOf(f.transmit(verifyStatus)); sw != smartcard.SWInsNotSupported {
		t.Fatalf("VERIFY after reset: %s, want PIV deselected", sw)
	}
	if sw := swOf(f.transmit(b("00 CB"))); sw != smartcard.SWWrongLength {
		t.Fatalf("2-byte APDU: %s", sw)
	}
	f.send([]byte{vpcdPowerOff})
	f.conn.Close()
	if err := f.result(); err != nil {
		t.Fatalf("Serve after vpcd closed: %v, want nil", err)
	}
	if !card.Present() {
		t.Error("card out after vpcd closed the connection")
	}
}

func TestServeRemovedCard(t *testing.T) {
	card := newTestCard(t, p256, Options{})
	card.Remove()
	f := startServe(t, context.Background(), card)
	f.closed()
	if err := f.result(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("Serve of a removed card: %v, want ErrCardRemoved", err)
	}
}

// bigCardIdentity has a certificate too large for one vpcd frame.
func bigCardIdentity(t *testing.T) Identity {
	key := testKey(t, p256)
	pad, err := asn1.Marshal(bytes.Repeat([]byte{'x'}, 66000))
	if err != nil {
		t.Fatal(err)
	}
	cert := testCert(t, key, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: pad})
	return Identity{Key: key, Cert: cert, PIN: []byte(testPIN)}
}

func TestServeEnds(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		big  bool
		// act drives the connection; cancel ends Serve's context.
		act     func(f *fakeVPCD, card *Card, cancel func())
		want    func(error) bool
		present bool // the card is still in afterwards
	}{
		{
			name: "card removed",
			act: func(f *fakeVPCD, card *Card, _ func()) {
				f.transmit(selectPIV)
				card.Remove()
				f.closed()
			},
			want: func(err error) bool { return errors.Is(err, smartcard.ErrCardRemoved) },
		},
		{
			name: "card pulled on the 2nd APDU",
			opts: Options{RemoveAfter: 2},
			act: func(f *fakeVPCD, _ *Card, _ func()) {
				f.transmit(selectPIV)
				f.send(verifyRight)
				f.closed() // no answer
			},
			want: func(err error) bool { return errors.Is(err, smartcard.ErrCardRemoved) },
		},
		{
			name: "context cancelled",
			act: func(f *fakeVPCD, _ *Card, cancel func()) {
				f.transmit(selectPIV)
				cancel()
				f.closed()
			},
			want:    func(err error) bool { return errors.Is(err, context.Canceled) },
			present: true,
		},
		{
			name:    "empty frame",
			act:     func(f *fakeVPCD, _ *Card, _ func()) { f.send(nil); f.closed() },
			want:    func(err error) bool { return err != nil },
			present: true,
		},
		{
			name: "frame cut short",
			act: func(f *fakeVPCD, _ *Card, _ func()) {
				f.conn.Write([]byte{0x00, 0x10, 0x00, 0xA4})
				f.conn.(*net.TCPConn).CloseWrite()
				f.closed()
			},
			want:    func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
			present: true,
		},
		{
			name: "response over the frame size",
			big:  true,
			act: func(f *fakeVPCD, _ *Card, _ func()) {
				f.transmit(selectPIV)
				f.send(getCertExtended) // 65536 bytes and 61xx do not fit
				f.closed()
			},
			want:    func(err error) bool { return err != nil && !errors.Is(err, smartcard.ErrCardRemoved) },
			present: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := testIdentity(t, p256)
			if tt.big {
				id = bigCardIdentity(t)
			}
			card, err := New(id, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := startServe(t, ctx, card)
			tt.act(f, card, cancel)
			if err := f.result(); !tt.want(err) {
				t.Fatalf("Serve returned %v", err)
			}
			if card.Present() != tt.present {
				t.Errorf("card present %t after Serve returned, want %t", card.Present(), tt.present)
			}
			if tt.present {
				// Without power, the card has forgotten its selection.
				mustSW(t, card, verifyStatus, smartcard.SWInsNotSupported)
			}
		})
	}
}

// A served card's state survives the connection, as a physical card's does
// when taken out and put back.
func TestServeKeepsRetryCounter(t *testing.T) {
	card := newTestCard(t, p256, Options{})
	f := startServe(t, context.Background(), card)
	f.transmit(selectPIV)
	if sw := swOf(f.transmit(verifyWrong)); sw != 0x63C2 {
		t.Fatalf("wrong PIN: %s", sw)
	}
	f.conn.Close()
	f.result()

	f = startServe(t, context.Background(), card)
	f.transmit(selectPIV)
	if sw := swOf(f.transmit(verifyStatus)); sw != 0x63C2 {
		t.Fatalf("after reinsertion: %s, want 63C2", sw)
	}
	f.conn.Close()
	f.result()
}
