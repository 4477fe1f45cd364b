// Package client is everything the viewer knows about a patient passes through:
// smartcard sign-in, PDS and SCR over HTTP, and the record model the screens
// trust. (Under construction: the sign-in assertion is here first.)
package client
