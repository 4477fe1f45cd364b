// Package config resolves scr's settings from, in order, the command line's
// flags, the environment and one system-wide file an administrator can lock:
// /etc/scr/config.toml (Linux, macOS) or %ProgramData%\scr\config.toml
// (Windows), or the file named by SCR_CONFIG. Each key is taken from the first
// of those that sets it, else its default, and each resolved setting says
// where it came from.
//
// The package only reads. scr never writes the file, and nothing is read from
// or written to the user's home directory: on a shared counter terminal the
// settings are the administrator's and the user's own flags or environment.
// The file is read only if it is a regular file of at most 64 KiB that nobody
// but its owner and the administrators can change (readSafely).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// The names of the keys: the same in the file and as flags (--server, …).
const (
	Server      = "server"
	CA          = "ca"
	Reader      = "reader"
	IdleLock    = "idle-lock"
	SmartcardCA = "smartcard-ca"
	// Plain is the plain mode, for screen readers: a yes-or-no setting,
	// given as --plain, SCR_PLAIN=1 or plain = true.
	Plain = "plain"

	// The NHS's own sign-in (auth = "cis2", API.md section 1b).
	Auth       = "auth"
	CIS2Issuer = "cis2-issuer"
	ClientID   = "client-id"
	APIKey     = "api-key"
	SigningKey = "signing-key"
	KID        = "kid"
)

// The ways to sign in, the auth setting's values.
const (
	// AuthCard is the sandbox's contract (API.md section 1): the card signs
	// the server's challenge. The default.
	AuthCard = "card"
	// AuthCIS2 is the NHS's own: CIS2 Authentication in the browser and the
	// API platform's token exchange (API.md section 1b).
	AuthCIS2 = "cis2"
)

// EnvConfig names the environment variable that overrides the file's
// location, for tests and for administrators who deploy it elsewhere.
const EnvConfig = "SCR_CONFIG"

// DefaultIdleLock is the idle-lock default; cmd/scr checks that it is the
// viewer's.
const DefaultIdleLock = 5 * time.Minute

// Key is one setting: its name (the flag and the file's key), its environment
// variable and what it means.
type Key struct {
	Name, Env, Meaning string
}

// Keys are every setting, in the order they are shown.
var Keys = []Key{
	{Server, "SCR_SERVER", "the API server, https://… (http:// for a loopback address only)"},
	{CA, "SCR_CA", "PEM CA certificates to trust besides the system's"},
	{Reader, "SCR_READER", "use this card reader only (default: the first with a card)"},
	{IdleLock, "SCR_IDLE_LOCK", "lock the screen after this long without a key (default 5m)"},
	{SmartcardCA, "SCR_SMARTCARD_CA", "PEM certificate of the smartcard CA, for scr doctor's chain check"},
	{Plain, "SCR_PLAIN", "the plain mode, for screen readers: lines in order, no redraws (true or false; default false)"},
	{Auth, "SCR_AUTH", "how to sign in: card (the default: the card signs the server's challenge) or cis2 (NHS CIS2 in the browser)"},
	{CIS2Issuer, "SCR_CIS2_ISSUER", "auth cis2: CIS2's issuer URL, https://… (its discovery document is under it)"},
	{ClientID, "SCR_CLIENT_ID", "auth cis2: the application's CIS2 client_id"},
	{APIKey, "SCR_API_KEY", "auth cis2: the application's API key on the NHS API platform"},
	{SigningKey, "SCR_SIGNING_KEY", "auth cis2: PEM file of the application's private key, readable by its owner only"},
	{KID, "SCR_KID", "auth cis2: the kid under which the application's public key is registered"},
}

// Env returns the environment variable of the key name, or "".
func Env(name string) string {
	for _, k := range Keys {
		if k.Name == name {
			return k.Env
		}
	}
	return ""
}

// Settings are the effective settings. Empty strings are unset.
type Settings struct {
	Server      string
	CA          string
	Reader      string
	IdleLock    time.Duration
	SmartcardCA string
	Plain       bool // the viewer's plain mode, for screen readers

	Auth       string // AuthCard or AuthCIS2; AuthCard when unset
	CIS2Issuer string
	ClientID   string
	APIKey     string
	SigningKey string // the private key's path; read it with ReadSigningKey
	KID        string
}

// Get returns the setting of the key name as text, as `scr config` shows it;
// an unset string is "".
func (s Settings) Get(name string) string {
	switch name {
	case Server:
		return s.Server
	case CA:
		return s.CA
	case Reader:
		return s.Reader
	case IdleLock:
		return FormatDuration(s.IdleLock)
	case SmartcardCA:
		return s.SmartcardCA
	case Plain:
		return strconv.FormatBool(s.Plain)
	case Auth:
		return s.Auth
	case CIS2Issuer:
		return s.CIS2Issuer
	case ClientID:
		return s.ClientID
	case APIKey:
		return s.APIKey
	case SigningKey:
		return s.SigningKey
	case KID:
		return s.KID
	}
	return ""
}

// MissingForCIS2 lists the settings auth = "cis2" needs that are not set, in
// the order of Keys; none for auth = "card".
func (s Settings) MissingForCIS2() []string {
	if s.Auth != AuthCIS2 {
		return nil
	}
	var missing []string
	for _, k := range []string{CIS2Issuer, ClientID, APIKey, SigningKey, KID} {
		if strings.TrimSpace(s.Get(k)) == "" {
			missing = append(missing, k)
		}
	}
	return missing
}

// SourceKind is where a setting came from.
type SourceKind int

// The sources, in the order they are looked at.
const (
	Default SourceKind = iota
	Flag
	Environment
	File
)

// Source is where one setting came from: "flag --server", "environment
// SCR_SERVER", "file /etc/scr/config.toml" or "default".
type Source struct {
	Kind SourceKind
	// Name is the flag (with its dashes), the variable or the file's path.
	Name string
}

func (s Source) String() string {
	switch s.Kind {
	case Flag:
		return "flag " + s.Name
	case Environment:
		return "environment " + s.Name
	case File:
		return "file " + s.Name
	}
	return "default"
}

// Resolved is the effective settings, where each came from, and the file
// that was looked at.
type Resolved struct {
	Settings
	// Sources holds every key's source, by name.
	Sources map[string]Source
	// File is the configuration file's path; FileFound says whether it
	// exists (a missing file at the default location is not an error).
	File      string
	FileFound bool
}

// Path returns the configuration file's location: SCR_CONFIG if set, else the
// system-wide file for goos (runtime.GOOS in use). On Windows it is under
// %ProgramData%, which falls back to C:\ProgramData.
func Path(getenv func(string) string, goos string) string {
	if p := getenv(EnvConfig); p != "" {
		return p
	}
	if goos == "windows" {
		pd := strings.TrimRight(getenv("ProgramData"), `\/`)
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return pd + `\scr\config.toml`
	}
	return "/etc/scr/config.toml"
}

// Load is Resolve with the file at Path: what scr's commands call.
func Load(flags map[string]string, getenv func(string) string) (Resolved, error) {
	path := Path(getenv, runtime.GOOS)
	return Resolve(flags, getenv, path, getenv(EnvConfig) != "")
}

// fileKeys is the file's schema. Unknown keys are an error: a typo must not
// be ignored in silence.
type fileKeys struct {
	Server      *string `toml:"server"`
	CA          *string `toml:"ca"`
	Reader      *string `toml:"reader"`
	IdleLock    *string `toml:"idle-lock"`
	SmartcardCA *string `toml:"smartcard-ca"`
	// Plain is true or false, bare or in quotes.
	Plain      any     `toml:"plain"`
	Auth       *string `toml:"auth"`
	CIS2Issuer *string `toml:"cis2-issuer"`
	ClientID   *string `toml:"client-id"`
	APIKey     *string `toml:"api-key"`
	SigningKey *string `toml:"signing-key"`
	KID        *string `toml:"kid"`
}

// Resolve works out the effective settings. flags holds the flags given on
// the command line, by key name, with their text as typed; getenv reads the
// environment; path is the configuration file. A missing file is no error
// unless explicit (it was named by SCR_CONFIG, where a missing file is most
// likely a typo); an unreadable or malformed file, an unknown key in it, or
// an idle lock that is not a positive duration, is. Every error is one line
// naming where the mistake is.
func Resolve(flags map[string]string, getenv func(string) string, path string, explicit bool) (Resolved, error) {
	r := Resolved{Sources: map[string]Source{}, File: path}
	for name := range flags {
		if Env(name) == "" {
			return r, fmt.Errorf("--%s is not a setting", name)
		}
	}
	file, found, err := readFile(path, explicit)
	if err != nil {
		return r, err
	}
	r.FileFound = found

	for _, k := range Keys {
		var value string
		var src Source
		if v, ok := flags[k.Name]; ok {
			value, src = v, Source{Flag, "--" + k.Name}
		} else if v := getenv(k.Env); v != "" {
			value, src = v, Source{Environment, k.Env}
		} else if v := file[k.Name]; v != "" {
			value, src = v, Source{File, path}
		}
		r.Sources[k.Name] = src
		switch k.Name {
		case Server:
			r.Server = value
		case CA:
			r.CA = fileRelative(value, src, path)
		case Reader:
			r.Reader = value
		case SmartcardCA:
			r.SmartcardCA = fileRelative(value, src, path)
		case Plain:
			if v := strings.TrimSpace(value); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return r, boolError(src, Plain, value)
				}
				r.Plain = b
			}
		case Auth:
			r.Auth = AuthCard
			switch v := strings.TrimSpace(value); v {
			case "":
			case AuthCard, AuthCIS2:
				r.Auth = v
			default:
				return r, authError(src, value)
			}
		case CIS2Issuer:
			r.CIS2Issuer = value
		case ClientID:
			r.ClientID = value
		case APIKey:
			r.APIKey = value
		case SigningKey:
			r.SigningKey = fileRelative(value, src, path)
		case KID:
			r.KID = value
		case IdleLock:
			r.IdleLock = DefaultIdleLock
			if strings.TrimSpace(value) == "" {
				break // as before the file: --idle-lock "" is the default
			}
			d, err := time.ParseDuration(strings.TrimSpace(value))
			if err != nil || d <= 0 {
				return r, durationError(src, value)
			}
			r.IdleLock = d
		}
	}
	return r, nil
}

func authError(src Source, value string) error {
	const want = "is not card or cis2"
	switch src.Kind {
	case Flag, Environment:
		return fmt.Errorf("%s %q %s", src.Name, value, want)
	}
	return fmt.Errorf("%s in %s: %q %s", Auth, src.Name, value, want)
}

func boolError(src Source, name, value string) error {
	const want = "is not true or false (or 1 or 0)"
	switch src.Kind {
	case Flag, Environment:
		return fmt.Errorf("%s %q %s", src.Name, value, want)
	}
	return fmt.Errorf("%s in %s: %q %s", name, src.Name, value, want)
}

func durationError(src Source, value string) error {
	const want = "is not a duration such as 5m or 90s"
	switch src.Kind {
	case Flag, Environment:
		return fmt.Errorf("%s %q %s", src.Name, value, want)
	}
	return fmt.Errorf("%s in %s: %q %s", IdleLock, src.Name, value, want)
}

// fileRelative resolves a relative path given in the file against the
// file's directory, so that it means the same wherever scr is started.
// Paths from flags and the environment are the user's, relative to where
// they are.
func fileRelative(value string, src Source, path string) string {
	if src.Kind != File || value == "" || isAbs(value) {
		return value
	}
	return filepath.Join(filepath.Dir(path), value)
}

// isAbs is filepath.IsAbs, and also takes a Windows drive or UNC path as
// absolute on every system, so that a file written for Windows reads the same
// in the tests.
func isAbs(p string) bool {
	if filepath.IsAbs(p) || strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// readFile reads and strictly decodes the configuration file into its keys'
// values. found is false for a missing file. The file is read only if it is
// safe to: see readSafely.
func readFile(path string, explicit bool) (values map[string]string, found bool, err error) {
	data, err := readSafely(path)
	if errors.Is(err, fs.ErrNotExist) {
		if explicit {
			return nil, false, fmt.Errorf("the configuration file %s named by %s does not exist", path, EnvConfig)
		}
		return nil, false, nil
	}
	var refused refusal
	if errors.As(err, &refused) {
		return nil, false, err // a line of its own, naming the file
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, false, fmt.Errorf("cannot read the configuration file %s: %v", path, err)
	}

	// Windows' Notepad may begin the file with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var f fileKeys
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, true, decodeError(path, err)
	}
	values = map[string]string{}
	switch v := f.Plain.(type) {
	case nil:
	case bool:
		values[Plain] = strconv.FormatBool(v)
	case string:
		values[Plain] = v
	default:
		return nil, true, fmt.Errorf("%s: plain must be true or false", path)
	}
	for name, v := range map[string]*string{
		Server: f.Server, CA: f.CA, Reader: f.Reader, IdleLock: f.IdleLock, SmartcardCA: f.SmartcardCA,
		Auth: f.Auth, CIS2Issuer: f.CIS2Issuer, ClientID: f.ClientID, APIKey: f.APIKey, SigningKey: f.SigningKey, KID: f.KID,
	} {
		if v != nil {
			values[name] = *v
		}
	}
	return values, true, nil
}

// decodeError turns go-toml's error into one line naming the file, the line
// and, for an unknown key, the key and the keys there are.
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		e := strict.Errors[0]
		row, _ := e.Position()
		names := make([]string, len(Keys))
		for i, k := range Keys {
			names[i] = k.Name
		}
		return fmt.Errorf("%s line %d: unknown key %q (the keys are %s)",
			path, row, strings.Join(e.Key(), "."), strings.Join(names, ", "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := de.Key(); len(k) > 0 {
			if strings.HasPrefix(msg, "cannot decode TOML ") {
				return fmt.Errorf("%s line %d: %s must be a string in quotes", path, row, strings.Join(k, "."))
			}
			return fmt.Errorf("%s line %d: %s: %s", path, row, strings.Join(k, "."), oneLine(msg))
		}
		return fmt.Errorf("%s line %d: %s", path, row, oneLine(msg))
	}
	return fmt.Errorf("%s: %s", path, oneLine(strings.TrimPrefix(err.Error(), "toml: ")))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FormatDuration writes d as it would be typed: 5m, 90s, 1h30m.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
