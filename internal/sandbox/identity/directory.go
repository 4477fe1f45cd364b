package identity

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
)

// Role is one National RBAC role of a user, as CIS2 userinfo lists it in
// nhsid_nrbac_roles. ActivityCodes[i] is the code of Activities[i].
type Role struct {
	Activities    []string `json:"activities"`
	ActivityCodes []string `json:"activity_codes"`
	OrgCode       string   `json:"org_code"`
	PersonOrgID   string   `json:"person_orgid"`
	PersonRoleID  string   `json:"person_roleid"` // the URID a role token is bound to
	RoleCode      string   `json:"role_code"`
	RoleName      string   `json:"role_name"`
}

// User is one sandbox user: the CIS2 userinfo fields but sub, which is always
// the same as nhsid_useruid.
type User struct {
	UUID  string `json:"nhsid_useruid"` // 12-digit NHS user ID, the card certificate's serialNumber
	Name  string `json:"name"`
	Roles []Role `json:"nhsid_nrbac_roles"`
}

// Role returns the user's role with the given person_roleid.
func (u *User) Role(personRoleID string) (*Role, bool) {
	for i := range u.Roles {
		if u.Roles[i].PersonRoleID == personRoleID {
			return &u.Roles[i], true
		}
	}
	return nil, false
}

// Directory is the sandbox's users and the organisations their roles belong to.
// It is read-only once loaded, so it is safe for concurrent use.
type Directory struct {
	users map[string]*User  // by UUID
	orgs  map[string]string // ODS code → name
}

// directoryFile is the layout of assets/sandbox/users.json.
type directoryFile struct {
	Organisations map[string]string `json:"organisations"`
	Users         []User            `json:"users"`
}

// nhsID is the form of NHS user, role and organisation-person IDs.
var nhsID = regexp.MustCompile(`^[0-9]{12}$`)

// LoadDirectory parses users.json and checks it is consistent: 12-digit IDs,
// each user and each person_roleid once (a URID names one role of one person),
// one activity name per activity code, and a name for every organisation.
func LoadDirectory(usersJSON []byte) (Directory, error) {
	var f directoryFile
	dec := json.NewDecoder(bytes.NewReader(usersJSON))
	dec.DisallowUnknownFields() // a misspelt field would otherwise vanish silently
	if err := dec.Decode(&f); err != nil {
		return Directory{}, fmt.Errorf("identity: users.json: %w", err)
	}
	d := Directory{users: make(map[string]*User, len(f.Users)), orgs: f.Organisations}
	roleIDs := make(map[string]string)
	for i := range f.Users {
		u := &f.Users[i]
		if !nhsID.MatchString(u.UUID) {
			return Directory{}, fmt.Errorf("identity: users.json: user ID %q is not 12 digits", u.UUID)
		}
		if _, dup := d.users[u.UUID]; dup {
			return Directory{}, fmt.Errorf("identity: users.json: user %s appears twice", u.UUID)
		}
		if u.Name == "" {
			return Directory{}, fmt.Errorf("identity: users.json: user %s has no name", u.UUID)
		}
		for _, r := range u.Roles {
			if !nhsID.MatchString(r.PersonRoleID) || !nhsID.MatchString(r.PersonOrgID) {
				return Directory{}, fmt.Errorf("identity: users.json: user %s: role %q or org %q is not 12 digits", u.UUID, r.PersonRoleID, r.PersonOrgID)
			}
			if other, dup := roleIDs[r.PersonRoleID]; dup {
				return Directory{}, fmt.Errorf("identity: users.json: role %s belongs to users %s and %s", r.PersonRoleID, other, u.UUID)
			}
			roleIDs[r.PersonRoleID] = u.UUID
			if len(r.Activities) != len(r.ActivityCodes) {
				return Directory{}, fmt.Errorf("identity: users.json: role %s has %d activities but %d codes", r.PersonRoleID, len(r.Activities), len(r.ActivityCodes))
			}
			if _, ok := d.orgs[r.OrgCode]; !ok {
				return Directory{}, fmt.Errorf("identity: users.json: role %s: organisation %q has no name", r.PersonRoleID, r.OrgCode)
			}
		}
		d.users[u.UUID] = u
	}
	return d, nil
}

// User returns (a copy of) the user with the given 12-digit ID.
func (d Directory) User(uuid string) (User, bool) {
	u, ok := d.users[uuid]
	if !ok {
		return User{}, false
	}
	return u.clone(), true
}

// OrgName returns the name of the organisation with the given ODS code, or "".
func (d Directory) OrgName(code string) string { return d.orgs[code] }

// Users returns (copies of) every user, ordered by ID.
func (d Directory) Users() []User {
	us := make([]User, 0, len(d.users))
	for _, u := range d.users {
		us = append(us, u.clone())
	}
	slices.SortFunc(us, func(a, b User) int { return cmp.Compare(a.UUID, b.UUID) })
	return us
}

// clone returns a deep copy, so that callers cannot change the directory that
// live tokens point into.
func (u *User) clone() User {
	c := *u
	c.Roles = slices.Clone(u.Roles)
	for i := range c.Roles {
		c.Roles[i].Activities = slices.Clone(c.Roles[i].Activities)
		c.Roles[i].ActivityCodes = slices.Clone(c.Roles[i].ActivityCodes)
	}
	return c
}
