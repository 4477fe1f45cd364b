package client

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// heldRoots is a system store that loads only when released: its pool
// trusts the certificate of srv.
func heldRoots(t *testing.T, srv *httptest.Server) (load func() (*x509.CertPool, error), release func()) {
	held := make(chan struct{})
	release = sync.OnceFunc(func() { close(held) })
	t.Cleanup(release)
	return func() (*x509.CertPool, error) {
		<-held
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		return pool, nil
	}, release
}

func jsonServer(t *testing.T) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNewDoesNotWaitForRoots: New returns while the system roots are still
// loading; the first request waits for them, and then trusts them.
func TestNewDoesNotWaitForRoots(t *testing.T) {
	srv := jsonServer(t)
	load, release := heldRoots(t, srv)
	made := make(chan *Client, 1)
	go func() {
		c, err := newClient(Config{Server: srv.URL}, load)
		if err != nil {
			t.Error(err)
		}
		made <- c
	}()
	var c *Client
	select {
	case c = <-made:
	case <-time.After(5 * time.Second):
		t.Fatal("New waited for the system roots")
	}
	if c == nil {
		return
	}
	t.Cleanup(c.rc.GetClient().CloseIdleConnections)

	done := make(chan error, 1)
	go func() {
		_, err := c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/x"})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a request was answered before the roots were loaded: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("with the roots loaded: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request still waits with the roots loaded")
	}
}

// TestRootsLoadAfterTheFirstFrame: with no request, the system roots are
// parsed rootsDelay after New, not at once, where the parse would take from
// the viewer's first frame; they are parsed then all the same.
func TestRootsLoadAfterTheFirstFrame(t *testing.T) {
	srv := jsonServer(t)
	loaded := make(chan time.Time, 1)
	made := time.Now()
	if _, err := newClient(Config{Server: srv.URL}, func() (*x509.CertPool, error) {
		loaded <- time.Now()
		return x509.NewCertPool(), nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-loaded:
		if at.Sub(made) < rootsDelay {
			t.Errorf("the roots were parsed %v after New, before rootsDelay (%v)", at.Sub(made), rootsDelay)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the roots were never parsed")
	}
}

// TestRootsWaitBounded: waiting for the roots is part of the attempt: the
// caller's context and the request timeout end it.
func TestRootsWaitBounded(t *testing.T) {
	srv := jsonServer(t)
	load, _ := heldRoots(t, srv)
	c, err := newClient(Config{Server: srv.URL, RequestTimeout: 50 * time.Millisecond}, load)
	if err != nil {
		t.Fatal(err)
	}
	var te *TimeoutError
	if _, err := c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/x"}); !errors.As(err, &te) {
		t.Errorf("%T %v, want *TimeoutError", err, err)
	}

	c, err = newClient(Config{Server: srv.URL}, load)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.send(ctx, apiRequest{method: http.MethodGet, path: "/x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%T %v, want the context's deadline", err, err)
	}
}

// BenchmarkNew is what building a client costs the viewer's start (cmd/scr
// builds two before its first frame), and, as NewAndRoots, what it cost when
// New loaded the system roots itself: the time until the roots are ready.
func BenchmarkNew(b *testing.B) {
	ready := func(c *Client) {
		w := c.rc.GetClient().Transport.(*wire)
		w.ask() // as a request would
		<-w.ready
	}
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			c, err := New(Config{Server: "https://int.api.service.nhs.uk"})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			ready(c) // not the next New's competition
			b.StartTimer()
		}
	})
	b.Run("NewAndRoots", func(b *testing.B) {
		for b.Loop() {
			c, err := New(Config{Server: "https://int.api.service.nhs.uk"})
			if err != nil {
				b.Fatal(err)
			}
			ready(c)
		}
	})
}

// TestOnlyGivenCAs: a client told to trust only the CAs it is given (the
// demo's, for its sandbox) has exactly those as its roots, and one given
// none is refused.
func TestOnlyGivenCAs(t *testing.T) {
	srv := jsonServer(t)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := New(Config{Server: srv.URL, CAPEM: caPEM, OnlyGivenCAs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.rc.GetClient().CloseIdleConnections)
	if _, err := c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/x"}); err != nil {
		t.Fatalf("the given CA's server: %v", err)
	}
	want := x509.NewCertPool()
	want.AddCert(srv.Certificate())
	if got := c.rc.GetClient().Transport.(*wire).base.TLSClientConfig.RootCAs; !got.Equal(want) {
		t.Error("the roots are more than the CA given")
	}
	if _, err := New(Config{Server: srv.URL, OnlyGivenCAs: true}); err == nil {
		t.Error("a client that trusts no server was made")
	}
}
