package client

import (
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/scrterm/scr/internal/pki"
)

// MinSigningKeyBits is the smallest application key accepted. NHS England's
// instructions make RSA-4096 keys; 2048 bits is the least RS512 is sound with.
const MinSigningKeyBits = 2048

// ParseSigningKey reads the application's private key (the signing-key
// setting's file, whose safety the caller has checked: config.ReadSigningKey):
// PEM, PKCS #8 or PKCS #1, unencrypted, RSA of at least MinSigningKeyBits.
// Failures are *SigningKeyError.
func ParseSigningKey(pemData []byte) (crypto.Signer, error) {
	key, err := pki.ParseKey(pemData)
	if err != nil {
		return nil, &SigningKeyError{Problem: strings.TrimPrefix(err.Error(), "pki: ")}
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, &SigningKeyError{Problem: fmt.Sprintf("a %T, not an RSA key (client assertions are RS512)", key.Public())}
	}
	if bits := rk.N.BitLen(); bits < MinSigningKeyBits {
		return nil, &SigningKeyError{Problem: fmt.Sprintf("RSA-%d; at least %d bits are needed", bits, MinSigningKeyBits)}
	}
	return rk, nil
}

// PublicJWKS is the JWKS (RFC 7517 section 5) of key's public half under kid,
// for RS512 signatures: what the application registers with NHS England, and
// what scr-sandbox serve --app-jwks takes.
func PublicJWKS(key crypto.Signer, kid string) ([]byte, error) {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, &SigningKeyError{Problem: "not an RSA key"}
	}
	if strings.TrimSpace(kid) == "" {
		return nil, &SigningKeyError{Problem: "no kid"}
	}
	return json.MarshalIndent(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: key.Public(), KeyID: kid, Algorithm: string(jose.RS512), Use: "sig",
	}}}, "", "  ")
}
