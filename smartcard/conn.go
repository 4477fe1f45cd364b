package smartcard

import (
	"errors"
	"fmt"
)

// Conn is one connection to one card: a PC/SC card handle, or the in-process
// virtual card. It moves whole APDUs; chaining and GET RESPONSE are done above it.
type Conn interface {
	// Transmit sends one command APDU and returns the response APDU (data and SW1 SW2).
	Transmit(cmd []byte) ([]byte, error)
	// BeginTransaction gives this connection sole use of the card until
	// EndTransaction, so another program cannot interleave its APDUs with ours.
	BeginTransaction() error
	EndTransaction() error
}

// maxResponse bounds what GET RESPONSE may gather, so a card that keeps answering
// 61xx cannot make us loop or grow without end.
const maxResponse = 1 << 16

// channel sends commands over a Conn, adding what ISO/IEC 7816-4 leaves to the
// terminal: command chaining (5.1.1.1), GET RESPONSE after 61xx and the resend
// with the right Le after 6Cxx (5.1.3).
type channel struct {
	conn     Conn
	extended bool // the card takes extended Lc/Le
	apdus    int  // APDUs sent, for benchmarks and tests
}

// send transmits cmd and returns the whole response data and the final status
// word. A status word other than 9000 is not an error here: callers decide.
func (ch *channel) send(cmd Command) ([]byte, StatusWord, error) {
	maxData := MaxShortData
	if ch.extended {
		maxData = MaxExtendedData
	}
	// Command chaining: every part but the last has CLA bit b5 (0x10) set and must
	// answer 9000.
	data := cmd.Data
	for len(data) > maxData {
		part := cmd
		part.CLA |= 0x10
		part.Data, part.Ne = data[:maxData], 0
		_, sw, err := ch.transmit(part)
		if err != nil {
			return nil, 0, err
		}
		if !sw.OK() {
			return nil, sw, nil
		}
		data = data[maxData:]
	}
	last := cmd
	last.Data = data
	return ch.collect(last)
}

// collect sends the last (or only) part and gathers a long answer.
func (ch *channel) collect(cmd Command) ([]byte, StatusWord, error) {
	resp, sw, err := ch.transmit(cmd)
	if err != nil {
		return nil, 0, err
	}
	if sw.SW1() == 0x6C { // wrong Le: send it again with the exact length
		cmd.Ne = leValue(int(sw.SW2()), MaxShortLe)
		if resp, sw, err = ch.transmit(cmd); err != nil {
			return nil, 0, err
		}
	}
	out := append([]byte(nil), resp...)
	for sw.SW1() == 0x61 {
		if len(out) > maxResponse {
			return nil, 0, fmt.Errorf("%w: card answered more than %d bytes", ErrMalformedAPDU, maxResponse)
		}
		getResponse := Command{CLA: cmd.CLA &^ 0x10, INS: insGetResponse, Ne: leValue(int(sw.SW2()), MaxShortLe)}
		if resp, sw, err = ch.transmit(getResponse); err != nil {
			return nil, 0, err
		}
		out = append(out, resp...)
	}
	return out, sw, nil
}

const insGetResponse = 0xC0

func (ch *channel) transmit(cmd Command) ([]byte, StatusWord, error) {
	raw, err := cmd.Encode(ch.extended)
	if err != nil {
		return nil, 0, err
	}
	ch.apdus++
	resp, err := ch.conn.Transmit(raw)
	clear(raw) // it may hold a PIN
	if err != nil {
		return nil, 0, err
	}
	data, sw, err := ParseResponse(resp)
	if err != nil {
		return nil, 0, errors.Join(ErrCardUnreadable, err)
	}
	return data, sw, nil
}
