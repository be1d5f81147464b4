package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// MaxBodyBytes is the largest request body accepted (after base64 decoding).
const MaxBodyBytes = 128 << 10

// serverFields are note attributes only the server sets. A body naming one is
// a mass-assignment attempt and gets an explicit message.
var serverFields = []string{"userId", "noteId", "version", "createdAt", "updatedAt"}

// header returns a request header by case-insensitive name. API Gateway
// lower-cases header names, but other callers (the local twin, tests) may not.
func header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// DecodeInput reads a note's title and content from a request: JSON media
// type, at most MaxBodyBytes, base64 decoded when API Gateway encoded it, valid
// UTF-8, one JSON object holding only "title" and "content" (exact names, each
// at most once, strings or null). It does not apply the note rules; the
// service does (notes.Input.Validate).
func DecodeInput(req events.APIGatewayV2HTTPRequest) (notes.Input, error) {
	if err := checkContentType(header(req, "content-type")); err != nil {
		return notes.Input{}, err
	}
	body, err := rawBody(req)
	if err != nil {
		return notes.Input{}, err
	}
	if !utf8.Valid(body) {
		return notes.Input{}, badRequest(codeMalformedJSON, "the request body is not valid UTF-8")
	}
	return decodeObject(body)
}

func checkContentType(ct string) error {
	const want = "Content-Type must be application/json"
	if ct == "" {
		return &apiError{status: 415, code: codeUnsupportedMediaType, message: want}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &apiError{status: 415, code: codeUnsupportedMediaType, message: fmt.Sprintf("%s, not %q", want, notes.Truncate(ct, 80))}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &apiError{status: 415, code: codeUnsupportedMediaType, message: fmt.Sprintf("the only charset accepted is utf-8, not %q", notes.Truncate(cs, 40))}
	}
	return nil
}

func rawBody(req events.APIGatewayV2HTTPRequest) ([]byte, error) {
	tooLarge := &apiError{status: 413, code: codePayloadTooLarge, message: fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes)}
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, tooLarge
		}
		return []byte(req.Body), nil
	}
	if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBodyBytes) {
		return nil, tooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, badRequest(codeMalformedJSON, "the request body is marked base64-encoded but is not valid base64")
	}
	if len(b) > MaxBodyBytes {
		return nil, tooLarge
	}
	return b, nil
}

// decodeObject walks the JSON tokens itself rather than using json.Unmarshal
// with DisallowUnknownFields: that would still match "CONTENT" to "content"
// (encoding/json is case-insensitive) and let a repeated key silently win.
func decodeObject(body []byte) (notes.Input, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return notes.Input{}, badRequest(codeMalformedJSON, `a JSON body is required, for example {"title": "…", "content": "…"}`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	notObject := badRequest(codeInvalidType, `the request body must be a JSON object, for example {"title": "…", "content": "…"}`)
	tok, err := dec.Token()
	if err != nil {
		return notes.Input{}, syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return notes.Input{}, notObject
	}
	var in notes.Input
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notes.Input{}, syntaxError(err)
		}
		name, _ := tok.(string) // object keys are always strings
		if seen[name] {
			return notes.Input{}, badRequest(codeInvalidField, fmt.Sprintf("field %q appears more than once", notes.Truncate(name, 40)))
		}
		seen[name] = true
		var dst *string
		switch name {
		case "title":
			dst = &in.Title
		case "content":
			dst = &in.Content
		default:
			return notes.Input{}, unknownField(name)
		}
		if err := dec.Decode(dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return notes.Input{}, badRequest(codeInvalidType, fmt.Sprintf("field %q must be a string, not %s", name, te.Value))
			}
			return notes.Input{}, syntaxError(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return notes.Input{}, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return notes.Input{}, badRequest(codeMalformedJSON, "the request body must hold exactly one JSON object")
	}
	return in, nil
}

func unknownField(name string) error {
	for _, f := range serverFields {
		if strings.EqualFold(name, f) {
			return badRequest(codeInvalidField, fmt.Sprintf("field %q cannot be set: %s are set by the server; a note accepts only \"title\" and \"content\"", name, strings.Join(serverFields, ", ")))
		}
	}
	return badRequest(codeInvalidField, fmt.Sprintf("unknown field %q: a note accepts only \"title\" and \"content\"", notes.Truncate(name, 40)))
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return badRequest(codeMalformedJSON, fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest(codeMalformedJSON, "malformed JSON: the body ends too early")
	}
	return badRequest(codeMalformedJSON, "malformed JSON")
}

// ParseIfMatch reads an If-Match header into a precondition. The ETag of a note
// is its version as a quoted string ("3", RFC 9110). Accepted: "3", W/"3"
// (weak and strong validators are the same thing here: a version names exactly
// one representation), a bare 3 (lenient clients), and * (the note must exist:
// the same as no header, since writes never create). A list of several ETags
// is refused: one write checks one version.
func ParseIfMatch(v string) (notes.Precondition, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return notes.Precondition{}, nil
	}
	bad := badRequest(codeInvalidIfMatch, fmt.Sprintf(`If-Match must be one ETag from this API, like "3"; got %q`, notes.Truncate(v, 40)))
	s := strings.TrimPrefix(v, "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != s {
		return notes.Precondition{}, bad
	}
	return notes.Precondition{Version: n}, nil
}

// ETag formats a note version as a strong entity tag.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// parseLimit reads the limit query parameter (default notes.DefaultLimit).
func parseLimit(v string) (int, error) {
	if v == "" {
		return notes.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(n) != v {
		return 0, badRequest(codeInvalidLimit, fmt.Sprintf("limit must be an integer between 1 and %d, not %q", notes.MaxLimit, notes.Truncate(v, 20)))
	}
	return n, nil
}
