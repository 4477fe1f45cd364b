package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/records"
)

// Config is how to run a sandbox.
type Config struct {
	Addr         string        // host:port to listen on; port 0 picks one
	PlainHTTP    bool          // serve HTTP, not HTTPS: loopback addresses only
	DBPath       string        // the audit database; "" keeps it in memory
	AuditKey     string        // the audit chain's key file; "" = DBPath + ".key" (audit.WithKeyFile)
	TokenTTL     time.Duration // lifetime of access tokens; 0 = 15 min
	RateLimit    float64       // requests per second per user and role, however many tokens they hold; 0 = DefaultRateLimit, the NHS platform's
	EnableFaults bool          // honour FaultHeader
	Log          *slog.Logger  // nil = discard
	Now          func() time.Time
	// AddressRateLimit is requests per second per client address for requests
	// without a live token (sign-in above all); 0 = DefaultAddressRateLimit,
	// or RateLimit if that is higher, so that a test which lifts the
	// platform's limit is not held back by this one.
	AddressRateLimit float64
	// ChallengesPerAddress is how many unused sign-in challenges one client
	// address may hold; 0 = identity.DefaultChallengesPerAddress.
	ChallengesPerAddress int
	// AppJWKS is a JWKS of public keys to trust for the sandbox's application
	// (assets.SandboxApp) besides its own: a test's, or an administrator's
	// trying their registration (scr-sandbox serve --app-jwks). Each key
	// needs a kid of its own.
	AppJWKS []byte
}

// Server is a running sandbox.
type Server struct {
	url   string
	caPEM []byte
	store *audit.Store
	ids   *identity.Service
	http  *http.Server
	ln    net.Listener
	done  chan error

	stopOnce sync.Once
	stopErr  error
}

// Start listens on cfg.Addr and serves until Shutdown.
func Start(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = discardLog()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen address %q: %w", cfg.Addr, err)
	}
	if cfg.PlainHTTP && !isLoopback(host) {
		return nil, fmt.Errorf("sandbox: plain HTTP is allowed on loopback addresses only, not %q", host)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Server{ln: ln, done: make(chan error, 1)}
	scheme := "https"
	var tlsCfg *tls.Config
	if cfg.PlainHTTP {
		scheme = "http"
	} else {
		names := []string{"127.0.0.1", "::1", "localhost"}
		if host != "" && !isLoopback(host) {
			names = append(names, host)
		}
		if tlsCfg, s.caPEM, err = serverTLS(names, cfg.Now()); err != nil {
			ln.Close()
			return nil, err
		}
	}
	s.url = scheme + "://" + urlHost(ln.Addr().(*net.TCPAddr), host)

	handler, store, ids, err := build(cfg, s.url)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.store, s.ids = store, ids
	s.http = &http.Server{
		Handler:           handler,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	go func() {
		var err error
		if tlsCfg != nil {
			err = s.http.ServeTLS(ln, "", "")
		} else {
			err = s.http.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// urlHost is the host:port clients should use: the listening address, with an
// unspecified address replaced by loopback.
func urlHost(addr *net.TCPAddr, host string) string {
	h := host
	if h == "" || net.ParseIP(h).IsUnspecified() {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, fmt.Sprint(addr.Port))
}

// build assembles the three APIs behind one handler.
func build(cfg Config, baseURL string) (http.Handler, *audit.Store, *identity.Service, error) {
	store, err := audit.Open(cfg.DBPath, audit.WithKeyFile(cfg.AuditKey))
	if err != nil {
		return nil, nil, nil, err
	}
	fail := func(err error) (http.Handler, *audit.Store, *identity.Service, error) {
		store.Close()
		return nil, nil, nil, err
	}
	idCfg, err := identity.SandboxConfig(baseURL, store)
	if err != nil {
		return fail(err)
	}
	idCfg.TokenTTL, idCfg.Now, idCfg.ChallengesPerAddress = cfg.TokenTTL, cfg.Now, cfg.ChallengesPerAddress
	// The NHS's own sign-in (API.md section 1b): the registered application,
	// CIS2's stand-in, and the platform's exchange of its ID tokens.
	app, err := apps.Sandbox()
	if err != nil {
		return fail(err)
	}
	if len(cfg.AppJWKS) > 0 {
		if err := app.AddJWKS(cfg.AppJWKS); err != nil {
			return fail(fmt.Errorf("sandbox: application keys: %w", err))
		}
	}
	registry, err := apps.NewRegistry(app)
	if err != nil {
		return fail(err)
	}
	keys := cis2.NewKeys(baseURL + cis2.PathPrefix)
	idCfg.Apps, idCfg.IDTokens = registry, keys
	ids, err := identity.New(idCfg)
	if err != nil {
		return fail(err)
	}
	provider, err := cis2.New(cis2.Config{
		Keys: keys, Cards: ids, Users: idCfg.Users, Apps: registry, TokenTTL: cfg.TokenTTL, Now: cfg.Now,
	})
	if err != nil {
		return fail(err)
	}
	recs, err := records.New(records.Config{Patients: assets.Patients, Audit: store, Now: cfg.Now})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	ids.Routes(mux)
	provider.Routes(mux)
	recs.Routes(mux, ids.RequireRole)
	audit.NewHandlers(store, cfg.Now).Routes(mux, ids.RequireRole)
	mux.Handle("/", http.HandlerFunc(notFound))

	perUser, perAddr := cfg.RateLimit, cfg.AddressRateLimit
	if perUser == 0 {
		perUser = DefaultRateLimit
	}
	if perAddr == 0 {
		perAddr = max(DefaultAddressRateLimit, perUser)
	}
	var h http.Handler = mux
	h = newRateLimiter(perUser, perAddr, ids.RateKey, cfg.Now).wrap(h)
	if cfg.EnableFaults {
		h = injectFaults(h)
	}
	h = mirrorIDs(h)
	h = logRequests(cfg.Log, h)
	h = recoverPanics(cfg.Log, h)
	return h, store, ids, nil
}

// notFound answers unknown paths in the API's own error format, never HTML.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotFound, "not-found", "invalid_request", "no such endpoint: "+r.Method+" "+r.URL.Path)
}

// URL is the server's base URL, e.g. https://127.0.0.1:8443.
func (s *Server) URL() string { return s.url }

// CIS2Issuer is the issuer identifier of the server's CIS2 stand-in (API.md
// section 1b): URL and cis2.PathPrefix.
func (s *Server) CIS2Issuer() string { return s.url + cis2.PathPrefix }

// CACertPEM is the certificate of the local TLS CA that signed the server's
// certificate: what a client must trust. Nil when serving plain HTTP.
func (s *Server) CACertPEM() []byte { return bytes.Clone(s.caPEM) }

// Audit is the audit trail, for tests and `scr-sandbox audit`.
func (s *Server) Audit() *audit.Store { return s.store }

// Shutdown stops accepting requests, lets those in flight finish (until ctx
// ends, when the connections left are closed), writes the summary rows of
// refusals counted but not yet recorded, then closes the audit store: nothing
// recorded is lost. Calls after the first return the first one's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		err := s.http.Shutdown(ctx)
		if err != nil {
			// Out of time: a connection a client dialled but never used
			// counts as active for 5 s. Close them rather than wait.
			_ = s.http.Close()
		}
		if serveErr := <-s.done; err == nil {
			err = serveErr
		}
		// Not ctx, which may have run out: these rows are owed.
		if ferr := s.ids.Flush(context.WithoutCancel(ctx)); err == nil {
			err = ferr
		}
		if cerr := s.store.Close(); err == nil {
			err = cerr
		}
		s.stopErr = err
	})
	return s.stopErr
}
