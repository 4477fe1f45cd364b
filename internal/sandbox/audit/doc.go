// Package audit is the sandbox's audit trail: every sign-in, demographics and
// Summary Care Record access, privacy alert and audit search, kept in SQLite as
// an append-only, hash-chained log, and served over HTTP as FHIR AuditEvents.
//
// A [Store] is the log. Rows are only ever appended; each carries an
// HMAC-SHA256 of its own fields and of the row before, under a key kept outside
// the database (a key file, 0600: by default beside it, where it is only as
// safe as the directory; [WithKeyFile] keeps it elsewhere), and a one-row head
// table holds the count and last MAC under a MAC of its own. Append returns
// only once the row is durable (WAL, synchronous=FULL), so a record the caller
// was told is written survives a crash. The database file and its key are
// created 0600.
//
// What [Store.VerifyHead] can prove, and what it cannot:
//
//   - Against someone who can write the database but does not have the key: a
//     row edited, deleted, reordered, inserted or appended; rows cut off the end
//     and the head moved back; every row deleted; the whole chain re-hashed from
//     an edited row. Each needs a MAC only the key makes.
//   - Against a copy of the file: putting back an older copy (the tail cut, the
//     head with it) or a new trail made with the same key leaves a chain that
//     verifies. Only a [Head] exported earlier ([Store.VerifyHead]'s result,
//     `scr-sandbox audit head`) and kept where the attacker cannot write finds
//     it: the log must still hold that row with that MAC.
//   - Against someone holding the key: anything done consistently after the
//     newest exported head. Rows up to an exported head cannot be changed
//     without breaking it.
//   - Not at all: the file and every exported head deleted; a verifier given an
//     old head, which cannot see a rollback to any state after it; an access
//     that was never appended.
//
// The store refuses to append to a trail whose head MAC is wrong, so it never
// re-seals a cut. [ReadOnly] opens a file for verification without writing a
// byte or making a file beside it, and refuses an empty file, a file that is
// not SQLite, another schema or version, and another key.
//
// [Handlers] serve the AuditEvent endpoint of API.md section 3: POST is the
// privacy alert a clinician sends before viewing a record without the patient's
// permission (validated against the type/subtype table of the SCR OpenAPI file
// and the role's RBAC activities); GET is the privacy officer's search, by
// patient (a Subject Access Request) or by alert type for the officer's own
// organisation. Searches are themselves recorded.
package audit
