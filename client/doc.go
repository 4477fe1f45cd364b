// Package client is the only way patient data reaches the viewer. It signs in
// with the card (an RFC 7523 assertion the card signs, then an RFC 8693 role
// exchange), or the NHS's own way (auth = "cis2": CIS2 Authentication in the
// system browser, then the API platform's token exchange; see cis2.go), talks to PDS and SCR over one resty client per server, and turns
// their FHIR into the viewer's own types: a Patient, a Consent and a Summary of
// sections made of headings, paragraphs, highlighted statements and tables.
//
// Everything from the server is treated as hostile: every string passes the
// gate, internal/safetext's Line, as it is decoded (control characters,
// terminal escape sequences, bidi controls and invisible format characters
// gone, NFC, bounded) before anything in this package matches on it or the
// model holds it, and every size is bounded. Each failure a user can act on
// is its own error type, keeping the HTTP status and the server's code and text.
package client
