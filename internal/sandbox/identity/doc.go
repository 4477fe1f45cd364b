// Package identity is the sandbox's smartcard sign-in: the /oauth2 endpoints of
// API.md section 1 and the middleware that checks the role token on every PDS and
// SCR request.
//
// A user proves possession of a smartcard by signing a server challenge with the
// card's PIV Authentication key: the signed challenge is a JWT client assertion
// (RFC 7523) carrying the card certificate in its x5c header (RFC 7515 section
// 4.1.6). A valid assertion buys an opaque card token, which says who the user is
// (GET /oauth2/userinfo answers with their CIS2 userinfo). The card token is then
// exchanged (RFC 8693) for a role token bound to one of the user's National RBAC
// roles; that token, with the role ID in NHSD-Session-URID, is what PDS and SCR
// accept. Revoking (RFC 7009) a card token ends every role token exchanged from it.
//
// Beside that contract it serves the API platform's side of the NHS's own
// sign-in (API.md section 1b, platform.go): a registered application exchanges
// its user's CIS2 ID token, with a client assertion signed by its key, for a
// platform token, with which PDS and SCR take any of the user's roles named
// in NHSD-Session-URID. The CIS2 stand-in (package cis2) has the card in the
// reader authenticate its users through AuthenticateCard, which checks the
// card's assertion exactly as the card sign-in does.
//
// Tokens and challenges live in memory, bounded by their lifetimes, by
// DefaultChallengesPerAddress unused challenges per client address and by
// MaxRoleTokens live role tokens per sign-in. Every sign-in, role exchange and
// sign-out, allowed or refused, is appended to the audit trail before its effect
// reaches the client; if the trail cannot be written the request fails instead.
// Refusals beyond a few a minute from one address are counted and written as one
// summary row (failures.go), since they need no credentials to cause. A card
// certificate is believed only once the smartcard CA is known to have issued it.
package identity
