package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

type env map[string]string

func (e env) get(k string) string { return e[k] }

// writeFile writes a configuration file in a fresh directory.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

const fullFile = `# written by the administrator
server = "https://file.example"
ca = "/etc/scr/file-ca.pem"
reader = "File Reader 00"
idle-lock = "10m"
smartcard-ca = "/etc/scr/smartcard-ca.pem"
`

var fullEnv = env{
	"SCR_SERVER": "https://env.example", "SCR_CA": "/env/ca.pem", "SCR_READER": "Env Reader 01",
	"SCR_IDLE_LOCK": "90s", "SCR_SMARTCARD_CA": "/env/sc.pem",
}

var allFlags = map[string]string{
	"server": "https://flag.example", "ca": "/flag/ca.pem", "reader": "Flag Reader 02",
	"idle-lock": "2m", "smartcard-ca": "/flag/sc.pem",
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, fullFile)
	cis2File := writeFile(t, "auth = \"cis2\"\ncis2-issuer = \"https://cis2.example/realms/Healthcare\"\n"+
		"client-id = \"file-client\"\napi-key = \"file-api-key\"\nsigning-key = \"app-key.pem\"\nkid = \"file-kid\"\n")
	flag := func(n string) Source { return Source{Flag, "--" + n} }
	envSrc := func(n string) Source { return Source{Environment, Env(n)} }
	fileSrc := Source{File, file}
	def := Source{Default, ""}

	for _, tt := range []struct {
		name    string
		flags   map[string]string
		env     env
		file    string // "" for a missing file
		want    Settings
		sources map[string]Source
	}{
		{
			name:    "nothing anywhere: the defaults",
			want:    Settings{IdleLock: 5 * time.Minute},
			sources: map[string]Source{Server: def, CA: def, Reader: def, IdleLock: def, SmartcardCA: def},
		},
		{
			name: "the file alone",
			file: file,
			want: Settings{Server: "https://file.example", CA: "/etc/scr/file-ca.pem", Reader: "File Reader 00",
				IdleLock: 10 * time.Minute, SmartcardCA: "/etc/scr/smartcard-ca.pem"},
			sources: map[string]Source{Server: fileSrc, CA: fileSrc, Reader: fileSrc, IdleLock: fileSrc, SmartcardCA: fileSrc},
		},
		{
			name: "the environment wins over the file",
			env:  fullEnv,
			file: file,
			want: Settings{Server: "https://env.example", CA: "/env/ca.pem", Reader: "Env Reader 01",
				IdleLock: 90 * time.Second, SmartcardCA: "/env/sc.pem"},
			sources: map[string]Source{Server: envSrc(Server), CA: envSrc(CA), Reader: envSrc(Reader),
				IdleLock: envSrc(IdleLock), SmartcardCA: envSrc(SmartcardCA)},
		},
		{
			name:  "flags win over both",
			flags: allFlags,
			env:   fullEnv,
			file:  file,
			want: Settings{Server: "https://flag.example", CA: "/flag/ca.pem", Reader: "Flag Reader 02",
				IdleLock: 2 * time.Minute, SmartcardCA: "/flag/sc.pem"},
			sources: map[string]Source{Server: flag(Server), CA: flag(CA), Reader: flag(Reader),
				IdleLock: flag(IdleLock), SmartcardCA: flag(SmartcardCA)},
		},
		{
			name:  "per key: a flag, a variable, the file and a default",
			flags: map[string]string{"reader": "Flag Reader 02"},
			env:   env{"SCR_SERVER": "https://env.example"},
			file:  writeFile(t, "ca = \"/etc/scr/file-ca.pem\"\nreader = \"File Reader 00\"\n"),
			want:  Settings{Server: "https://env.example", CA: "/etc/scr/file-ca.pem", Reader: "Flag Reader 02", IdleLock: 5 * time.Minute},
		},
		{
			name: "an empty variable does not hide the file",
			env:  env{"SCR_SERVER": ""},
			file: writeFile(t, `server = "https://file.example"`),
			want: Settings{Server: "https://file.example", IdleLock: 5 * time.Minute},
		},
		{
			name:    "an empty flag is given, and wins",
			flags:   map[string]string{"reader": ""},
			env:     env{"SCR_READER": "Env Reader 01"},
			want:    Settings{IdleLock: 5 * time.Minute},
			sources: map[string]Source{Reader: flag(Reader)},
		},
		{
			name:  "an empty idle lock flag is the default",
			flags: map[string]string{"idle-lock": ""},
			env:   env{"SCR_IDLE_LOCK": "90s"},
			want:  Settings{IdleLock: 5 * time.Minute},
		},
		{
			name:  "a bad variable is not read when its flag is given",
			flags: map[string]string{"idle-lock": "1m"},
			env:   env{"SCR_IDLE_LOCK": "soon"},
			file:  writeFile(t, `idle-lock = "later"`),
			want:  Settings{IdleLock: time.Minute},
		},
		{
			name: "a file from Notepad: a byte order mark and CRLF",
			file: writeFile(t, "\ufeffserver = \"https://file.example\"\r\nidle-lock = \"3m\"\r\n"),
			want: Settings{Server: "https://file.example", IdleLock: 3 * time.Minute},
		},
		{
			name: "an empty file",
			file: writeFile(t, ""),
			want: Settings{IdleLock: 5 * time.Minute},
		},
		{
			name: "the NHS's own sign-in from the file, the key beside it",
			file: cis2File,
			want: Settings{IdleLock: 5 * time.Minute, Auth: AuthCIS2, CIS2Issuer: "https://cis2.example/realms/Healthcare",
				ClientID: "file-client", APIKey: "file-api-key", SigningKey: filepath.Join(filepath.Dir(cis2File), "app-key.pem"), KID: "file-kid"},
			sources: map[string]Source{Auth: {File, cis2File}, CIS2Issuer: {File, cis2File}, ClientID: {File, cis2File},
				APIKey: {File, cis2File}, SigningKey: {File, cis2File}, KID: {File, cis2File}},
		},
		{
			name:  "the NHS's own sign-in: a flag and variables win over the file",
			file:  cis2File,
			flags: map[string]string{"auth": "card", "signing-key": "rel/key.pem"},
			env: env{"SCR_CIS2_ISSUER": "https://env-cis2.example", "SCR_CLIENT_ID": "env-client", "SCR_API_KEY": "env-api-key",
				"SCR_KID": "env-kid", "SCR_AUTH": "cis2"},
			want: Settings{IdleLock: 5 * time.Minute, Auth: AuthCard, CIS2Issuer: "https://env-cis2.example",
				ClientID: "env-client", APIKey: "env-api-key", SigningKey: "rel/key.pem", KID: "env-kid"},
			sources: map[string]Source{Auth: flag(Auth), CIS2Issuer: envSrc(CIS2Issuer), ClientID: envSrc(ClientID),
				APIKey: envSrc(APIKey), SigningKey: flag(SigningKey), KID: envSrc(KID)},
		},
		{
			name: "auth unset is card",
			env:  env{"SCR_AUTH": "  "},
			want: Settings{IdleLock: 5 * time.Minute, Auth: AuthCard},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file
			if path == "" {
				path = filepath.Join(t.TempDir(), "missing.toml")
			}
			got, err := Resolve(tt.flags, tt.env.get, path, false)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want.Auth == "" {
				want.Auth = AuthCard // the default
			}
			if got.Settings != want {
				t.Errorf("settings = %+v; want %+v", got.Settings, want)
			}
			if got.FileFound != (tt.file != "") || got.File != path {
				t.Errorf("file = %q, found %v", got.File, got.FileFound)
			}
			for name, want := range tt.sources {
				if got.Sources[name] != want {
					t.Errorf("source of %s = %v; want %v", name, got.Sources[name], want)
				}
			}
			if len(got.Sources) != len(Keys) {
				t.Errorf("%d sources for %d keys", len(got.Sources), len(Keys))
			}
		})
	}
}

func TestSourceStrings(t *testing.T) {
	for _, tt := range []struct {
		s    Source
		want string
	}{
		{Source{Flag, "--server"}, "flag --server"},
		{Source{Environment, "SCR_SERVER"}, "environment SCR_SERVER"},
		{Source{File, "/etc/scr/config.toml"}, "file /etc/scr/config.toml"},
		{Source{}, "default"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v = %q; want %q", tt.s, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.toml")
	for _, tt := range []struct {
		name     string
		flags    map[string]string
		env      env
		text     string // the file, written unless path is set
		path     string
		explicit bool
		err      string // the whole one-line message; %s is the file's path
	}{
		{name: "unknown key", text: "server = \"https://x.example\"\nsevrer = \"https://y.example\"\n",
			err: `%s line 2: unknown key "sevrer" (the keys are server, ca, reader, idle-lock, smartcard-ca, plain, auth, cis2-issuer, client-id, api-key, signing-key, kid)`},
		{name: "a table", text: "[viewer]\nserver = \"https://x.example\"\n",
			err: `%s line 1: unknown key "viewer" (the keys are server, ca, reader, idle-lock, smartcard-ca, plain, auth, cis2-issuer, client-id, api-key, signing-key, kid)`},
		{name: "the environment's name for a key", text: "SCR_SERVER = \"https://x.example\"\n",
			err: `%s line 1: unknown key "SCR_SERVER" (the keys are server, ca, reader, idle-lock, smartcard-ca, plain, auth, cis2-issuer, client-id, api-key, signing-key, kid)`},
		{name: "unquoted duration", text: "idle-lock = 5m\n", err: `%s line 1: strings must be quoted`},
		{name: "a number for a string", text: "\nidle-lock = 300\n", err: `%s line 2: idle-lock must be a string in quotes`},
		{name: "a key twice", text: "reader = \"A\"\nreader = \"B\"\n", err: `%s line 2: reader: key reader is already defined`},
		{name: "not TOML", text: "server: https://x.example\n", err: `%s line 1: expected '=' after key`},
		{name: "bad duration in the file", text: `idle-lock = "soon"`,
			err: `idle-lock in %s: "soon" is not a duration such as 5m or 90s`},
		{name: "zero duration in the file", text: `idle-lock = "0s"`,
			err: `idle-lock in %s: "0s" is not a duration such as 5m or 90s`},
		{name: "bad duration in the environment", env: env{"SCR_IDLE_LOCK": "5"},
			err: `SCR_IDLE_LOCK "5" is not a duration such as 5m or 90s`},
		{name: "negative duration flag", flags: map[string]string{"idle-lock": "-1m"},
			err: `--idle-lock "-1m" is not a duration such as 5m or 90s`},
		{name: "a flag that is no setting", flags: map[string]string{"demo": "true"}, err: `--demo is not a setting`},
		{name: "an unknown way to sign in, in the file", text: `auth = "password"`,
			err: `auth in %s: "password" is not card or cis2`},
		{name: "an unknown way to sign in, as a flag", flags: map[string]string{"auth": "CIS2"},
			err: `--auth "CIS2" is not card or cis2`},
		{name: "an unknown way to sign in, in the environment", env: env{"SCR_AUTH": "oidc"},
			err: `SCR_AUTH "oidc" is not card or cis2`},
		{name: "SCR_CONFIG names a missing file", path: missing, explicit: true,
			err: `the configuration file %s named by SCR_CONFIG does not exist`},
		{name: "a directory", path: dir, err: `the configuration file %s is a folder, not a regular file`},
		{name: "under a file", path: filepath.Join(writeFile(t, ""), "config.toml"),
			err: `cannot read the configuration file %s: not a directory`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = writeFile(t, tt.text)
			}
			_, err := Resolve(tt.flags, tt.env.get, path, tt.explicit)
			want := tt.err
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", path)
			}
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	// A folder where the file should be cannot be read by anyone, root too.
	dir := t.TempDir()
	if _, err := Resolve(nil, env{}.get, dir, false); err == nil || err.Error() != "the configuration file "+dir+" is a folder, not a regular file" {
		t.Errorf("a folder as the file: err = %v", err)
	}
	// A file without read permission, where permissions bind (not root,
	// not Windows, which has no chmod 000).
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		return
	}
	p := writeFile(t, `server = "https://x.example"`)
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(nil, env{}.get, p, false)
	if want := "cannot read the configuration file " + p + ": permission denied"; err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %s", err, want)
	}
}

func TestRelativePathsInTheFile(t *testing.T) {
	p := writeFile(t, "ca = \"nhs-ca.pem\"\nsmartcard-ca = \"cards/ca.pem\"\n")
	dir := filepath.Dir(p)
	got, err := Resolve(nil, env{}.get, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.CA != filepath.Join(dir, "nhs-ca.pem") || got.SmartcardCA != filepath.Join(dir, "cards", "ca.pem") {
		t.Fatalf("ca %q, smartcard-ca %q: want them beside %s", got.CA, got.SmartcardCA, p)
	}
	// The user's own relative paths stay relative to where they are.
	got, err = Resolve(map[string]string{"ca": "mine.pem"}, env{"SCR_SMARTCARD_CA": "sc.pem"}.get, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.CA != "mine.pem" || got.SmartcardCA != "sc.pem" {
		t.Fatalf("ca %q, smartcard-ca %q", got.CA, got.SmartcardCA)
	}
	// A Windows path is absolute on every system.
	p = writeFile(t, `ca = 'C:\ProgramData\scr\ca.pem'`)
	if got, err = Resolve(nil, env{}.get, p, false); err != nil || got.CA != `C:\ProgramData\scr\ca.pem` {
		t.Fatalf("ca %q, %v", got.CA, err)
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct {
		goos string
		env  env
		want string
	}{
		{"linux", env{}, "/etc/scr/config.toml"},
		{"darwin", env{}, "/etc/scr/config.toml"},
		{"linux", env{"SCR_CONFIG": "/opt/scr/scr.toml"}, "/opt/scr/scr.toml"},
		{"windows", env{"ProgramData": `D:\ProgramData`}, `D:\ProgramData\scr\config.toml`},
		{"windows", env{"ProgramData": `D:\ProgramData\`}, `D:\ProgramData\scr\config.toml`},
		{"windows", env{}, `C:\ProgramData\scr\config.toml`},
		{"windows", env{"SCR_CONFIG": `\\server\share\scr.toml`, "ProgramData": `D:\ProgramData`}, `\\server\share\scr.toml`},
	} {
		if got := Path(tt.env.get, tt.goos); got != tt.want {
			t.Errorf("Path(%v, %s) = %q; want %q", tt.env, tt.goos, got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	p := writeFile(t, `reader = "File Reader 00"`)
	got, err := Load(nil, env{"SCR_CONFIG": p}.get)
	if err != nil || got.Reader != "File Reader 00" || got.Sources[Reader] != (Source{File, p}) || !got.FileFound {
		t.Fatalf("Load = %+v, %v", got, err)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", 90 * time.Second: "1m30s", time.Hour: "1h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q; want %q", d, got, want)
		}
	}
}

func TestMissingForCIS2(t *testing.T) {
	if m := (Settings{Auth: AuthCard}).MissingForCIS2(); m != nil {
		t.Errorf("auth card: missing %v", m)
	}
	got := Settings{Auth: AuthCIS2, ClientID: "c", KID: " "}.MissingForCIS2()
	if want := []string{CIS2Issuer, APIKey, SigningKey, KID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("missing %v; want %v", got, want)
	}
	full := Settings{Auth: AuthCIS2, CIS2Issuer: "https://i", ClientID: "c", APIKey: "a", SigningKey: "k.pem", KID: "k"}
	if m := full.MissingForCIS2(); m != nil {
		t.Errorf("all set: missing %v", m)
	}
	for _, k := range []string{Auth, CIS2Issuer, ClientID, APIKey, SigningKey, KID} {
		if Env(k) == "" || full.Get(k) == "" {
			t.Errorf("key %s: env %q, Get %q", k, Env(k), full.Get(k))
		}
	}
}

// TestPlain: the plain mode is --plain, SCR_PLAIN=1 or plain = true in the
// file (bare or in quotes), a flag winning over the variable over the file;
// anything but a yes or a no is an error naming where it is.
func TestPlain(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags map[string]string
		env   env
		file  string
		want  bool
		src   SourceKind
		err   string
	}{
		{name: "default", want: false, src: Default},
		{name: "flag", flags: map[string]string{Plain: "true"}, want: true, src: Flag},
		{name: "environment", env: env{"SCR_PLAIN": "1"}, want: true, src: Environment},
		{name: "file, bare", file: "plain = true\n", want: true, src: File},
		{name: "file, quoted", file: "plain = \"true\"\n", want: true, src: File},
		{name: "flag over environment", flags: map[string]string{Plain: "false"}, env: env{"SCR_PLAIN": "1"}, want: false, src: Flag},
		{name: "environment over file", env: env{"SCR_PLAIN": "0"}, file: "plain = true\n", want: false, src: Environment},
		{name: "bad environment", env: env{"SCR_PLAIN": "sometimes"}, err: `SCR_PLAIN "sometimes" is not true or false (or 1 or 0)`},
		{name: "bad file", file: "plain = \"maybe\"\n", err: `plain in `},
		{name: "a number in the file", file: "plain = 2\n", err: "plain must be true or false"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.toml")
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			e := tt.env
			if e == nil {
				e = env{}
			}
			got, err := Resolve(tt.flags, e.get, path, false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Plain != tt.want || got.Sources[Plain].Kind != tt.src || got.Get(Plain) != strconv.FormatBool(tt.want) {
				t.Errorf("plain %v from %v (%q); want %v from %v", got.Plain, got.Sources[Plain], got.Get(Plain), tt.want, tt.src)
			}
		})
	}
}
