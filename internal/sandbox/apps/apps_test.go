package apps

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func jwks(t *testing.T, keys ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSandboxApplication(t *testing.T) {
	a, err := Sandbox()
	if err != nil {
		t.Fatal(err)
	}
	c, err := SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	if a.ClientID != c.ClientID || a.APIKey != c.APIKey || c.ClientID == "" || c.APIKey == "" || len(c.KeyPEM) == 0 {
		t.Fatalf("app %+v, credentials %+v", a, c)
	}
	if _, ok := a.Key(c.KID); !ok {
		t.Fatalf("kid %s is not the sandbox application's", c.KID)
	}
	r, err := NewRegistry(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.ByClientID(c.ClientID); !ok || got != a {
		t.Error("not found by client_id")
	}
	if got, ok := r.ByAPIKey(c.APIKey); !ok || got != a {
		t.Error("not found by API key")
	}
	if _, ok := r.ByAPIKey(c.ClientID); ok {
		t.Error("a client_id found as an API key")
	}
	var none *Registry
	if _, ok := none.ByClientID(c.ClientID); ok {
		t.Error("a nil registry knows an application")
	}
}

func TestAddJWKS(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "mine-1", Use: "sig"}
	for name, tt := range map[string]struct {
		data []byte
		want string
	}{
		"not JSON":        {[]byte("{"), "does not parse"},
		"no keys":         {jwks(t), "holds no keys"},
		"no kid":          {jwks(t, jose.JSONWebKey{Key: &rk.PublicKey}), "has no kid"},
		"a private key":   {jwks(t, jose.JSONWebKey{Key: rk, KeyID: "p"}), "is a private key"},
		"for encryption":  {jwks(t, jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "e", Use: "enc"}), "not for signatures"},
		"ECDSA":           {jwks(t, jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ec"}), "not an RSA public key"},
		"RSA-1024":        {jwks(t, jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small"}), "at least 2048"},
		"a kid twice":     {jwks(t, good, good), "appears twice"},
		"the app's kid":   {jwks(t, jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "scr-sandbox-app-1"}), "already registered"},
		"another ok, one": {jwks(t, good, jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small"}), "at least 2048"},
	} {
		a, err := Sandbox()
		if err != nil {
			t.Fatal(err)
		}
		before := len(a.KIDs())
		if err := a.AddJWKS(tt.data); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", name, err, tt.want)
		}
		if len(a.KIDs()) != before {
			t.Errorf("%s: a refused JWKS added keys", name)
		}
	}
	a, _ := Sandbox()
	if err := a.AddJWKS(jwks(t, good)); err != nil {
		t.Fatal(err)
	}
	if k, ok := a.Key("mine-1"); !ok || !k.Equal(&rk.PublicKey) {
		t.Fatal("the added key is not there")
	}
}

func TestNewRegistryRefusals(t *testing.T) {
	a, _ := Sandbox()
	b, _ := Sandbox()
	if _, err := NewRegistry(a, b); err == nil {
		t.Error("two applications with one client_id")
	}
	if _, err := NewRegistry(&App{Name: "keyless", ClientID: "c", APIKey: "k"}); err == nil {
		t.Error("an application without a key")
	}
	if _, err := NewRegistry(&App{Name: "nameless"}); err == nil {
		t.Error("an application without IDs")
	}
}

func TestJTICache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := NewJTICache(2)
	if err := c.Use("a", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if !c.Seen("a", now) || c.Seen("b", now) {
		t.Error("Seen")
	}
	if err := c.Use("a", now.Add(time.Minute), now); !errors.Is(err, ErrJTIUsed) {
		t.Errorf("a jti twice: %v", err)
	}
	if err := c.Use("b", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := c.Use("c", now.Add(time.Minute), now); !errors.Is(err, ErrJTIFull) {
		t.Errorf("past capacity: %v", err)
	}
	// Once their assertions have expired, jtis are forgotten and room made.
	later := now.Add(2 * time.Minute)
	if c.Seen("a", later) {
		t.Error("an expired jti is still seen")
	}
	if err := c.Use("c", later.Add(time.Minute), later); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}
