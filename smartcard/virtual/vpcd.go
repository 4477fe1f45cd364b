package virtual

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
)

// The vpcd protocol (vsmartcard's virtual reader driver for pcscd): vpcd listens
// on TCP, one port per reader slot, and the card connects to it. Both sides send
// frames of a 2-byte big-endian length and a payload. A 1-byte payload from vpcd
// is a control code; a longer one is a command APDU, answered with a frame
// holding the response APDU. The card is in the reader while the connection is
// open.
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdGetATR   = 0x04

	// DefaultVPCDPort is where vpcd's first reader, "Virtual PCD 00 00", listens;
	// each further reader listens on the next port.
	DefaultVPCDPort = 35963

	// maxFrame is the largest payload the 2-byte length can carry.
	maxFrame = 0xFFFF
)

// Serve answers vpcd on conn until ctx ends, conn fails, the peer closes or the
// card is taken out: card.Remove closes the connection, which vpcd reports to
// pcscd as the card leaving the reader. The card must be in (see Insert) and
// stays in when the connection ends for another reason, but loses power, as
// when pcscd stops. Serve closes conn.
//
// It returns nil when vpcd closes the connection (pcscd stopped), ctx.Err() when
// ctx ends, an error wrapping smartcard.ErrCardRemoved when the card is out,
// and otherwise the I/O or protocol error.
func Serve(ctx context.Context, conn net.Conn, card *Card) error {
	defer conn.Close()
	gone := card.removed()
	select {
	case <-gone:
		return errRemoved
	default:
	}
	defer card.Reset()
	if tc, ok := conn.(*net.TCPConn); ok {
		// Our frames go out in one write each; never hold them back.
		_ = tc.SetNoDelay(true)
	}

	// Closing conn is what interrupts a blocked read.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		select {
		case <-ctx.Done():
		case <-gone:
		case <-stop:
			return
		}
		conn.Close()
	})
	defer wg.Wait()
	defer close(stop)

	err := serve(conn, card)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-gone:
		return errRemoved
	default:
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// serve runs the frame loop.
func serve(conn net.Conn, card *Card) error {
	ack := quickAcker(conn)
	var hdr [2]byte
	buf := make([]byte, 0, 512)
	for {
		ack()
		if _, err := io.ReadFull(conn, hdr[:]); err == io.EOF {
			return err // the peer closed between frames
		} else if err != nil {
			return fmt.Errorf("virtual: reading vpcd frame: %w", err)
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if n == 0 {
			return errors.New("virtual: vpcd sent an empty frame")
		}
		// The 2-byte length caps a frame, and so this buffer, at 64 KiB.
		buf = slices.Grow(buf[:0], n)[:n]
		ack()
		if _, err := io.ReadFull(conn, buf); err != nil {
			return fmt.Errorf("virtual: reading vpcd frame: %w", noEOF(err))
		}
		var resp []byte
		if n == 1 {
			switch buf[0] {
			case vpcdPowerOff, vpcdPowerOn, vpcdReset:
				// Cold or warm, a reset leaves the card as after power-up.
				card.Reset()
				continue
			case vpcdGetATR:
				resp = card.ATR()
			default:
				continue // as vsmartcard's own cards do, ignore unknown codes
			}
		} else {
			var err error
			resp, err = card.Transmit(buf)
			clear(buf) // it may hold a PIN
			if err != nil {
				return err
			}
		}
		if err := writeFrame(conn, resp); err != nil {
			return err
		}
	}
}

// writeFrame sends one frame in one write.
func writeFrame(w io.Writer, payload []byte) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("virtual: response of %d bytes does not fit a vpcd frame", len(payload))
	}
	frame := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(frame, uint16(len(payload)))
	copy(frame[2:], payload)
	_, err := w.Write(frame)
	return err
}

// noEOF turns an end of stream inside a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
