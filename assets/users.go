package assets

import _ "embed"

// Users is the sandbox's user directory (sandbox/users.json): each user's CIS2
// userinfo (nhsid_useruid, name, nhsid_nrbac_roles) and, under "organisations",
// the name of every organisation their roles refer to by ODS code.
//
//go:embed sandbox/users.json
var Users []byte

// Cards holds one card identity per sandbox user other than the demo card, in a
// directory named by the user ID (e.g. "555000000102/key.pem", "cert.pem",
// "pin"), issued by SmartcardCA. SmartcardCA's revoked.txt lists the revoked ones.
var Cards = mustSub("sandbox/cards")

// SandboxApp is the sandbox's registered application (sandbox/app): app.json
// (the CIS2 client_id, the API platform's API key and the key's kid), key.pem
// (its private key, public on purpose) and jwks.json (the public key as a
// JWKS). The sandbox trusts it by default; nothing else may.
var SandboxApp = mustSub("sandbox/app")
