package cis2

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// idTokenKeyBits is the size of the ID-token key. It is made in memory, when
// first needed, so that no ID token outlives the sandbox that signed it.
const idTokenKeyBits = 2048

// Keys is the provider's ID-token signing key, RS256. The key is made when
// something first needs it (the JWKS, an ID token, the platform's check of
// one), not when the sandbox starts: an RSA key takes tens of milliseconds of
// CPU, which neither scr --demo's first frame nor the many sandboxes the tests
// start should pay for a sign-in they may never make. It is never stored.
// Keys is the identity service's IDTokenIssuer, so that the API platform's
// token exchange verifies what this provider signs. It is safe for
// concurrent use.
type Keys struct {
	issuer string
	once   sync.Once
	key    *rsa.PrivateKey // set by once
	kid    string
	err    error
}

// NewKeys returns the ID-token key of the provider whose issuer identifier is
// issuer.
func NewKeys(issuer string) *Keys {
	return &Keys{issuer: strings.TrimSuffix(issuer, "/")}
}

// ready makes the key, the first time.
func (k *Keys) ready() error {
	k.once.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, idTokenKeyBits)
		if err != nil {
			k.err = fmt.Errorf("cis2: making the ID-token key: %w", err)
			return
		}
		// The kid is the key's RFC 7638 thumbprint: a new key, a new kid.
		tp, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
		if err != nil {
			k.err = fmt.Errorf("cis2: the ID-token key's thumbprint: %w", err)
			return
		}
		k.key, k.kid = key, base64.RawURLEncoding.EncodeToString(tp)
	})
	return k.err
}

// Issuer is the provider's issuer identifier, its ID tokens' iss.
func (k *Keys) Issuer() string { return k.issuer }

// IDTokenKey returns the public key with the given kid.
func (k *Keys) IDTokenKey(kid string) (*rsa.PublicKey, bool) {
	if k.ready() != nil || kid != k.kid {
		return nil, false
	}
	return &k.key.PublicKey, true
}

// jwks is the provider's JWKS document (RFC 7517 section 5).
func (k *Keys) jwks() (jose.JSONWebKeySet, error) {
	if err := k.ready(); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}, nil
}

// sign signs claims as an ID token: RS256, with typ JWT and the key's kid.
func (k *Keys) sign(claims jwt.Claims) (string, error) {
	if err := k.ready(); err != nil {
		return "", err
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = k.kid
	return tok.SignedString(k.key)
}
