// Package cmdutil is what every tcctl command shares: the factory that
// resolves the URL, the credential and the lazily built API client; the
// output formats; tables; argument validation; confirmation and password
// prompts; and the mapping of errors to exit codes.
package cmdutil
