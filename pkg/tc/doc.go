// Package tc is the domain vocabulary shared by tcd, its store, its HTTP API,
// the typed client and tcctl: roles and permissions, users, sessions, tokens,
// the error codes every layer speaks, and the validation rules for input.
//
// It imports neither gorm nor fiber, so other Go programs can use it together
// with pkg/client.
package tc
