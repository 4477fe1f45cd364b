package identity_test

import (
	"crypto/x509"
	"io/fs"
	"strings"
	"testing"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox/identity"
)

// TestSandboxUsers checks users.json gives each sandbox user what the journeys
// need (assets/sandbox/README.md).
func TestSandboxUsers(t *testing.T) {
	d := directory(t)
	can := func(uid string, p rbac.Permission) []string {
		u, ok := d.User(uid)
		if !ok {
			t.Fatalf("no user %s", uid)
		}
		var roles []string
		for _, r := range u.Roles {
			if rbac.Allows(r.ActivityCodes, p) {
				roles = append(roles, r.OrgCode)
			}
		}
		return roles
	}
	tests := []struct {
		name, uid string
		p         rbac.Permission
		want      string // org codes of the roles that have p, joined
	}{
		{"pharmacist views", priya, rbac.ViewSCR, "FA123"},
		{"A&E doctor views", james, rbac.ViewSCR, "R9A"},
		{"A&E doctor has emergency access", james, rbac.EmergencyView, "R9A"},
		{"pharmacist has no emergency access", priya, rbac.EmergencyView, ""},
		{"receptionist cannot view", jordan, rbac.ViewSCR, ""},
		{"privacy officer reads the audit trail", "555000000104", rbac.ReadAuditTrail, "R9A"},
		{"privacy officer cannot view", "555000000104", rbac.ViewSCR, ""},
		{"locum views at two organisations", daniel, rbac.ViewSCR, "FA123 FK456"},
		{"expired-card user has a role", grace, rbac.ViewSCR, "FA123"},
		{"revoked-card user has a role", mark, rbac.ViewSCR, "R9A"},
	}
	for _, tt := range tests {
		if got := strings.Join(can(tt.uid, tt.p), " "); got != tt.want {
			t.Errorf("%s: roles allowing %v at %q, want %q", tt.name, tt.p, got, tt.want)
		}
	}
	if u, _ := d.User(jordan); len(u.Roles) < 2 {
		t.Error("the receptionist should have more than one role")
	}
	for _, u := range d.Users() {
		for _, r := range u.Roles {
			if d.OrgName(r.OrgCode) == "" {
				t.Errorf("%s: organisation %s has no name", u.UUID, r.OrgCode)
			}
		}
	}
	// The certificates name the same people as the directory.
	for _, u := range d.Users() {
		if c := loadCard(t, u.UUID); c.cert.Subject.CommonName != u.Name || c.cert.Subject.SerialNumber != u.UUID {
			t.Errorf("card of %s names %v", u.UUID, c.cert.Subject)
		}
	}
	if k := loadCard(t, james).cert.PublicKeyAlgorithm; k != x509.RSA {
		t.Errorf("the A&E doctor's card key is %v, want RSA", k)
	}
}

func TestDirectoryCopies(t *testing.T) {
	d := directory(t)
	u, _ := d.User(priya)
	u.Roles[0].ActivityCodes[0] = "B0000"
	if again, _ := d.User(priya); again.Roles[0].ActivityCodes[0] == "B0000" {
		t.Error("a caller changed the directory through User")
	}
}

func TestLoadDirectoryRefuses(t *testing.T) {
	role := func(id, org string) string {
		return `{"activities":["View Patient Medication"],"activity_codes":["B0401"],"org_code":"` + org +
			`","person_orgid":"555000000301","person_roleid":"` + id + `","role_code":"R8003","role_name":"x"}`
	}
	user := func(uid string, roles ...string) string {
		return `{"nhsid_useruid":"` + uid + `","name":"A B","nhsid_nrbac_roles":[` + strings.Join(roles, ",") + `]}`
	}
	file := func(users ...string) string {
		return `{"organisations":{"FA123":"Boots, High Street"},"users":[` + strings.Join(users, ",") + `]}`
	}
	tests := []struct{ name, json, want string }{
		{"not JSON", `{`, "users.json"},
		{"unknown field", `{"organisations":{},"users":[],"extra":1}`, "unknown field"},
		{"short user ID", file(user("5550001", role("555000000201", "FA123"))), "not 12 digits"},
		{"user twice", file(user(priya), user(priya)), "appears twice"},
		{"role ID shared", file(user(priya, role("555000000201", "FA123")), user(james, role("555000000201", "FA123"))), "belongs to users"},
		{"organisation without a name", file(user(priya, role("555000000201", "XX999"))), "has no name"},
		{"activity without its code", strings.Replace(file(user(priya, role("555000000201", "FA123"))), `["B0401"]`, `[]`, 1), "activities but"},
	}
	for _, tt := range tests {
		if _, err := identity.LoadDirectory([]byte(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := identity.LoadDirectory([]byte(file(user(priya, role("555000000201", "FA123"))))); err != nil {
		t.Errorf("a good file: %v", err)
	}
}

func TestParseRevoked(t *testing.T) {
	got, err := identity.ParseRevoked([]byte("# comment\n\n0A:1B:FF # lost\n  64f8c780ace7136046ab96ec61bef6b6\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["a1bff"] || !got["64f8c780ace7136046ab96ec61bef6b6"] {
		t.Errorf("ParseRevoked = %v", got)
	}
	if _, err := identity.ParseRevoked([]byte("xyz\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad serial: %v", err)
	}
	// The shipped list revokes the revoked user's card and no other.
	list, err := identity.ParseRevoked(mustRead(t, "revoked.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, uid := range append([]string{grace, mark}, signInUsers...) {
		if serial := loadCard(t, uid).cert.SerialNumber.Text(16); list[serial] != (uid == mark) {
			t.Errorf("card of %s revoked: %t", uid, list[serial])
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(assets.SmartcardCA, name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNewRefusesBadConfig(t *testing.T) {
	good, err := identity.SandboxConfig("https://127.0.0.1:8443", &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*identity.Config)
		want string
	}{
		{"no CA", func(c *identity.Config) { c.CA = nil }, "CA"},
		{"no audit", func(c *identity.Config) { c.Audit = nil }, "Audit"},
		{"no users", func(c *identity.Config) { c.Users = identity.Directory{} }, "no users"},
		{"bad issuer", func(c *identity.Config) { c.Issuer = "127.0.0.1:8443" }, "Issuer"},
		{"bad serial", func(c *identity.Config) { c.Revoked = map[string]bool{"zz": true} }, "serial"},
		{"negative TTL", func(c *identity.Config) { c.TokenTTL = -1 }, "negative"},
	}
	for _, tt := range tests {
		cfg := good
		tt.edit(&cfg)
		if _, err := identity.New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := identity.New(good); err != nil {
		t.Errorf("the sandbox config: %v", err)
	}
}
