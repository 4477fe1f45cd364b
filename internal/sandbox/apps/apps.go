// Package apps is the sandbox's register of applications, as NHS England keeps
// one for the API platform and CIS2: each application has a CIS2 client_id, an
// API key for the platform, and the public keys (a JWKS) that verify the client
// assertions it signs with its private key. The sandbox's own application
// (assets.SandboxApp) is registered by default; tests add keys of their own.
//
// It also keeps the jti of every client assertion accepted, so that none is
// accepted twice (JTICache).
package apps

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/scrterm/scr/assets"
)

// MinKeyBits is the smallest RSA key accepted for a client assertion.
const MinKeyBits = 2048

// App is one registered application. Its keys are set up before it is shared
// (AddJWKS), then only read, so it is safe for concurrent use from then on.
type App struct {
	Name     string
	ClientID string // its CIS2 client_id (the iss and sub of its CIS2 client assertions)
	APIKey   string // its API key on the platform (the iss and sub of its token-exchange client assertions)
	keys     map[string]*rsa.PublicKey
}

// Key returns the application's public key with the given kid.
func (a *App) Key(kid string) (*rsa.PublicKey, bool) {
	k, ok := a.keys[kid]
	return k, ok
}

// KIDs lists the kids of the application's keys, sorted.
func (a *App) KIDs() []string {
	ids := make([]string, 0, len(a.keys))
	for id := range a.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// AddJWKS registers the public keys of a JWKS (RFC 7517 section 5) for the
// application. Every key must be an RSA public key of at least MinKeyBits,
// for signing, with a kid of its own: a private key, a kid already registered
// or any other kind of key refuses the whole set.
func (a *App) AddJWKS(data []byte) error {
	var set jose.JSONWebKeySet
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&set); err != nil {
		return fmt.Errorf("apps: the JWKS does not parse: %w", err)
	}
	if len(set.Keys) == 0 {
		return errors.New("apps: the JWKS holds no keys")
	}
	add := make(map[string]*rsa.PublicKey, len(set.Keys))
	for i, k := range set.Keys {
		switch {
		case strings.TrimSpace(k.KeyID) == "":
			return fmt.Errorf("apps: JWKS key %d has no kid", i)
		case !k.IsPublic():
			return fmt.Errorf("apps: JWKS key %q is a private key: register the public key only", k.KeyID)
		case k.Use != "" && k.Use != "sig":
			return fmt.Errorf("apps: JWKS key %q is for %q, not for signatures", k.KeyID, k.Use)
		}
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("apps: JWKS key %q is a %T, not an RSA public key", k.KeyID, k.Key)
		}
		if pub.N.BitLen() < MinKeyBits {
			return fmt.Errorf("apps: JWKS key %q is RSA-%d; at least %d bits are required", k.KeyID, pub.N.BitLen(), MinKeyBits)
		}
		if _, dup := a.keys[k.KeyID]; dup {
			return fmt.Errorf("apps: kid %q is already registered for %s", k.KeyID, a.Name)
		}
		if _, dup := add[k.KeyID]; dup {
			return fmt.Errorf("apps: kid %q appears twice in the JWKS", k.KeyID)
		}
		add[k.KeyID] = pub
	}
	if a.keys == nil {
		a.keys = make(map[string]*rsa.PublicKey, len(add))
	}
	for id, k := range add {
		a.keys[id] = k
	}
	return nil
}

// Registry is the applications the sandbox knows, by CIS2 client_id and by API
// key. It is read-only once made, so safe for concurrent use.
type Registry struct {
	byClientID map[string]*App
	byAPIKey   map[string]*App
}

// NewRegistry registers apps. Each needs a client_id, an API key and a key,
// and no two may share a client_id or an API key.
func NewRegistry(list ...*App) (*Registry, error) {
	r := &Registry{byClientID: map[string]*App{}, byAPIKey: map[string]*App{}}
	for _, a := range list {
		switch {
		case a.ClientID == "" || a.APIKey == "":
			return nil, fmt.Errorf("apps: %s needs a client_id and an API key", a.Name)
		case len(a.keys) == 0:
			return nil, fmt.Errorf("apps: %s has no public key", a.Name)
		}
		if _, dup := r.byClientID[a.ClientID]; dup {
			return nil, fmt.Errorf("apps: client_id %q is registered twice", a.ClientID)
		}
		if _, dup := r.byAPIKey[a.APIKey]; dup {
			return nil, fmt.Errorf("apps: API key %q is registered twice", a.APIKey)
		}
		r.byClientID[a.ClientID], r.byAPIKey[a.APIKey] = a, a
	}
	return r, nil
}

// ByClientID returns the application with the CIS2 client_id id.
func (r *Registry) ByClientID(id string) (*App, bool) {
	if r == nil {
		return nil, false
	}
	a, ok := r.byClientID[id]
	return a, ok
}

// ByAPIKey returns the application with the API key key.
func (r *Registry) ByAPIKey(key string) (*App, bool) {
	if r == nil {
		return nil, false
	}
	a, ok := r.byAPIKey[key]
	return a, ok
}

// Credentials are what the sandbox application's client holds: its IDs, the
// kid of its key and the private key itself (PEM). Sandbox only.
type Credentials struct {
	Name     string `json:"name"`
	ClientID string `json:"client_id"`
	APIKey   string `json:"api_key"`
	KID      string `json:"kid"`
	KeyPEM   []byte `json:"-"`
}

// SandboxCredentials reads the sandbox application (assets.SandboxApp): what
// scr --demo and the tests sign in with. Its private key is public; nothing
// but the sandbox trusts it.
func SandboxCredentials() (Credentials, error) {
	var c Credentials
	data, err := fs.ReadFile(assets.SandboxApp, "app.json")
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("apps: app.json: %w", err)
	}
	if c.KeyPEM, err = fs.ReadFile(assets.SandboxApp, "key.pem"); err != nil {
		return c, err
	}
	return c, nil
}

// Sandbox returns the sandbox application as the sandbox registers it: its IDs
// and the public keys of jwks.json.
func Sandbox() (*App, error) {
	c, err := SandboxCredentials()
	if err != nil {
		return nil, err
	}
	jwks, err := fs.ReadFile(assets.SandboxApp, "jwks.json")
	if err != nil {
		return nil, err
	}
	a := &App{Name: c.Name, ClientID: c.ClientID, APIKey: c.APIKey}
	if err := a.AddJWKS(jwks); err != nil {
		return nil, err
	}
	if _, ok := a.Key(c.KID); !ok {
		return nil, fmt.Errorf("apps: the sandbox application's kid %q is not in its jwks.json", c.KID)
	}
	return a, nil
}
