package sandbox

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultHeader asks a sandbox started with --enable-faults to misbehave on this
// request, for tests of the client's error handling. Its value is a
// comma-separated list of:
//
//	latency=DURATION   wait before answering (e.g. 800ms)
//	status=CODE        answer CODE with the API's error body instead
//	retry-after=SECS   with status: add Retry-After
//	reset              drop the TCP connection with a reset, answering nothing
//	truncate           send the headers and half the body, then close
//	malformed          send a body that is not valid JSON
const FaultHeader = "X-Sandbox-Fault"

type fault struct {
	latency    time.Duration
	status     int
	retryAfter int
	reset      bool
	truncate   bool
	malformed  bool
}

// maxFaultLatency bounds the latency a request may ask for.
const maxFaultLatency = 2 * time.Minute

func parseFault(v string) (fault, error) {
	var f fault
	for _, part := range strings.Split(v, ",") {
		name, arg, _ := strings.Cut(strings.TrimSpace(part), "=")
		var err error
		switch name {
		case "latency":
			f.latency, err = time.ParseDuration(arg)
			if err == nil && (f.latency < 0 || f.latency > maxFaultLatency) {
				err = fmt.Errorf("latency %v out of range", f.latency)
			}
		case "status":
			f.status, err = strconv.Atoi(arg)
			if err == nil && (f.status < 400 || f.status > 599) {
				err = fmt.Errorf("status %d is not an error", f.status)
			}
		case "retry-after":
			f.retryAfter, err = strconv.Atoi(arg)
		case "reset":
			f.reset = true
		case "truncate":
			f.truncate = true
		case "malformed":
			f.malformed = true
		default:
			err = fmt.Errorf("unknown fault %q", name)
		}
		if err != nil {
			return fault{}, err
		}
	}
	return f, nil
}

// injectFaults applies FaultHeader. It is installed only under --enable-faults.
func injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get(FaultHeader)
		if v == "" {
			next.ServeHTTP(w, r)
			return
		}
		f, err := parseFault(v)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "invalid", "invalid_request", FaultHeader+": "+err.Error())
			return
		}
		if f.latency > 0 {
			select {
			case <-time.After(f.latency):
			case <-r.Context().Done():
				// The client gave up: abort rather than let net/http
				// answer an empty 200 for a handler that wrote nothing.
				panic(http.ErrAbortHandler)
			}
		}
		switch {
		case f.reset:
			resetConnection(w)
			return
		case f.status != 0:
			if f.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
			}
			code, oauth := "transient", "temporarily_unavailable"
			if f.status < 500 {
				code, oauth = "invalid", "invalid_request"
			}
			writeError(w, r, f.status, code, oauth, "fault injected: status "+strconv.Itoa(f.status))
			return
		case f.truncate || f.malformed:
			rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			for k, vs := range rec.header {
				w.Header()[k] = vs
			}
			if f.malformed {
				body = append(body[:len(body)/2:len(body)/2], []byte(`"}]`)...)
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.WriteHeader(rec.status)
				_, _ = w.Write(body)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.status)
			_, _ = w.Write(body[:len(body)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler) // the server closes the connection mid-body
		}
		next.ServeHTTP(w, r)
	})
}

// resetConnection closes the client's connection with a TCP reset.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close sends RST rather than FIN
	} else if tlsConn, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tc, ok := tlsConn.NetConn().(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// bufferedResponse collects a handler's answer so a fault can mangle it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
