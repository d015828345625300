// Package account holds the commands about the caller's own access:
// setup (create the owner), login, logout and whoami.
package account
