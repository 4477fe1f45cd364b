// Package ui is the viewer a user sees: the Bubble Tea screens of the session, and
// the one place where what went wrong becomes a sentence a pharmacist can act on.
package ui
