package client

import "time"

// NewTestSession is a session with a role token, for the external tests of this
// package (errors_corpus_test.go) that talk to a stand-in server: the server
// is what is under test there, not the sign-in. Retries wait a millisecond.
func NewTestSession(c *Client, roleID, orgCode string) *Session {
	c.backoffBase, c.backoffMax = time.Millisecond, time.Millisecond
	return &Session{client: c, UserUUID: "555000000101", roleToken: "role-token",
		role: &Role{ID: roleID, OrgCode: orgCode}}
}
