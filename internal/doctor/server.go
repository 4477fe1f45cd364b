package doctor

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/safetext"
)

// probeTimeout bounds the server probe: connection, TLS and answer.
const probeTimeout = 10 * time.Second

// HTTPServer is the API server at a URL, trusted as the viewer trusts it: the
// system's CAs and those in CAFile.
type HTTPServer struct {
	url    string
	client *client.Client
	http   *http.Client
}

// NewServer checks the server URL and CA file as the viewer does, and makes
// no request.
func NewServer(serverURL, caFile string) (*HTTPServer, error) {
	return newServer(client.Config{Server: serverURL, CAFile: caFile})
}

// NewServerCAPEM is NewServer trusting only the CA certificates in caPEM,
// held in memory, such as scr doctor --demo's in-process sandbox's.
func NewServerCAPEM(serverURL string, caPEM []byte) (*HTTPServer, error) {
	return newServer(client.Config{Server: serverURL, CAPEM: caPEM, OnlyGivenCAs: true})
}

func newServer(cfg client.Config) (*HTTPServer, error) {
	c, err := client.New(cfg)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !cfg.OnlyGivenCAs {
		if system, err := x509.SystemCertPool(); err == nil && system != nil {
			roots = system
		}
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		roots.AppendCertsFromPEM(pem) // client.New has checked it holds one
	}
	roots.AppendCertsFromPEM(cfg.CAPEM)
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: probeTimeout}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: probeTimeout,
		DisableKeepAlives:   true,
	}
	hc := &http.Client{
		Transport: transport,
		Timeout:   probeTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &HTTPServer{url: c.Server(), client: c, http: hc}, nil
}

// URL is the server root.
func (s *HTTPServer) URL() string { return s.url }

// Probe asks for the server root: any HTTP answer will do, for it shows the
// connection, the TLS handshake and the server's Date.
func (s *HTTPServer) Probe(ctx context.Context) (Probe, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/", nil)
	if err != nil {
		return Probe{}, err
	}
	req.Header.Set("User-Agent", "scr doctor")
	sent := time.Now()
	res, err := s.http.Do(req)
	if err != nil {
		return Probe{}, classify(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	got := time.Now()
	p := Probe{Received: sent.Add(got.Sub(sent) / 2)}
	if d, err := http.ParseTime(res.Header.Get("Date")); err == nil {
		p.Date = d
	}
	if cs := res.TLS; cs != nil {
		p.TLS, p.Version = true, tls.VersionName(cs.Version)
		if len(cs.PeerCertificates) > 0 {
			leaf := cs.PeerCertificates[0]
			p.Subject, p.Issuer = safetext.Line(leaf.Subject.CommonName), nameOf(leaf.Issuer)
			if p.Subject == "" && len(leaf.DNSNames) > 0 {
				p.Subject = safetext.Line(leaf.DNSNames[0])
			}
			if p.Subject == "" && len(leaf.IPAddresses) > 0 {
				p.Subject = leaf.IPAddresses[0].String()
			}
		}
	}
	return p, nil
}

// classify turns a failed request into the client's typed errors, so that
// ui.Explain has the words for it.
func classify(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL, which the line says already
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
		ne       net.Error
	)
	switch {
	case errors.As(err, &unknown):
		return &client.TLSError{Reason: client.TLSUnknownAuthority, Err: err}
	case errors.As(err, &hostname):
		return &client.TLSError{Reason: client.TLSWrongName, Err: err}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return &client.TLSError{Reason: client.TLSExpired, Err: err}
	case errors.As(err, &record):
		return &client.TLSError{Reason: client.TLSNotTLS, Err: err}
	case errors.As(err, &verify):
		return &client.TLSError{Reason: client.TLSOther, Err: err}
	case errors.As(err, &ne) && ne.Timeout():
		return &client.TimeoutError{Method: http.MethodGet, Path: "/", After: probeTimeout, Err: err}
	}
	return &client.UnavailableError{Err: err}
}

// SignIn signs in with the card and reads the user's roles: /oauth2 only.
func (s *HTTPServer) SignIn(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) (*SignedIn, error) {
	sess, err := s.client.SignIn(ctx, signer, cert, uuid)
	if err != nil {
		return nil, err
	}
	return &SignedIn{Name: sess.UserName, UUID: sess.UserUUID, Roles: sess.Roles, SignOut: sess.SignOut}, nil
}

// DiscoverCIS2 reads CIS2's discovery document and JWKS for the application
// (client.Client.DiscoverCIS2), through this server's client: CIS2's own
// endpoints are trusted as the server is, and the platform's token endpoint
// is this server's.
func (s *HTTPServer) DiscoverCIS2(ctx context.Context, cfg client.CIS2Config) (CIS2Provider, error) {
	p, err := s.client.DiscoverCIS2(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return cis2Provider{p}, nil
}

// CheckCIS2Issuer reads CIS2's discovery document and JWKS for the issuer
// alone (client.Client.CheckCIS2Issuer), through this server's client, for
// the checks while the application is not wholly configured.
func (s *HTTPServer) CheckCIS2Issuer(ctx context.Context, issuer string) error {
	return s.client.CheckCIS2Issuer(ctx, issuer)
}

// cis2Provider is a *client.CIS2 as the checks use it.
type cis2Provider struct{ p *client.CIS2 }

func (c cis2Provider) CheckApplication(ctx context.Context) error { return c.p.CheckApplication(ctx) }

// SignIn signs in to CIS2 and reads the user's roles: CIS2's endpoints only,
// as no role is chosen.
func (c cis2Provider) SignIn(ctx context.Context, cardUUID string, open func(url string) error) (*SignedIn, error) {
	sess, err := c.p.SignIn(ctx, cardUUID, open)
	if err != nil {
		return nil, err
	}
	return &SignedIn{Name: sess.UserName, UUID: sess.UserUUID, Roles: sess.Roles, SignOut: sess.SignOut}, nil
}
