// Package records is the sandbox's Personal Demographics Service and Summary Care
// Record (API.md, sections 2 and 3): the synthetic patients of assets.Patients,
// read, searched and served as the NHS APIs publish them.
//
// Every response body that does not depend on the request is encoded once, when
// the Service is made, and written as bytes thereafter: a record of 300
// medication rows costs no more to serve than a short one. Every PDS read and
// search, and every SCR DocumentReference and Bundle request, allowed or refused,
// is appended to the audit trail before anything is written back; if the audit
// trail cannot take it, the request fails with 500 and nothing is served.
package records
