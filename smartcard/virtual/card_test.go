package virtual

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/smartcard"
)

var _ smartcard.Conn = (*Card)(nil)

// parseATR checks an ATR's structure (ISO/IEC 7816-3 8.2) and returns the
// protocols its TD bytes announce and its historical bytes.
func parseATR(a []byte) (protocols, hist []byte, err error) {
	if len(a) < 2 || a[0] != 0x3B {
		return nil, nil, errors.New("no TS 3B and T0")
	}
	y, i := a[1]>>4, 2
	for {
		td, hasTD := byte(0), false
		for bit := 0; bit < 4; bit++ { // TAi, TBi, TCi, TDi
			if y&(1<<bit) == 0 {
				continue
			}
			if i >= len(a) {
				return nil, nil, errors.New("interface bytes cut short")
			}
			td, hasTD = a[i], bit == 3
			i++
		}
		if !hasTD {
			break
		}
		protocols = append(protocols, td&0x0F)
		y = td >> 4
	}
	k := int(a[1] & 0x0F)
	if i+k > len(a) {
		return nil, nil, errors.New("historical bytes cut short")
	}
	hist = a[i : i+k]
	if slices.ContainsFunc(protocols, func(p byte) bool { return p != 0 }) {
		// TCK follows; the exclusive-or of T0 to TCK is zero.
		if len(a) != i+k+1 {
			return nil, nil, fmt.Errorf("%d bytes after the historical bytes, want TCK only", len(a)-i-k)
		}
		var x byte
		for _, c := range a[1:] {
			x ^= c
		}
		if x != 0 {
			return nil, nil, fmt.Errorf("TCK wrong by %02X", x)
		}
	}
	return protocols, hist, nil
}

func TestATR(t *testing.T) {
	protocols, hist, err := parseATR((&Card{}).ATR())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(protocols, []byte{1, 1}) {
		t.Errorf("protocols %v, want T=1 only", protocols)
	}
	if len(hist) == 0 || hist[0] != 0x80 {
		t.Errorf("historical bytes % X, want category indicator 80", hist)
	}
}

func TestGetResponse(t *testing.T) {
	c := newTestCard(t, p256, Options{})
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	whole := mustSW(t, c, getCertExtended, smartcard.SWSuccess)
	if len(whole) <= 256 || len(whole) >= 2*256 {
		t.Fatalf("certificate object of %d bytes: the cases below want 257 to 511", len(whole))
	}
	rest := whole[256:]
	n := byte(len(rest))

	getResponse := func(le byte) []byte { return []byte{0x00, 0xC0, 0x00, 0x00, le} }
	type step struct {
		apdu     []byte
		want     smartcard.StatusWord
		wantData []byte
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"exact Le", []step{{getResponse(n), smartcard.SWSuccess, rest}}},
		{"Le 00 is up to 256", []step{{getResponse(0), smartcard.SWSuccess, rest}}},
		{"Le too long gets 6Cxx and keeps the data", []step{
			{getResponse(n + 1), 0x6C00 | smartcard.StatusWord(n), nil},
			{getResponse(n), smartcard.SWSuccess, rest},
		}},
		{"no Le gets 6Cxx", []step{{b("00 C0 00 00"), 0x6C00 | smartcard.StatusWord(n), nil}}},
		{"short Le reads in parts", []step{
			{getResponse(10), 0x6100 | smartcard.StatusWord(n-10), rest[:10]},
			{getResponse(n - 10), smartcard.SWSuccess, rest[10:]},
			{getResponse(0), smartcard.SWConditionsNotSatisfied, nil},
		}},
		{"wrong P1 P2", []step{{b("00 C0 01 00 00"), smartcard.SWIncorrectP1P2, nil}}},
		{"with data", []step{{b("00 C0 00 00 01 00 00"), smartcard.SWWrongLength, nil}}},
		{"chained", []step{{b("10 C0 00 00 00"), smartcard.SWChainingUnsupported, nil}}},
		{"another command discards the rest", []step{
			{verifyStatus, 0x63C3, nil},
			{getResponse(0), smartcard.SWConditionsNotSatisfied, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Reset()
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			if first := mustSW(t, c, getCert, 0x6100|smartcard.StatusWord(n)); !bytes.Equal(first, whole[:256]) {
				t.Fatal("first 256 bytes differ")
			}
			for i, s := range tt.steps {
				data, sw := send(t, c, s.apdu)
				if sw != s.want || !bytes.Equal(data, s.wantData) {
					t.Fatalf("step %d (% X): %d bytes, SW %s; want %d bytes, SW %s", i, s.apdu, len(data), sw, len(s.wantData), s.want)
				}
			}
		})
	}
}

func TestLongResponses(t *testing.T) {
	c := newTestCard(t, rsa2048, Options{})
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	whole := mustSW(t, c, getCertExtended, smartcard.SWSuccess)
	if len(whole) <= 512 {
		t.Fatalf("certificate object of %d bytes, want over 512 to need 61 00", len(whole))
	}
	tests := []struct {
		name string
		apdu []byte
	}{
		{"short Le 00", getCert},
		{"short without Le", b("00 CB 3F FF 05 5C 03 5F C1 05")},
		{"short small Le", b("00 CB 3F FF 05 5C 03 5F C1 05 10")},
		{"extended small Le", b("00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 10")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sw := readAll(t, c, tt.apdu)
			if sw != smartcard.SWSuccess || !bytes.Equal(got, whole) {
				t.Fatalf("reassembled %d bytes, SW %s; want %d bytes, 9000", len(got), sw, len(whole))
			}
		})
	}
	t.Run("first part announces 61 00", func(t *testing.T) {
		mustSW(t, c, getCert, 0x6100)
	})
}

func TestTransport(t *testing.T) {
	chainPart := func(data []byte) []byte {
		return command(t, smartcard.Command{CLA: claChain, INS: insGetData, P1: 0x3F, P2: 0xFF, Data: data})
	}
	tests := []struct {
		name  string
		steps [][]byte // answered 9000
		last  []byte
		want  smartcard.StatusWord
	}{
		{"chained GET DATA is one command", [][]byte{chainPart(b("5C"))}, b("00 CB 3F FF 02 01 7E 00"), smartcard.SWSuccess},
		{"chain ended by another instruction", [][]byte{chainPart(b("5C 03"))}, verifyStatus, smartcard.SWLastCmdExpected},
		{"chain ended with other P1 P2", [][]byte{chainPart(b("5C 03"))}, b("00 CB 3F FE 03 5F C1 05 00"), smartcard.SWLastCmdExpected},
		{"4 KiB chain reaches the application", repeat(chainPart(make([]byte, 255)), 16), b("00 CB 3F FF 01 00 00"), smartcard.SWIncorrectData},
		{"chain beyond 64 KiB", [][]byte{command(t, smartcard.Command{CLA: claChain, INS: insGetData, P1: 0x3F, P2: 0xFF, Data: make([]byte, 65535)})}, chainPart(make([]byte, 2)), smartcard.SWWrongLength},
		{"proprietary class", nil, b("80 CB 3F FF 03 5C 01 7E 00"), smartcard.SWClassNotSupported},
		{"secure messaging", nil, b("0C CB 3F FF 03 5C 01 7E 00"), smartcard.SWClassNotSupported},
		{"logical channel 1", nil, b("01 CB 3F FF 03 5C 01 7E 00"), smartcard.SWClassNotSupported},
		{"unknown instruction", nil, b("00 FF 00 00"), smartcard.SWInsNotSupported},
		{"Yubico GET VERSION", nil, b("00 FD 00 00 00"), smartcard.SWInsNotSupported},
		{"header only, 3 bytes", nil, b("00 CB 3F"), smartcard.SWWrongLength},
		{"empty", nil, nil, smartcard.SWWrongLength},
		{"Lc longer than the data", nil, b("00 CB 3F FF 05 5C 03"), smartcard.SWWrongLength},
		{"extended Le without data", nil, b("00 CB 3F FF 00 00 05"), smartcard.SWIncorrectData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, p256, Options{})
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			for _, s := range tt.steps {
				mustSW(t, c, s, smartcard.SWSuccess)
			}
			mustSW(t, c, tt.last, tt.want)
			// Whatever happened, the card still works.
			mustSW(t, c, getDiscovery, smartcard.SWSuccess)
		})
	}
}

func repeat(apdu []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = apdu
	}
	return out
}

func TestResetAndRemoval(t *testing.T) {
	type op func(c *Card)
	tests := []struct {
		name string
		op   op
	}{
		{"Reset", (*Card).Reset},
		{"Remove and Insert", func(c *Card) { c.Remove(); c.Insert() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCard(t, rsa2048, Options{})
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			mustSW(t, c, verifyWrong, 0x63C2)
			mustSW(t, c, verifyRight, smartcard.SWSuccess)
			mustSW(t, c, verifyWrong, 0x63C2)
			mustSW(t, c, verifyRight, smartcard.SWSuccess)
			mustSW(t, c, verifyWrong, 0x63C2)                         // counter at 2, PIN unverified
			mustSW(t, c, b("10 CB 3F FF 01 5C"), smartcard.SWSuccess) // a chain in progress
			tt.op(c)
			mustSW(t, c, b("00 CB 3F FF 02 01 7E 00"), smartcard.SWInsNotSupported) // chain and selection gone
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			mustSW(t, c, verifyStatus, 0x63C2) // the counter survives
			mustSW(t, c, verifyRight, smartcard.SWSuccess)
			mustSW(t, c, getCert, 0x6100)
			tt.op(c)
			mustSW(t, c, b("00 C0 00 00 00"), smartcard.SWConditionsNotSatisfied) // pending response gone
			mustSW(t, c, selectPIV, smartcard.SWSuccess)
			mustSW(t, c, verifyStatus, 0x63C3) // verification gone
		})
	}
}

func TestRemoved(t *testing.T) {
	c := newTestCard(t, p256, Options{})
	if !c.Present() {
		t.Fatal("a new card is not present")
	}
	c.Remove()
	c.Remove() // idempotent
	if c.Present() {
		t.Fatal("removed card present")
	}
	if _, err := c.Transmit(selectPIV); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("Transmit: %v, want ErrCardRemoved", err)
	}
	if err := c.BeginTransaction(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("BeginTransaction: %v, want ErrCardRemoved", err)
	}
	c.Insert()
	c.Insert() // idempotent
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
}

func TestRemoveAfter(t *testing.T) {
	var traced []Exchange
	c := newTestCard(t, p256, Options{RemoveAfter: 3, Trace: func(ex Exchange) { traced = append(traced, ex) }})
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	mustSW(t, c, verifyRight, smartcard.SWSuccess)
	if _, err := c.Transmit(gaP256(make([]byte, 32))); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("third APDU: %v, want ErrCardRemoved", err)
	}
	if c.Present() {
		t.Fatal("card still present")
	}
	c.Insert()
	for range 5 { // it fires once
		mustSW(t, c, selectPIV, smartcard.SWSuccess)
	}
	if len(traced) != 7 {
		t.Errorf("%d exchanges traced, want 7 (the pulled one is not answered)", len(traced))
	}
}

func TestTrace(t *testing.T) {
	var got []Exchange
	c := newTestCard(t, p256, Options{Trace: func(ex Exchange) { got = append(got, ex) }})
	send(t, c, selectPIV)
	send(t, c, verifyRight)
	send(t, c, b("00 CB"))
	want := []Exchange{
		{INS: 0xA4, Lc: 11, Ne: 256, SW: smartcard.SWSuccess, Len: len(c.app.apt)},
		{INS: 0x20, Lc: 8, SW: smartcard.SWSuccess},
		{INS: 0xCB, SW: smartcard.SWWrongLength},
	}
	if !slices.Equal(got, want) {
		t.Errorf("traced %+v\nwant %+v", got, want)
	}
}

func TestTransactions(t *testing.T) {
	t.Run("one transaction at a time", func(t *testing.T) {
		c := newTestCard(t, p256, Options{})
		if err := c.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		began := make(chan error, 1)
		go func() { began <- c.BeginTransaction() }()
		select {
		case err := <-began:
			t.Fatalf("second BeginTransaction returned %v while the first is open", err)
		case <-time.After(50 * time.Millisecond):
		}
		mustSW(t, c, selectPIV, smartcard.SWSuccess) // Transmit is not blocked
		if err := c.EndTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := <-began; err != nil {
			t.Fatal(err)
		}
		if err := c.EndTransaction(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("end without begin", func(t *testing.T) {
		c := newTestCard(t, p256, Options{})
		if err := c.EndTransaction(); err == nil {
			t.Fatal("EndTransaction without BeginTransaction succeeded")
		}
	})
	t.Run("removal wakes a waiter", func(t *testing.T) {
		c := newTestCard(t, p256, Options{})
		if err := c.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		began := make(chan error, 1)
		go func() { began <- c.BeginTransaction() }()
		time.Sleep(10 * time.Millisecond)
		c.Remove()
		if err := <-began; !errors.Is(err, smartcard.ErrCardRemoved) {
			t.Fatalf("waiting BeginTransaction: %v, want ErrCardRemoved", err)
		}
		if err := c.EndTransaction(); err != nil {
			t.Fatalf("EndTransaction on a removed card: %v", err)
		}
	})
}

// Each goroutine reads the certificate in a transaction, through 61xx and GET
// RESPONSE; transactions keep the sequences apart. Run with -race.
func TestConcurrentUse(t *testing.T) {
	c := newTestCard(t, rsa2048, Options{})
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	whole := mustSW(t, c, getCertExtended, smartcard.SWSuccess)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if err := c.BeginTransaction(); err != nil {
					errs <- err
					return
				}
				got, err := readCert(c)
				c.EndTransaction()
				if err != nil || !bytes.Equal(got, whole) {
					errs <- fmt.Errorf("read %d bytes: %v", len(got), err)
					return
				}
			}
		})
	}
	// State queries need no transaction.
	wg.Go(func() {
		for range 200 {
			c.Present()
			c.ATR()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// readCert is readAll(getCert) for goroutines other than the test's own.
func readCert(c *Card) ([]byte, error) {
	var out []byte
	apdu := getCert
	for {
		resp, err := c.Transmit(apdu)
		if err != nil {
			return out, err
		}
		data, sw, err := smartcard.ParseResponse(resp)
		if err != nil {
			return out, err
		}
		out = append(out, data...)
		switch {
		case sw == smartcard.SWSuccess:
			return out, nil
		case sw.SW1() != 0x61:
			return out, fmt.Errorf("SW %s", sw)
		}
		apdu = []byte{0x00, insGetResponse, 0x00, 0x00, sw.SW2()}
	}
}
