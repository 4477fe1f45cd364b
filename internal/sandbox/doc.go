// Package sandbox is a local stand-in for the NHS APIs the viewer uses, built to
// API.md: smartcard sign-in (/oauth2), the NHS's own sign-in beside it (a
// CIS2-shaped OpenID provider under /cis2, package cis2, and the API platform's
// token exchange at /oauth2/token, for a registered application, package
// apps), the Personal Demographics Service and the Summary Care Record, with
// synthetic patients and users and an append-only,
// hash-chained audit trail. It serves the demo (scr --demo), every test of the
// viewer, and support staff checking a card without touching real patients.
package sandbox
