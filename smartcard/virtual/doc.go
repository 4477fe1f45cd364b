// Package virtual is a PIV smartcard in software: the PIV Card Application of NIST
// SP 800-73-4 Part 2 with one key (slot 9A, PIV Authentication), its certificate
// and a PIN, behind the ISO/IEC 7816-4 command interface.
//
// A *Card answers raw command APDUs. It can be used in-process, where it satisfies
// smartcard.Conn, or be put into a real PC/SC stack through vsmartcard's vpcd
// reader driver with Serve, so that pcscd, OpenSC and this project's own host code
// see it as a card in a reader.
//
// The card is meant for tests and the sandbox. It keeps its key in memory and
// signs with the standard library; it makes no attempt at the side-channel or
// tamper resistance that is the point of a physical card.
package virtual
