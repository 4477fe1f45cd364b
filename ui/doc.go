// Package ui is the viewer a user sees: the Bubble Tea screens of the session
// (the card, the passcode, the role, finding a patient, the permission
// question, the record, the audit reports, the lock), each with its own keys,
// view and requests, under a root model that owns only the session: the card,
// signing in and out, the lock, the help and the quit question.
package ui
