package httpapi

import (
	"errors"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Error codes in the "code" field of every error response (documented in the README).
const (
	codeMalformedJSON        = "MalformedJSON"
	codeInvalidType          = "InvalidType"
	codeInvalidField         = "InvalidField"
	codeValidationFailed     = "ValidationFailed"
	codeInvalidID            = "InvalidId"
	codeInvalidLimit         = "InvalidLimit"
	codeInvalidCursor        = "InvalidCursor"
	codeInvalidIfMatch       = "InvalidIfMatch"
	codeUnauthorized         = "Unauthorized"
	codeNotFound             = "NotFound"
	codeConflict             = "Conflict"
	codePreconditionFailed   = "PreconditionFailed"
	codePayloadTooLarge      = "PayloadTooLarge"
	codeUnsupportedMediaType = "UnsupportedMediaType"
	codeInternal             = "InternalError"
)

// apiError is an error the adapter itself detected, already carrying its response.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func badRequest(code, message string) *apiError {
	return &apiError{status: 400, code: code, message: message}
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	RequestID string `json:"requestId,omitempty"` // only on 500, to quote to support
}

// toAPIError is the one place that maps errors to statuses. Anything it does
// not recognise is a 500 whose details stay in the logs.
func toAPIError(err error) *apiError {
	var ae *apiError
	var ve *notes.ValidationError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		code := map[string]string{"id": codeInvalidID, "limit": codeInvalidLimit, "cursor": codeInvalidCursor}[ve.Field]
		if code == "" {
			code = codeValidationFailed
		}
		return badRequest(code, ve.Reason)
	case errors.Is(err, notes.ErrNotFound):
		return &apiError{status: 404, code: codeNotFound, message: "note not found"}
	case errors.Is(err, notes.ErrConflict):
		return &apiError{status: 412, code: codePreconditionFailed, message: "the note has changed: If-Match does not match its current ETag; fetch it again and retry"}
	case errors.Is(err, notes.ErrAlreadyExists):
		return &apiError{status: 409, code: codeConflict, message: "a note with this ID already exists; retry the request"}
	}
	return &apiError{status: 500, code: codeInternal, message: "internal error; quote the requestId when reporting it"}
}
