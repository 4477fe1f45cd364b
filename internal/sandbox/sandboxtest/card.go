// Package sandboxtest holds what tests of the sandbox and of its clients share:
// the sandbox itself, started for a test (Start), and the sandbox users'
// cards, ready to sign.
package sandboxtest

import (
	"bytes"
	"crypto/x509"
	"io/fs"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// DemoUser is the user ID of the built-in demo card (assets.DemoCard).
const DemoUser = "555000000101"

// UnlockedCard puts a sandbox user's card (assets.DemoCard, or assets.Cards/uuid)
// in a virtual card, verifies its PIN as the user would, and returns its signing
// key and certificate: the card signs as it does at sign-in.
func UnlockedCard(uuid string) (*smartcard.Key, *x509.Certificate, error) {
	fsys := assets.DemoCard
	if uuid != DemoUser {
		sub, err := fs.Sub(assets.Cards, uuid)
		if err != nil {
			return nil, nil, err
		}
		fsys = sub
	}
	id, err := virtual.LoadIdentityFS(fsys)
	if err != nil {
		return nil, nil, err
	}
	vc, err := virtual.New(id, virtual.Options{})
	if err != nil {
		return nil, nil, err
	}
	p := smartcard.NewPIV(vc)
	if err := p.VerifyPIN(bytes.Clone(id.PIN)); err != nil {
		return nil, nil, err
	}
	key, err := p.AuthKey(id.Cert)
	if err != nil {
		return nil, nil, err
	}
	return key, id.Cert, nil
}
