package gallery

import (
	"errors"
	"fmt"
)

// Error codes. Each is made where the fault is found and mapped to an HTTP
// status in one place, in package api.
const (
	EINVALID             = "invalid"
	EUNAUTHORIZED        = "unauthorized"
	EFORBIDDEN           = "forbidden"
	ENOTFOUND            = "not_found"
	ECONFLICT            = "conflict"
	ETOOLARGE            = "too_large"
	EUNSUPPORTED         = "unsupported"
	EUNPROCESSABLE       = "unprocessable"
	ERATELIMITED         = "rate_limited"
	EINTERNAL            = "internal"
	EINSUFFICIENTSTORAGE = "insufficient_storage"
	EUNAVAILABLE         = "unavailable" // the server cannot answer now (a health check failed)
)

// Error is an application error: a code from the list above and a message
// that is safe to show to the client. Anything that is not an *Error is
// internal, and its text is never sent to a client.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("imagerepo error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error,
// "" for nil and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the *Error's message,
// or a generic one for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
