// Package doctor checks, step by step, why a smartcard does or does not get
// its holder into the Summary Care Record: the PC/SC service, the readers, the
// card and its PIV application, the sign-in certificate (holder, dates, chain
// to the smartcard CA), the PIN tries left, the server (reachable, TLS, clock)
// and, given the passcode, the sign-in itself and what each role may do. With
// auth = "cis2", the NHS's own sign-in (Options.CIS2), the settings it needs,
// the application's signing key, CIS2's discovery document and JWKS, the API
// platform's token endpoint and the card's user ID are checked before the
// sign-in, which is CIS2's.
//
// It is what `scr doctor` runs, for support staff. Each step is a Check with a
// Status (PASS, WARN, FAIL, or SKIP when an earlier step failed), what was
// found and, for WARN and FAIL, what to do: written as text in columns
// (Line), as sentences for a screen reader (PlainLine, for --plain), or as
// JSON. The checks run over small interfaces (Cards, Card, Server) so that
// their logic is tested without a reader; PCSC and NewServer are the real
// ones. Nothing here touches patient data: no PDS or SCR request is ever
// made, and the passcode is wiped after use and never printed.
package doctor
