package identity

import (
	"fmt"
	"io/fs"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// SandboxConfig returns a Config for the embedded sandbox (package assets): its
// smartcard CA and revocation list, and the users of users.json. issuer is the
// server's base URL (see Config.Issuer); the other fields take their defaults.
func SandboxConfig(issuer string, rec audit.Recorder) (Config, error) {
	caPEM, err := fs.ReadFile(assets.SmartcardCA, "ca.pem")
	if err != nil {
		return Config{}, err
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return Config{}, fmt.Errorf("identity: smartcard CA: %w", err)
	}
	list, err := fs.ReadFile(assets.SmartcardCA, "revoked.txt")
	if err != nil {
		return Config{}, err
	}
	revoked, err := ParseRevoked(list)
	if err != nil {
		return Config{}, fmt.Errorf("identity: revoked.txt: %w", err)
	}
	users, err := LoadDirectory(assets.Users)
	if err != nil {
		return Config{}, err
	}
	return Config{CA: ca, Revoked: revoked, Users: users, Issuer: issuer, Audit: rec}, nil
}
