package dynamoguard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

const (
	algorithm = "AWS4-HMAC-SHA256"
	// amzDate is the layout of X-Amz-Date (ISO 8601 basic format, UTC).
	amzDate = "20060102T150405Z"
	// AWS's own messages, so a client sees what it would see from DynamoDB.
	msgMissingToken   = "Request is missing Authentication Token"
	msgUnknownKey     = "The security token included in the request is invalid."
	msgSignatureWrong = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// authorization is the parsed Authorization header of a SigV4 request.
type authorization struct {
	accessKey, date, region, service, terminator string
	signedHeaders                                []string
	signature                                    string
}

// verify checks the request's signature by signing a copy of it, made of exactly the parts the caller signed, with
// the local credentials, the caller's date and the guard's region, and comparing the two signatures.
func (g *Guard) verify(r *http.Request, body []byte) *Refusal {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return &Refusal{Status: http.StatusBadRequest, Type: "MissingAuthenticationTokenException", Message: msgMissingToken}
	}
	if len(values) > 1 {
		return incomplete("a request carries one Authorization header, not %d", len(values))
	}
	auth, ref := parseAuthorization(values[0])
	if ref != nil {
		return ref
	}
	if subtle.ConstantTimeCompare([]byte(auth.accessKey), []byte(g.creds.AccessKeyID)) != 1 {
		return &Refusal{Status: http.StatusBadRequest, Type: "UnrecognizedClientException", Message: msgUnknownKey}
	}
	// The local credentials have no session token: a request that carries one was not made with them.
	if _, ok := r.Header["X-Amz-Security-Token"]; ok && g.creds.SessionToken == "" {
		return &Refusal{Status: http.StatusBadRequest, Type: "UnrecognizedClientException", Message: msgUnknownKey}
	}
	signed, ref := g.checkScope(r, auth)
	if ref != nil {
		return ref
	}
	copied, ref := signedCopy(r, auth, len(body))
	if ref != nil {
		return ref
	}
	sum := sha256.Sum256(body)
	if err := g.signer.SignHTTP(context.Background(), g.creds, copied, hex.EncodeToString(sum[:]), auth.service, auth.region, signed); err != nil {
		return invalid("cannot sign the request: %v", err)
	}
	want, _ := parseAuthorization(copied.Header.Get("Authorization"))
	if want.signature == "" || subtle.ConstantTimeCompare([]byte(want.signature), []byte(auth.signature)) != 1 {
		return invalid("%s", msgSignatureWrong)
	}
	return nil
}

// checkScope checks the credential scope and the date as AWS does, and returns the signing time.
func (g *Guard) checkScope(r *http.Request, auth authorization) (time.Time, *Refusal) {
	raw := r.Header.Get("X-Amz-Date")
	if raw == "" {
		return time.Time{}, incomplete("Authorization header requires existence of a 'X-Amz-Date' header. Authorization=%.200s", r.Header.Get("Authorization"))
	}
	signed, err := time.Parse(amzDate, raw)
	if err != nil {
		return time.Time{}, incomplete("X-Amz-Date %.100q is not an ISO 8601 basic date (%s)", raw, amzDate)
	}
	now := g.now().UTC()
	if signed.Before(now.Add(-MaxSkew)) {
		return time.Time{}, invalid("Signature expired: %s is now earlier than %s (%s - 15 min.)", raw, now.Add(-MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	if signed.After(now.Add(MaxSkew)) {
		return time.Time{}, invalid("Signature not yet current: %s is still later than %s (%s + 15 min.)", raw, now.Add(MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	if day := signed.Format("20060102"); auth.date != day {
		return time.Time{}, invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%.100s' != '%s', from 'X-Amz-Date'.", auth.date, day)
	}
	if auth.region != g.region {
		return time.Time{}, invalid("Credential should be scoped to a valid region, not '%.100s'. This DynamoDB is the twin's, in %s.", auth.region, g.region)
	}
	if auth.service != Service {
		return time.Time{}, invalid("Credential should be scoped to correct service: '%s'.", Service)
	}
	if auth.terminator != "aws4_request" {
		return time.Time{}, invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '%.100s'.", auth.terminator)
	}
	return signed, nil
}

// signedCopy rebuilds the request from the parts the caller signed: method, path, query, host and the headers it
// names in SignedHeaders, so headers added on the way (or left unsigned) neither break nor forge the signature.
func signedCopy(r *http.Request, auth authorization, bodyLen int) (*http.Request, *Refusal) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	hasHost := false
	for _, name := range auth.signedHeaders {
		switch name {
		case "host":
			hasHost = true
		case "content-length":
			c.ContentLength = int64(bodyLen)
		default:
			key := textproto.CanonicalMIMEHeaderKey(name)
			if v, ok := r.Header[key]; ok {
				c.Header[key] = v
			}
		}
	}
	if !hasHost {
		return nil, incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return c, nil
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex".
func parseAuthorization(header string) (authorization, *Refusal) {
	var a authorization
	alg, rest, _ := strings.Cut(header, " ")
	if alg != algorithm {
		return a, incomplete("Unsupported AWS 'algorithm': '%.100s'; DynamoDB takes %s", alg, algorithm)
	}
	var credential, signedHeaders string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			a.signature = v
		}
	}
	for name, v := range map[string]string{"Credential": credential, "SignedHeaders": signedHeaders, "Signature": a.signature} {
		if v == "" {
			return a, incomplete("Authorization header requires '%s' parameter. Authorization=%.200s", name, header)
		}
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 {
		return a, incomplete("Credential should have 5 slash-separated parts (key/date/region/service/aws4_request), not %d", len(scope))
	}
	a.accessKey, a.date, a.region, a.service, a.terminator = scope[0], scope[1], scope[2], scope[3], scope[4]
	a.signedHeaders = strings.Split(signedHeaders, ";")
	return a, nil
}

func incomplete(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: "IncompleteSignatureException", Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: "InvalidSignatureException", Message: fmt.Sprintf(format, args...)}
}
