package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/authnotes/authnotes/local/loopback"
)

// apiError is a Cognito service error: HTTP 400 with {"__type", "message"}, which the SDKs turn into their
// typed exceptions.
type apiError struct {
	Type    string
	Message string
	status  int
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func errorf(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func notAuthorized(msg string) *apiError { return errorf("NotAuthorizedException", "%s", msg) }

func invalidParameter(format string, args ...any) *apiError {
	return errorf("InvalidParameterException", format, args...)
}

func internalError(err error) *apiError {
	return &apiError{Type: "InternalErrorException", Message: err.Error(), status: http.StatusInternalServerError}
}

var (
	errWrongCredentials  = notAuthorized("Incorrect username or password.")
	errInvalidAccess     = notAuthorized("Invalid Access Token")
	errLockedOut         = notAuthorized("Password attempts exceeded")
	errCodeMismatch      = errorf("CodeMismatchException", "Invalid verification code provided, please try again.")
	errCodeExpired       = errorf("ExpiredCodeException", "Invalid code provided, please request a code again.")
	errAttemptLimit      = errorf("LimitExceededException", "Attempt limit exceeded, please try after some time.")
	errAdminOnlyRecovery = notAuthorized("User password cannot be reset in the current state.")
)

// operation decodes its input itself so each keeps its own typed request.
type operation func(ctx context.Context, s *Server, body []byte) (any, error)

var operations = map[string]operation{}

// op registers a typed handler under its X-Amz-Target name.
func op[In any](name string, fn func(ctx context.Context, s *Server, in *In) (any, error)) {
	operations[name] = func(ctx context.Context, s *Server, body []byte) (any, error) {
		in := new(In)
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, errorf("SerializationException", "cannot read the %s request: %v", name, err)
			}
		}
		if err := checkInput(in); err != nil {
			return nil, err
		}
		return fn(ctx, s, in)
	}
}

const targetPrefix = "AWSCognitoIdentityProviderService."

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.serveAPI)
	mux.HandleFunc("OPTIONS /{$}", s.preflight)
	mux.HandleFunc("GET /{pool}/.well-known/jwks.json", s.servePoolDocument(func(p *pool) []byte { return p.jwks }))
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", s.servePoolDocument(func(p *pool) []byte { return p.openID }))
	mux.HandleFunc("GET /_local/outbox", s.serveOutbox)
	mux.HandleFunc("GET /_local/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := door.Refusal(r); why != "" {
			writeError(w, &apiError{Type: "AccessDeniedException", Message: why, status: http.StatusForbidden})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// door answers only this machine under a loopback host name, for every route (a refusal is an
// AccessDeniedException, 403): a web page that rebinds its own
// name to 127.0.0.1 would otherwise be same-origin with the endpoint and could read every answer (sign up and
// confirm accounts, read the outbox's codes). Web pages from the allowed origins (CORS) may call it.
var door = loopback.Door{Name: "the local Cognito endpoint", Browsers: true}

// cors lets the allowed browser origins (Options.CORSOrigins) read an answer: amazon-cognito-identity-js and Amplify
// call the endpoint from the app's page. The origin is echoed, never "*", and requests without an Origin (SDKs,
// curl) need no CORS headers.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.ContainsFunc(s.opts.CORSOrigins, func(o string) bool { return strings.EqualFold(o, origin) }) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "X-Amzn-Requestid, X-Amzn-Errortype, Date")
	return true
}

// preflight answers a browser's CORS preflight: the operations' headers for an allowed origin, 403 otherwise.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	if !s.cors(w, r) {
		http.Error(w, fmt.Sprintf("origin %q may not call this endpoint from a browser (allowed: %s)", r.Header.Get("Origin"), strings.Join(s.opts.CORSOrigins, ", ")), http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Amz-Target, X-Amz-User-Agent, X-Amz-Date, Authorization, Amz-Sdk-Invocation-Id, Amz-Sdk-Request, X-Amz-Security-Token, Cache-Control")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.cors(w, r)
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	var out any
	var err error
	switch {
	case !ok:
		err = errorf("UnknownOperationException", "X-Amz-Target %q is not an %s operation", target, strings.TrimSuffix(targetPrefix, "."))
	case operations[name] == nil:
		err = invalidParameter("operation %s is not supported by the local Cognito endpoint", name)
	case isAdmin(name) && !signedByAnSDK(r):
		err = errorf("MissingAuthenticationTokenException", "Missing Authentication Token: %s needs AWS credentials (any will do locally), and is refused from web pages", name)
	default:
		body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		var tooBig *http.MaxBytesError
		if errors.As(rerr, &tooBig) {
			err = &apiError{Type: "RequestEntityTooLargeException", status: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("Request body is larger than %d bytes, the most the local Cognito endpoint reads", maxRequestBody)}
			break
		}
		if rerr != nil {
			err = errorf("SerializationException", "read request: %v", rerr)
			break
		}
		out, err = operations[name](r.Context(), s, body)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	setProtocolHeaders(w)
	json.NewEncoder(w).Encode(out)
}

func setProtocolHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", newUUID())
}

// writeError answers with err as a Cognito error, which the SDKs turn into their typed exceptions.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = internalError(err)
	}
	status := ae.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	setProtocolHeaders(w)
	w.Header().Set("X-Amzn-Errortype", ae.Type)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": ae.Type, "message": ae.Message})
}

// servePoolDocument serves one of a pool's published documents (its JWKS, its OpenID configuration), built once
// when the pool was set up.
func (s *Server) servePoolDocument(doc func(*pool) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.pools[r.PathValue("pool")]
		if p == nil {
			http.Error(w, fmt.Sprintf("user pool %s does not exist", r.PathValue("pool")), http.StatusNotFound)
			return
		}
		s.cors(w, r)
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc(p))
	}
}

// openIDDocument is a pool's OpenID configuration, newline-terminated like the API's JSON answers.
func openIDDocument(issuer, jwksURI string) ([]byte, error) {
	doc, err := json.Marshal(map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              jwksURI,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"code", "token"},
		"scopes_supported":                      []string{"openid", "email", "phone", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
	if err != nil {
		return nil, fmt.Errorf("cognito: openid configuration: %w", err)
	}
	return append(doc, '\n'), nil
}

// serveOutbox lists the messages "sent" so far, newest last. Only this machine may read it: the codes in it
// sign people in.
func (s *Server) serveOutbox(w http.ResponseWriter, r *http.Request) {
	// The door has refused other machines and rebound names; without a CORS header (the outbox sends none) no web
	// page can read the answer either.
	to := r.URL.Query().Get("to")
	s.mu.Lock()
	msgs := make([]Message, 0, len(s.outbox))
	for _, m := range s.outbox {
		if to == "" || strings.EqualFold(m.Destination, to) || strings.EqualFold(m.Username, to) {
			msgs = append(msgs, m)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"messages": msgs})
}

// isAdmin reports whether an operation is one that Cognito only serves to IAM-signed requests.
func isAdmin(name string) bool {
	return strings.HasPrefix(name, "Admin") || name == "ListUsers" || name == "DescribeUserPool" || name == "DescribeUserPoolClient"
}

// signedByAnSDK reports whether a request carries a SigV4 signature, as Cognito requires for admin operations
// (the local endpoint accepts any credentials), and does not come from a web page: the endpoint answers browsers
// (CORS) for the public operations, and without this any site the developer visits could list users, read client
// secrets or set passwords through it.
func signedByAnSDK(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") && loopback.Browser(r) == ""
}
