package auth

import "strings"

// CarriesCredential reports whether an Authorization header carries a tcd
// credential: scheme Bearer or Token and a value starting with a prefix tcd
// issues (TokenPrefix, SessionPrefix), well-formed or not. In an endpoint
// group opened by --disable-auth-endpoints, a header that does not — an
// InfluxDB token in "Token $INFLUX_TOKEN", an empty "Bearer ", Basic
// credentials from a URL's user:password — cannot mean anything to tcd and
// is ignored like an absent one; a header that does is verified, so a
// revoked or mistyped tcd token is still refused there.
func CarriesCredential(header string) bool {
	raw, ok := ParseAuthorization(header)
	return ok && (strings.HasPrefix(raw, TokenPrefix) || strings.HasPrefix(raw, SessionPrefix))
}
