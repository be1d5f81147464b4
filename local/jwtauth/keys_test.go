package jwtauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksServer serves a key set that the test can swap, and counts fetches.
type jwksServer struct {
	mu      sync.Mutex
	doc     []byte
	status  int
	fetches int
}

func (s *jwksServer) set(t *testing.T, keys map[string]*rsa.PublicKey) {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	doc, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.status = doc, http.StatusOK
}

func (s *jwksServer) fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if s.status != http.StatusOK {
		http.Error(w, "down", s.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.doc)
}

// fakeClock is a settable clock for cache expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newJWKSFixture(t *testing.T) (*jwksServer, *JWKS, *fakeClock) {
	t.Helper()
	srv := &jwksServer{}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	return srv, NewJWKS(hs.URL, JWKSOptions{MinRefetch: 30 * time.Second, MaxAge: time.Hour, Now: clock.Now}), clock
}

func TestJWKSCachesAndRefetchesOnRotation(t *testing.T) {
	a, b := testKeys(t)
	srv, jwks, clock := newJWKSFixture(t)
	srv.set(t, map[string]*rsa.PublicKey{"ka": &a.PublicKey})
	ctx := context.Background()
	v, err := NewVerifier(jwks, Expect{Issuer: testIssuer, Audiences: []string{testClient}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}

	for range 3 {
		if _, err := v.Verify(ctx, sign(t, a, "ka", accessClaims(clock.Now()))); err != nil {
			t.Fatalf("Verify(token by ka) error = %v", err)
		}
	}
	if got := srv.count(); got != 1 {
		t.Fatalf("fetches after 3 verifications = %d; want 1 (cached)", got)
	}

	// The issuer rotates to kb. Right after the first fetch a refetch is not allowed yet.
	srv.set(t, map[string]*rsa.PublicKey{"kb": &b.PublicKey})
	if _, err := v.Verify(ctx, sign(t, b, "kb", accessClaims(clock.Now()))); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify(token by kb) within MinRefetch error = %v; want ErrUnknownKey", err)
	}
	clock.advance(31 * time.Second)
	if _, err := v.Verify(ctx, sign(t, b, "kb", accessClaims(clock.Now()))); err != nil {
		t.Fatalf("Verify(token by kb) after rotation error = %v; want nil", err)
	}
	if got := srv.count(); got != 2 {
		t.Errorf("fetches after rotation = %d; want 2", got)
	}
	if _, err := v.Verify(ctx, sign(t, a, "ka", accessClaims(clock.Now()))); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(token by retired ka) error = %v; want ErrUnknownKey", err)
	}
}

func TestJWKSUnknownKidFloodIsRateLimited(t *testing.T) {
	a, _ := testKeys(t)
	srv, jwks, clock := newJWKSFixture(t)
	srv.set(t, map[string]*rsa.PublicKey{"ka": &a.PublicKey})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := jwks.Key(ctx, fmt.Sprintf("random-%d", i)); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("Key(random) error = %v; want ErrUnknownKey", err)
			}
		}()
	}
	wg.Wait()
	if got := srv.count(); got != 1 {
		t.Errorf("fetches for 200 random kids = %d; want 1", got)
	}
	clock.advance(31 * time.Second)
	jwks.Key(ctx, "random-again")
	if got := srv.count(); got != 2 {
		t.Errorf("fetches after MinRefetch = %d; want 2", got)
	}
}

func TestJWKSMaxAgeAndOutage(t *testing.T) {
	a, _ := testKeys(t)
	srv, jwks, clock := newJWKSFixture(t)
	srv.set(t, map[string]*rsa.PublicKey{"ka": &a.PublicKey})
	ctx := context.Background()
	if _, err := jwks.Key(ctx, "ka"); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Hour)
	srv.fail(http.StatusServiceUnavailable)
	if _, err := jwks.Key(ctx, "ka"); err != nil {
		t.Errorf("Key(ka) with a stale set during an outage error = %v; want the cached key", err)
	}
	if got := srv.count(); got != 2 {
		t.Errorf("fetches = %d; want 2 (stale set refetched)", got)
	}
	clock.advance(time.Minute)
	if _, err := jwks.Key(ctx, "kb"); err == nil || errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(kb) during an outage error = %v; want the fetch error", err)
	}
}

func TestJWKSBadDocuments(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"not json", "<html>"},
		{"no keys", `{"keys":[]}`},
		{"only an encryption key", `{"keys":[{"kty":"RSA","use":"enc","kid":"k","n":"AQAB","e":"AQAB"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tc.doc) }))
			t.Cleanup(hs.Close)
			_, err := NewJWKS(hs.URL, JWKSOptions{}).Key(context.Background(), "k")
			if err == nil || errors.Is(err, ErrUnknownKey) {
				t.Errorf("Key() error = %v; want a fetch error", err)
			}
		})
	}
}

func TestJWKSRetriesSoonAfterAFailure(t *testing.T) {
	a, _ := testKeys(t)
	srv, jwks, clock := newJWKSFixture(t)
	srv.fail(http.StatusServiceUnavailable)
	ctx := context.Background()
	if _, err := jwks.Key(ctx, "ka"); err == nil {
		t.Fatal("Key() with the issuer down error = nil")
	}
	srv.set(t, map[string]*rsa.PublicKey{"ka": &a.PublicKey})
	if _, err := jwks.Key(ctx, "ka"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key() right after a failure error = %v; want ErrUnknownKey without a new request", err)
	}
	clock.advance(1100 * time.Millisecond)
	if _, err := jwks.Key(ctx, "ka"); err != nil {
		t.Errorf("Key() a second after a failure error = %v; want the key", err)
	}
	if got := srv.count(); got != 2 {
		t.Errorf("fetches = %d; want 2", got)
	}
}

// TestParseJWKSSkipsKeysItCannotUse: keys of other types (OKP, EC, symmetric), of an unknown type or malformed sit
// next to the RSA signing key in real key sets (an issuer rotating algorithms); each is skipped on its own and the
// RSA key is still found.
func TestParseJWKSSkipsKeysItCannotUse(t *testing.T) {
	a, _ := testKeys(t)
	good, err := json.Marshal(jose.JSONWebKey{Key: &a.PublicKey, KeyID: "good", Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := json.Marshal(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "weak", Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	others := map[string]string{
		"OKP":            `{"kty":"OKP","crv":"Ed25519","kid":"okp","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		"OKP X25519":     `{"kty":"OKP","crv":"X25519","kid":"x25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}`,
		"EC":             `{"kty":"EC","crv":"P-256","kid":"ec","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`,
		"unknown kty":    `{"kty":"XYZ","kid":"xyz","x":"AQAB"}`,
		"symmetric":      `{"kty":"oct","kid":"oct","k":"c2VjcmV0"}`,
		"malformed RSA":  `{"kty":"RSA","kid":"bad","n":"not base64!","e":"AQAB"}`,
		"not an object":  `"just a string"`,
		"unknown curve":  `{"kty":"EC","crv":"P-999","kid":"ec2","x":"AQAB","y":"AQAB"}`,
		"RSA without n":  `{"kty":"RSA","kid":"non","e":"AQAB"}`,
		"wrong e length": `{"kty":"RSA","kid":"bige","n":"AQAB","e":"AQABAQABAQABAQAB"}`,
		// Found by FuzzParseJWKS: an empty n parsed as a 0-bit key. RS256 wants 2048 bits at least (RFC 7518 3.3).
		"empty n":       `{"kty":"RSA","kid":"empty","e":"AQAB","n":""}`,
		"RSA-1024":      string(weak),
		"weak good kid": strings.Replace(string(weak), `"kid":"weak"`, `"kid":"good"`, 1),
	}
	for name, other := range others {
		t.Run(name, func(t *testing.T) {
			for _, doc := range []string{`{"keys":[` + other + `,` + string(good) + `]}`, `{"keys":[` + string(good) + `,` + other + `]}`} {
				keys, err := ParseJWKS([]byte(doc))
				if err != nil {
					t.Fatalf("ParseJWKS(%s) error = %v; want the RSA key", doc, err)
				}
				if len(keys) != 1 || keys["good"] == nil || keys["good"].N.Cmp(a.PublicKey.N) != 0 {
					t.Errorf("ParseJWKS(%s) = %v; want only the RSA key \"good\"", doc, keys)
				}
			}
		})
	}
	for _, doc := range []string{`<html>`, `{"keys":{}}`, `[]`} {
		if _, err := ParseJWKS([]byte(doc)); err == nil {
			t.Errorf("ParseJWKS(%s) error = nil; want an error: it is not a key set", doc)
		}
	}
}

// FuzzParseJWKS: a key set document comes from the network; whatever it holds, ParseJWKS returns RSA keys with a
// kid, or an error, and never panics. The seeds in testdata/fuzz/FuzzParseJWKS mix every kind of key.
func FuzzParseJWKS(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := ParseJWKS(doc)
		if err != nil {
			return
		}
		for kid, k := range keys {
			if kid == "" || k == nil || k.N == nil || k.N.Sign() <= 0 {
				t.Fatalf("ParseJWKS(%.200q) returned key %q = %v", doc, kid, k)
			}
		}
	})
}
