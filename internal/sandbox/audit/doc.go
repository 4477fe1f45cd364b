// Package audit is the sandbox's audit trail: every sign-in, demographics and
// Summary Care Record access, privacy alert and audit search, kept in SQLite as
// an append-only, hash-chained log, and served over HTTP as FHIR AuditEvents.
//
// A [Store] is the log. Rows are only ever appended; each carries the SHA-256 of
// its own fields and of the row before, and a one-row head table holds the count
// and last hash, so [Store.Verify] finds a row edited, deleted, reordered or cut
// off the end. Append returns only once the row is durable (WAL, synchronous=FULL),
// so a record the caller was told is written survives a crash.
//
// [Handlers] serve the AuditEvent endpoint of API.md section 3: POST is the
// privacy alert a clinician sends before viewing a record without the patient's
// permission (validated against the type/subtype table of the SCR OpenAPI file
// and the role's RBAC activities); GET is the privacy officer's search, by
// patient (a Subject Access Request) or by alert type for the officer's own
// organisation. Searches are themselves recorded.
package audit
