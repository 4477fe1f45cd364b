// Package assets holds what the programs embed: the sandbox's identities (and, as
// they arrive, its patients, users and help text).
//
// Every key here is for the sandbox only. It is public, in this repository, and
// must never be trusted by anything that touches real patient data: scr trusts the
// sandbox CA only under --demo or an explicit --ca.
package assets

import (
	"embed"
	"io/fs"
)

//go:generate go run gen_sandbox.go

//go:embed sandbox
var sandbox embed.FS

// DemoCard is the built-in demo smartcard identity (key.pem, cert.pem, pin),
// served by scr-vcard and scr --demo. PIN 123456.
var DemoCard = mustSub("sandbox/demo-card")

// SmartcardCA holds the sandbox smartcard CA (ca.pem, ca-key.pem) that issued
// DemoCard and that the sandbox server trusts.
var SmartcardCA = mustSub("sandbox/smartcard-ca")

func mustSub(dir string) fs.FS {
	sub, err := fs.Sub(sandbox, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
