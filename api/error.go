package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// codes maps each gallery error code to its HTTP status. It is the only
// place where a status is chosen for an error.
var codes = map[string]int{
	gallery.EINVALID:             http.StatusBadRequest,
	gallery.EUNAUTHORIZED:        http.StatusUnauthorized,
	gallery.EFORBIDDEN:           http.StatusForbidden,
	gallery.ENOTFOUND:            http.StatusNotFound,
	gallery.ECONFLICT:            http.StatusConflict,
	gallery.ETOOLARGE:            http.StatusRequestEntityTooLarge,
	gallery.EUNSUPPORTED:         http.StatusUnsupportedMediaType,
	gallery.EUNPROCESSABLE:       http.StatusUnprocessableEntity,
	gallery.ERATELIMITED:         http.StatusTooManyRequests,
	gallery.EINTERNAL:            http.StatusInternalServerError,
	gallery.EINSUFFICIENTSTORAGE: http.StatusInsufficientStorage,
	gallery.EUNAVAILABLE:         http.StatusServiceUnavailable,
}

// statusCodes is the reverse of codes, for errors that Echo or net/http
// raise themselves (unknown route, wrong method, body too large).
var statusCodes = map[int]string{
	http.StatusMethodNotAllowed: gallery.EINVALID,
}

func init() {
	for code, status := range codes {
		statusCodes[status] = code
	}
}

// ErrorStatus returns the HTTP status for a gallery error code.
func ErrorStatus(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func detailOf(err error) errorDetail {
	return errorDetail{Code: gallery.ErrorCode(err), Message: gallery.ErrorMessage(err)}
}

// toAppError turns errors raised by Echo and net/http into gallery errors,
// so that every response goes through one mapping.
func toAppError(err error) error {
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return gallery.Errorf(gallery.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &he):
		code, ok := statusCodes[he.Code]
		if !ok {
			return err
		}
		msg := http.StatusText(he.Code)
		if he.Code == http.StatusNotFound {
			msg = "not found"
		} else if he.Code == http.StatusMethodNotAllowed {
			msg = "method not allowed"
		}
		return &gallery.Error{Code: code, Message: msg}
	}
	return err
}

// errorHandler is Echo's HTTPErrorHandler: it writes the error shape with
// the status of the error's code, and logs internal errors, whose text is
// never sent.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	notAllowed := errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed
	err = toAppError(err)
	status := ErrorStatus(gallery.ErrorCode(err))
	if notAllowed {
		status = http.StatusMethodNotAllowed // the one status no error code stands for
	}
	// An internal error's text is logged on the request's line (observe).
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, errorBody{Error: detailOf(err)})
}

// writeErrorJSON writes the error shape outside Echo (net/http handlers
// that run before the router).
func writeErrorJSON(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(ErrorStatus(gallery.ErrorCode(err)))
	_ = json.NewEncoder(w).Encode(errorBody{Error: detailOf(err)})
}
