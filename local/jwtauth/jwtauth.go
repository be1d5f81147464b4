// Package jwtauth verifies JSON Web Tokens the way an API Gateway HTTP API JWT authorizer does: RS256 only, the
// key chosen by `kid` from a key set, `iss` matched exactly, `aud` (or, when there is no `aud`, `client_id`)
// among the configured audiences, and `exp`, `nbf`, `iat` checked against the clock. It is the one token verifier
// of the project: the local gateway adds route scopes on top, the Cognito emulator uses it for its own APIs.
package jwtauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors returned by Verify, distinguishable with errors.Is. Every one of them means "401 Unauthorized" to an
// API Gateway client; they are kept apart for logs and tests.
var (
	ErrMalformed     = errors.New("malformed token")
	ErrAlgorithm     = errors.New("unsupported signing algorithm")
	ErrUnknownKey    = errors.New("no key for the token's kid")
	ErrBadSignature  = errors.New("bad signature")
	ErrExpired       = errors.New("token expired")
	ErrNotYetValid   = errors.New("token not yet valid")
	ErrWrongIssuer   = errors.New("wrong issuer")
	ErrWrongAudience = errors.New("wrong audience")
)

// DefaultLeeway is how far in the future `nbf` and `iat` may lie. The issuer's clock may run a little ahead of
// the verifier's (another host, or a container with a drifting clock); without a leeway a token used right
// after it was issued could be refused. `exp` gets no leeway: a token is never accepted past its expiry, which
// is what a user who sets a short validity expects and what the expiry tests pin down.
const DefaultLeeway = 60 * time.Second

// A verified token's signature is trusted again, without an RSA verification, for VerifiedTTL (its claims are
// checked again on every use, so it still expires on time); at most MaxVerified tokens are remembered. The RSA
// check is most of what the local gateway adds to a request; API Gateway, too, works from a cached key set, so a
// key removed from the JWKS stops being trusted only after a while.
const (
	VerifiedTTL = time.Minute
	MaxVerified = 4096
)

// KeySource returns the RSA public key with the given key ID. It returns an error wrapping ErrUnknownKey when
// it has no such key.
type KeySource interface {
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// Expect is what a token must carry to be accepted.
type Expect struct {
	// Issuer must equal the `iss` claim exactly (no trailing-slash tolerance, as in API Gateway).
	Issuer string
	// Audiences: the token's `aud` must contain one of them; a token without `aud` must have its `client_id`
	// among them. At least one is required.
	Audiences []string
	// Leeway for `nbf` and `iat` in the future. Default: DefaultLeeway. Negative means none.
	Leeway time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Verifier checks tokens against one issuer and audience list. It is safe for concurrent use.
type Verifier struct {
	keys   KeySource
	expect Expect
	parser *jwt.Parser

	mu       sync.Mutex
	verified map[string]verifiedToken // by the whole token string: a token that differs in any byte is a miss
}

type verifiedToken struct {
	claims Claims
	until  time.Time
}

// NewVerifier returns a verifier that takes keys from keys and accepts tokens matching expect.
func NewVerifier(keys KeySource, expect Expect) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("new verifier: no key source")
	}
	if expect.Issuer == "" {
		return nil, errors.New("new verifier: no issuer")
	}
	if len(expect.Audiences) == 0 {
		return nil, errors.New("new verifier: no audience")
	}
	if expect.Leeway == 0 {
		expect.Leeway = DefaultLeeway
	} else if expect.Leeway < 0 {
		expect.Leeway = 0
	}
	if expect.Now == nil {
		expect.Now = time.Now
	}
	expect.Audiences = slices.Clone(expect.Audiences)
	// Claims are validated below by hand: the authorizer's rules (aud else client_id, exp without leeway,
	// required kid) are not the library's defaults, and each failure needs its own error.
	return &Verifier{keys: keys, expect: expect, parser: jwt.NewParser(jwt.WithoutClaimsValidation()),
		verified: map[string]verifiedToken{}}, nil
}

// Verify checks the signature and the claims of raw and returns its claims (a copy the caller may keep).
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	now := v.expect.Now()
	v.mu.Lock()
	known, ok := v.verified[raw]
	v.mu.Unlock()
	if ok && now.Before(known.until) {
		if err := v.checkClaims(known.claims); err != nil {
			return nil, err
		}
		return maps.Clone(known.claims), nil
	}
	c, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.verified) >= MaxVerified {
		for k, e := range v.verified {
			if !now.Before(e.until) {
				delete(v.verified, k)
			}
		}
		if len(v.verified) >= MaxVerified {
			clear(v.verified)
		}
	}
	v.verified[raw] = verifiedToken{claims: c, until: now.Add(VerifiedTTL)}
	v.mu.Unlock()
	return maps.Clone(c), nil
}

// verify checks the signature and the claims of raw.
func (v *Verifier) verify(ctx context.Context, raw string) (Claims, error) {
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != jwt.SigningMethodRS256.Alg() {
			return nil, fmt.Errorf("%w: %q", ErrAlgorithm, t.Method.Alg())
		}
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, fmt.Errorf("%w: no kid in header", ErrMalformed)
		}
		return v.keys.Key(ctx, kid)
	})
	if err != nil {
		return nil, classify(err)
	}
	c := Claims(claims)
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	return c, nil
}

// classify maps the library's errors onto ours, keeping the library's message as context.
func classify(err error) error {
	for _, ours := range []error{ErrAlgorithm, ErrMalformed, ErrUnknownKey} {
		if errors.Is(err, ours) {
			return err
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	case errors.Is(err, jwt.ErrTokenUnverifiable) && strings.Contains(err.Error(), "signing method"):
		// An alg the library does not know at all ("signing method (alg) is unavailable").
		return fmt.Errorf("%w: %v", ErrAlgorithm, err)
	default:
		// The key source failed (JWKS unreachable): not the token's fault, but it still cannot be accepted.
		return fmt.Errorf("verify token: %w", err)
	}
}

func (v *Verifier) checkClaims(c Claims) error {
	now := v.expect.Now()
	exp, ok, err := c.time("exp")
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%w: no exp claim", ErrMalformed)
	case !now.Before(exp):
		return fmt.Errorf("%w: at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	for _, name := range []string{"nbf", "iat"} {
		t, ok, err := c.time(name)
		if err != nil {
			return err
		}
		if ok && t.After(now.Add(v.expect.Leeway)) {
			return fmt.Errorf("%w: %s is %s", ErrNotYetValid, name, t.UTC().Format(time.RFC3339))
		}
	}
	if iss, _ := c["iss"].(string); iss != v.expect.Issuer {
		return fmt.Errorf("%w: %q", ErrWrongIssuer, iss)
	}
	return v.checkAudience(c)
}

// checkAudience applies API Gateway's rule: when `aud` is present it decides alone; only a token without `aud`
// (a Cognito access token) is judged by `client_id`.
func (v *Verifier) checkAudience(c Claims) error {
	if aud, present := c["aud"]; present {
		var auds []string
		switch a := aud.(type) {
		case string:
			auds = []string{a}
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok {
					auds = append(auds, s)
				}
			}
		default:
			return fmt.Errorf("%w: aud is %T", ErrMalformed, aud)
		}
		for _, a := range auds {
			if slices.Contains(v.expect.Audiences, a) {
				return nil
			}
		}
		return fmt.Errorf("%w: aud %q", ErrWrongAudience, auds)
	}
	cid, _ := c["client_id"].(string)
	if cid != "" && slices.Contains(v.expect.Audiences, cid) {
		return nil
	}
	return fmt.Errorf("%w: client_id %q", ErrWrongAudience, cid)
}

// Claims are a verified token's claims as decoded from JSON (numbers are float64).
type Claims map[string]any

// String returns the claim name if it is a string, else "".
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Scopes splits the space-separated `scope` claim (only access tokens carry one).
func (c Claims) Scopes() []string {
	return strings.Fields(c.String("scope"))
}

// Subject is the `sub` claim: the user's stable ID.
func (c Claims) Subject() string { return c.String("sub") }

// TokenUse is Cognito's `token_use` claim: "id" or "access".
func (c Claims) TokenUse() string { return c.String("token_use") }

// maxNumericDate bounds NumericDate claims to ±2^53 seconds: float64 holds every whole second up to there, and
// beyond it int64(f) can wrap around (1e19 becomes a date in the past on amd64, so a token "not before" the year
// 300 billion would pass).
const maxNumericDate = 1 << 53

// time reads a NumericDate claim; ok is false when it is absent.
func (c Claims) time(name string) (t time.Time, ok bool, err error) {
	v, present := c[name]
	if !present {
		return time.Time{}, false, nil
	}
	f, isNum := v.(float64)
	if !isNum {
		return time.Time{}, false, fmt.Errorf("%w: %s is not a number", ErrMalformed, name)
	}
	// The negated comparison also refuses NaN, which JSON cannot carry but a Claims built in code can.
	if !(f >= -maxNumericDate && f <= maxNumericDate) {
		return time.Time{}, false, fmt.Errorf("%w: %s %g is outside ±2^53 seconds", ErrMalformed, name, f)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true, nil
}
