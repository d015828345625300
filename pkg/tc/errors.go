package tc

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes of the JSON error envelope ({"code": "...", "message": "..."}).
const (
	EInvalid      = "invalid"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	// EPreconditionFailed: an If-Match precondition did not hold (412).
	EPreconditionFailed = "precondition_failed"
	EPayloadTooLarge    = "payload_too_large"
	ETooManyRequests    = "too_many_requests"
	EUnavailable        = "unavailable"
	EInternal           = "internal"
	// ETimeout: the request (its body) did not arrive within the read timeout.
	ETimeout = "request_timeout"
)

// codeStatus is the one table that maps error codes to HTTP statuses. The
// server's error handler and the client's decoder both use it.
var codeStatus = map[string]int{
	EInvalid:            http.StatusBadRequest,
	EUnauthorized:       http.StatusUnauthorized,
	EForbidden:          http.StatusForbidden,
	ENotFound:           http.StatusNotFound,
	EConflict:           http.StatusConflict,
	EPreconditionFailed: http.StatusPreconditionFailed,
	EPayloadTooLarge:    http.StatusRequestEntityTooLarge,
	ETooManyRequests:    http.StatusTooManyRequests,
	EUnavailable:        http.StatusServiceUnavailable,
	EInternal:           http.StatusInternalServerError,
	ETimeout:            http.StatusRequestTimeout,
}

// StatusForCode returns the HTTP status of an error code (500 for unknown codes).
func StatusForCode(code string) int {
	if s, ok := codeStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// CodeForStatus returns the error code that belongs to an HTTP status, used by
// clients when a response carries no envelope.
func CodeForStatus(status int) string {
	for c, s := range codeStatus {
		if s == status {
			return c
		}
	}
	if status >= 500 {
		return EInternal
	}
	return EInvalid
}

// Error is an application error with a code from the list above and a message
// meant for the caller. Details holds extra envelope fields (for example
// "missing" for template parameters or "field" for validation errors).
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"-"`
	// RetryAfter, when positive, is sent as a Retry-After header (seconds).
	RetryAfter int `json:"-"`
	// Status is the HTTP status an error arrived with (set by pkg/client).
	Status int `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with one more envelope field.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// ErrorCode returns the code of err: the code of an *Error in its chain, or
// EInternal for anything else (and "" for nil).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the caller-facing message of err; internal errors are
// reduced to "internal error" so their details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
