package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// KeySize is the length of an audit key in bytes.
const KeySize = 32

// ErrWrongKey is returned when the key given does not fit the database: it is
// another trail's key, or the database was made with another key.
var ErrWrongKey = errors.New("audit: the key does not fit this database")

// NewKey returns a new random audit key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}

// WriteKeyFile writes a new random key to path, which must not exist yet,
// readable by its owner only (0600), and returns it. The file is one line: the
// key as 64 hex digits.
func WriteKeyFile(path string) ([]byte, error) {
	key, err := writeKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: key: %w", err)
	}
	return key, nil
}

func writeKeyFile(path string) ([]byte, error) {
	key := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(f, "%x\n", key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return key, nil
}

// ReadKeyFile reads a key written by WriteKeyFile.
func ReadKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: key: %w", err)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%s is not an audit key (one line of %d hex digits)", path, 2*KeySize)
	}
	return key, nil
}

// DefaultKeyFile is where the key of the database at dbPath is kept when no
// other place is given: beside it, as dbPath + ".key".
func DefaultKeyFile(dbPath string) string { return dbPath + ".key" }

// keyID names a key without giving it away, so that a wrong key is reported as
// such rather than as every row tampered with.
func keyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("scr-audit-key-id-v2"))
	return hex.EncodeToString(m.Sum(nil))[:16]
}
