package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr bool
	}{
		{"defaults", nil, config{addr: "127.0.0.1:35963"}, false},
		{"all flags", []string{"--host", "::1", "--port", "35964", "--identity", "/id", "--compress-cert", "--removed", "--remove-after", "7", "--verbose"},
			config{addr: "[::1]:35964", identity: "/id", removed: true, verbose: true, opts: virtual.Options{CompressCert: true, RemoveAfter: 7}}, false},
		{"single dash", []string{"-port=1"}, config{addr: "127.0.0.1:1"}, false},
		{"port 0", []string{"--port", "0"}, config{}, true},
		{"port too big", []string{"--port", "65536"}, config{}, true},
		{"negative remove-after", []string{"--remove-after", "-1"}, config{}, true},
		{"unknown flag", []string{"--pin", "123456"}, config{}, true},
		{"argument", []string{"now"}, config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %t", err, tt.wantErr)
			}
			if err == nil && (got.addr != tt.want.addr || got.identity != tt.want.identity || got.removed != tt.want.removed ||
				got.verbose != tt.want.verbose || got.opts.CompressCert != tt.want.opts.CompressCert || got.opts.RemoveAfter != tt.want.opts.RemoveAfter) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		say  string // in stderr
	}{
		{"help", []string{"--help"}, 0, "sandbox only"},
		{"bad flag", []string{"--bogus"}, 2, "bogus"},
		{"missing identity", []string{"--identity", "/nonexistent/id"}, 1, "/nonexistent/id/key.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			if !strings.Contains(stderr.String(), tt.say) {
				t.Errorf("stderr does not say %q:\n%s", tt.say, stderr.String())
			}
		})
	}
}

// syncBuffer is a log destination the test can read while goroutines write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// vpcd is a fake vpcd: a listener handing over the connections scr-vcard makes.
type vpcd struct {
	t     *testing.T
	ln    net.Listener
	conns chan net.Conn
}

func listenVPCD(t *testing.T, addr string) *vpcd {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	v := &vpcd{t: t, ln: ln, conns: make(chan net.Conn, 4)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			v.conns <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return v
}

func (v *vpcd) port() string {
	_, p, _ := net.SplitHostPort(v.ln.Addr().String())
	return p
}

// accept waits for scr-vcard to connect, i.e. insert its card.
func (v *vpcd) accept() *peer {
	v.t.Helper()
	select {
	case c := <-v.conns:
		v.t.Cleanup(func() { c.Close() })
		return &peer{t: v.t, conn: c}
	case <-time.After(5 * time.Second):
		v.t.Fatal("scr-vcard did not connect")
		return nil
	}
}

// quiet checks that scr-vcard does not connect for a while.
func (v *vpcd) quiet() {
	v.t.Helper()
	select {
	case c := <-v.conns:
		c.Close()
		v.t.Fatal("scr-vcard connected while its card should be out")
	case <-time.After(300 * time.Millisecond):
	}
}

// peer is vpcd's end of one connection.
type peer struct {
	t    *testing.T
	conn net.Conn
}

func (p *peer) transmit(hexAPDU string) smartcard.StatusWord {
	p.t.Helper()
	resp, err := p.exchange(hexAPDU)
	if err != nil {
		p.t.Fatalf("%s: %v", hexAPDU, err)
	}
	_, sw, err := smartcard.ParseResponse(resp)
	if err != nil {
		p.t.Fatal(err)
	}
	return sw
}

func (p *peer) exchange(hexAPDU string) ([]byte, error) {
	apdu, err := hex.DecodeString(strings.ReplaceAll(hexAPDU, " ", ""))
	if err != nil {
		p.t.Fatal(err)
	}
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(apdu)))
	if _, err := p.conn.Write(append(frame, apdu...)); err != nil {
		return nil, err
	}
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(p.conn, hdr[:]); err != nil {
		return nil, err
	}
	resp := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err = io.ReadFull(p.conn, resp)
	return resp, err
}

// closed waits until scr-vcard closes the connection: its card is out.
func (p *peer) closed() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := p.conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		p.t.Fatalf("read %d bytes, %v; want EOF", n, err)
	}
}

const (
	selectPIV    = "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"
	verifyDemo   = "00 20 00 80 08 31 32 33 34 35 36 FF FF"
	verifyWrong  = "00 20 00 80 08 39 39 39 39 39 39 FF FF"
	verifyStatus = "00 20 00 80"
)

func TestRunServesDemoCard(t *testing.T) {
	v := listenVPCD(t, "127.0.0.1:0")
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, []string{"--port", v.port(), "--verbose"}, &stderr) }()

	p := v.accept()
	if sw := p.transmit(selectPIV); sw != smartcard.SWSuccess {
		t.Fatalf("SELECT: %s", sw)
	}
	if sw := p.transmit(verifyDemo); sw != smartcard.SWSuccess {
		t.Fatalf("VERIFY with the demo PIN: %s", sw)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d after cancel", code)
	}
	p.closed()

	log := stderr.String()
	for _, want := range []string{"demo identity (sandbox only)", "inserted", "APDU INS A4 Lc 9 Le 256 -> 9000", "APDU INS 20 Lc 8 Le 0 -> 9000", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{"123456", "313233343536", "31 32 33"} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows the PIN (%q):\n%s", secret, log)
		}
	}
}

// startRunner runs the loop of scr-vcard against addr; it returns the command
// channel, the log and a function that stops it.
func startRunner(t *testing.T, addr string, opts virtual.Options, inserted bool) (chan<- command, *syncBuffer) {
	t.Helper()
	id, err := virtual.DemoIdentity()
	if err != nil {
		t.Fatal(err)
	}
	card, err := virtual.New(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	cmds := make(chan command)
	logBuf := &syncBuffer{}
	r := &runner{addr: addr, card: card, log: log.New(logBuf, "", 0), cmds: cmds, removeAfter: opts.RemoveAfter}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.loop(ctx, inserted)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the loop did not stop")
		}
	})
	return cmds, logBuf
}

func TestRunnerInsertRemove(t *testing.T) {
	v := listenVPCD(t, "127.0.0.1:0")
	cmds, logBuf := startRunner(t, v.ln.Addr().String(), virtual.Options{}, true)

	p := v.accept()
	p.transmit(selectPIV)
	if sw := p.transmit(verifyWrong); sw != 0x63C2 {
		t.Fatalf("wrong PIN: %s", sw)
	}
	cmds <- insertCard // already in: nothing happens
	p.transmit(selectPIV)

	cmds <- removeCard
	p.closed()
	v.quiet()
	cmds <- removeCard // already out: nothing happens

	cmds <- insertCard
	p = v.accept()
	p.transmit(selectPIV)
	if sw := p.transmit(verifyStatus); sw != 0x63C2 {
		t.Fatalf("PIN status after reinsertion: %s, want the counter kept at 63C2", sw)
	}

	p.conn.Close() // pcscd restarted: scr-vcard dials again
	p = v.accept()
	if sw := p.transmit(selectPIV); sw != smartcard.SWSuccess {
		t.Fatalf("SELECT after redial: %s", sw)
	}
	for _, want := range []string{"removed", "inserted", "vpcd closed the connection"} {
		if !strings.Contains(logBuf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logBuf)
		}
	}
}

func TestRunnerStartsRemoved(t *testing.T) {
	v := listenVPCD(t, "127.0.0.1:0")
	cmds, _ := startRunner(t, v.ln.Addr().String(), virtual.Options{}, false)
	v.quiet()
	cmds <- insertCard
	v.accept().transmit(selectPIV)
}

func TestRunnerRemoveAfter(t *testing.T) {
	v := listenVPCD(t, "127.0.0.1:0")
	cmds, logBuf := startRunner(t, v.ln.Addr().String(), virtual.Options{RemoveAfter: 2}, true)

	p := v.accept()
	p.transmit(selectPIV)
	if resp, err := p.exchange(verifyDemo); err == nil {
		t.Fatalf("the 2nd APDU was answered (% X); want the card pulled first", resp)
	}
	v.quiet() // it stays out
	cmds <- insertCard
	p = v.accept()
	for range 3 { // the drill fires once
		p.transmit(selectPIV)
	}
	if !strings.Contains(logBuf.String(), "removed on APDU 2") {
		t.Errorf("log does not report the pull:\n%s", logBuf)
	}
}

func TestRunnerWaitsForVPCD(t *testing.T) {
	// Find a free port, then leave it closed while scr-vcard starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmds, logBuf := startRunner(t, addr, virtual.Options{}, true)
	time.Sleep(500 * time.Millisecond) // several refused dials

	cmds <- removeCard // stops dialling
	v := listenVPCD(t, addr)
	v.quiet()
	cmds <- insertCard
	v.accept().transmit(selectPIV)

	if n := strings.Count(logBuf.String(), "waiting for vpcd"); n != 1 {
		t.Errorf("logged %d times that vpcd is not up, want once:\n%s", n, logBuf)
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"PIN 123456", "sandbox only", "SIGUSR1", "-remove-after"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
	if !strings.Contains(out.String(), strconv.Itoa(virtual.DefaultVPCDPort)) {
		t.Error("usage lacks the default port")
	}
}

// A removal right after the connection is made must not be lost to the start
// of serving.
func TestRunnerQuickRemove(t *testing.T) {
	v := listenVPCD(t, "127.0.0.1:0")
	cmds, _ := startRunner(t, v.ln.Addr().String(), virtual.Options{}, false)
	for range 20 {
		cmds <- insertCard
		p := v.accept()
		cmds <- removeCard
		p.closed()
	}
	v.quiet()
}
