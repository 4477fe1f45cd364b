// Package smartcard reads a user's NHS smartcard: it lists PC/SC readers, follows
// card insertion and removal, exchanges ISO/IEC 7816-4 APDUs and speaks the PIV
// application (NIST SP 800-73-4) so that the card's authentication key can sign as a
// crypto.Signer.
//
// The layers are small types, each doing one thing: a Context for the PC/SC
// service, a Conn for one card (a PC/SC handle or the in-process virtual card), an
// exchange that adds chaining and GET RESPONSE to raw APDUs, PIV on top, and Card:
// a card opened for use, with its certificate, holder, PIN and one-shot signer,
// as the viewer and scr doctor hold it (Open, or Context.Open over PC/SC). Errors
// keep the raw fact (the status word, the PC/SC code) so the user interface can turn
// it into one sentence.
package smartcard
