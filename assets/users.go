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
