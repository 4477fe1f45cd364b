package client

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// resettingServer answers /warm, once four requests are in flight together
// (so that the client pools four connections), and resets the connection of
// every other request, recording the X-Request-ID of each it saw.
type resettingServer struct {
	*httptest.Server
	warm chan struct{} // closed once four /warm are in flight

	mu      sync.Mutex
	warming int
	seen    []string // X-Request-ID of each request reset
}

func newResettingServer(t *testing.T, useTLS bool) *resettingServer {
	s := &resettingServer{warm: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/warm" {
			s.mu.Lock()
			if s.warming++; s.warming == 4 {
				close(s.warm)
			}
			s.mu.Unlock()
			select {
			case <-s.warm:
			case <-time.After(5 * time.Second):
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
			return
		}
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Get("X-Request-ID"))
		s.mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		raw := conn
		if tc, ok := conn.(*tls.Conn); ok {
			raw = tc.NetConn()
		}
		if tcp, ok := raw.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST
		}
		_ = conn.Close()
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *resettingServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// TestResetGETReachesServerAtMostAttempts: with connections pooled, net/http
// would send a GET whose reused connection is reset again on each other
// pooled one, inside each of the client's attempts. The server sees it once
// an attempt, with the one X-Request-ID, and the client reports the reset.
func TestResetGETReachesServerAtMostAttempts(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := "http"
		if useTLS {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			srv := newResettingServer(t, useTLS)
			cfg := Config{Server: srv.URL, RequestTimeout: 5 * time.Second}
			if useTLS {
				cfg.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c.backoffBase, c.backoffMax = time.Millisecond, time.Millisecond
			t.Cleanup(c.rc.GetClient().CloseIdleConnections)

			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if _, err := c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/warm"}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}

			_, err = c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/reset"})
			var ue *UnavailableError
			if !errors.As(err, &ue) || ue.Err == nil {
				t.Fatalf("%T %v, want *UnavailableError for a reset", err, err)
			}
			attempts := c.rc.RetryCount + 1
			seen := srv.requests()
			// Each attempt reaches the server: the reset is retried, and
			// nothing more.
			if len(seen) != attempts {
				t.Fatalf("the server saw the GET %d times; the client makes %d attempts", len(seen), attempts)
			}
			for i, id := range seen {
				if id == "" || id != seen[0] {
					t.Fatalf("try %d carried X-Request-ID %q, the first %q", i+1, id, seen[0])
				}
			}
		})
	}
}

// TestResetPOSTNotRetried: a POST whose pooled connection is reset reaches
// the server once.
func TestResetPOSTNotRetried(t *testing.T) {
	srv := newResettingServer(t, false)
	c, err := New(Config{Server: srv.URL, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.rc.GetClient().CloseIdleConnections)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.send(context.Background(), apiRequest{method: http.MethodGet, path: "/warm"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_, err = c.send(context.Background(), apiRequest{method: http.MethodPost, path: "/reset", json: []byte(`{}`)})
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("%T %v, want *UnavailableError", err, err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Fatalf("the server saw the POST %d times, want 1", n)
	}
}
