package jwtauth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus RS256 allows.
const minRSABits = 2048

// StaticKeys is a fixed key set, for a verifier in the same process as the issuer.
type StaticKeys map[string]*rsa.PublicKey

// Key implements KeySource.
func (s StaticKeys) Key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
}

// ParseJWKS reads the RSA signing keys of a JSON Web Key Set document. Keys that are not RSA, are meant for
// encryption, name another algorithm than RS256, or are shorter than the 2048 bits RS256 requires (RFC 7518
// section 3.3) are skipped: they could never verify a token we accept. Each
// key is parsed on its own, so one this package cannot read (another key type, an unknown curve, a malformed
// member) is skipped too instead of hiding the good keys next to it.
func ParseJWKS(doc []byte) (StaticKeys, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	keys := StaticKeys{}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() < minRSABits || k.KeyID == "" || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != "RS256") {
			continue
		}
		keys[k.KeyID] = pub
	}
	return keys, nil
}

// JWKSOptions tune a remote key set. Zero values take the defaults.
type JWKSOptions struct {
	// Client fetches the document. Default: a client with a 10 s timeout.
	Client *http.Client
	// MaxAge is how long a fetched set is used before it is fetched again. Default: 1 hour.
	MaxAge time.Duration
	// MinRefetch is the least time between two fetches triggered by unknown key IDs, so that a flood of tokens
	// with random kids costs the JWKS endpoint at most one request per interval. Default: 30 s.
	MinRefetch time.Duration
	// RetryAfterFailure is the least time between a failed fetch and the next attempt: short, so a verifier that
	// started before its issuer recovers quickly, yet still one request per interval. Default: 1 s.
	RetryAfterFailure time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// JWKS is a remote key set (an issuer's jwks_uri), fetched on first use, cached, and fetched again when it is
// older than MaxAge or when a token names a kid it does not hold (the issuer rotated its key), at most once per
// MinRefetch.
type JWKS struct {
	url  string
	opts JWKSOptions

	mu        sync.Mutex // held during a fetch so concurrent misses share one request
	keys      StaticKeys
	fetchedAt time.Time
	triedAt   time.Time // last fetch attempt, successful or not
	failed    bool      // whether that attempt failed
}

// NewJWKS returns a key source reading the JWKS document at url.
func NewJWKS(url string, opts JWKSOptions) *JWKS {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = time.Hour
	}
	if opts.MinRefetch <= 0 {
		opts.MinRefetch = 30 * time.Second
	}
	if opts.RetryAfterFailure <= 0 {
		opts.RetryAfterFailure = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &JWKS{url: url, opts: opts}
}

// Key implements KeySource.
func (j *JWKS) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.opts.Now()
	stale := j.keys == nil || now.Sub(j.fetchedAt) >= j.opts.MaxAge
	if k, ok := j.keys[kid]; ok && !stale {
		return k, nil
	}
	wait := j.opts.MinRefetch
	if j.failed {
		wait = j.opts.RetryAfterFailure
	}
	if !j.triedAt.IsZero() && now.Sub(j.triedAt) < wait {
		if k, ok := j.keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("%w: %q (key set fetched %s ago, not refetched yet)", ErrUnknownKey, kid, now.Sub(j.triedAt).Round(time.Millisecond))
	}
	j.triedAt = now
	keys, err := j.fetch(ctx)
	j.failed = err != nil
	if err != nil {
		if k, ok := j.keys[kid]; ok {
			// Keep serving a known key while the endpoint is briefly down.
			return k, nil
		}
		return nil, err
	}
	j.keys, j.fetchedAt = keys, now
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
}

func (j *JWKS) fetch(ctx context.Context) (StaticKeys, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks %s: %w", j.url, err)
	}
	resp, err := j.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch jwks %s: %w", j.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks %s: status %s", j.url, resp.Status)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks %s: %w", j.url, err)
	}
	if len(keys) == 0 {
		return nil, errors.New("fetch jwks " + j.url + ": no RS256 signing keys in the set")
	}
	return keys, nil
}
