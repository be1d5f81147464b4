package jwtauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	testIssuer = "http://127.0.0.1:9229/eu-west-1_abcdefghi"
	testClient = "abcdefghijklmnopqrstuvwxyz"
)

var (
	keysOnce sync.Once
	keyA     *rsa.PrivateKey
	keyB     *rsa.PrivateKey
)

// testKeys generates two RSA keys once per test binary: key generation is the slowest part of these tests.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return keyA, keyB
}

func sign(t testing.TB, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func accessClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "user-1", "client_id": testClient, "scope": "aws.cognito.signin.user.admin", "token_use": "access",
		"iss": testIssuer, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "auth_time": now.Unix(),
	}
}

func idClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "user-1", "aud": testClient, "token_use": "id", "email": "a@example.com",
		"iss": testIssuer, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func claimsJSON(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signPayload signs a raw JSON payload, for claims that jwt.MapClaims cannot marshal (1e400, explicit nulls).
func signPayload(t testing.TB, key *rsa.PrivateKey, kid, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"`+kid+`"}`)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodRS256.Sign(input, key)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// unsigned builds a token from a header, an already encoded payload and a fake signature, for algorithm attacks.
func unsigned(header, payload string, sig []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + payload + "." + enc.EncodeToString(sig)
}

func TestVerify(t *testing.T) {
	a, b := testKeys(t)
	now := time.Unix(1_800_000_000, 0)
	v, err := NewVerifier(StaticKeys{"ka": &a.PublicKey}, Expect{Issuer: testIssuer, Audiences: []string{testClient}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, a, "ka", accessClaims(now))
	parts := strings.Split(good, ".")
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","client_id":"` + testClient + `","iss":"` + testIssuer + `","exp":1900000000}`))
	pubDER, _ := x509.MarshalPKIXPublicKey(&a.PublicKey)
	hsConfusion := jwt.NewWithClaims(jwt.SigningMethodHS256, accessClaims(now))
	hsConfusion.Header["kid"] = "ka"
	hsToken, _ := hsConfusion.SignedString(pubDER)
	rs512 := jwt.NewWithClaims(jwt.SigningMethodRS512, accessClaims(now))
	rs512.Header["kid"] = "ka"
	rs512Token, _ := rs512.SignedString(a)

	tests := []struct {
		name    string
		token   string
		wantErr error
		wantSub string
	}{
		{"access token", good, nil, "user-1"},
		{"id token", sign(t, a, "ka", idClaims(now)), nil, "user-1"},
		{"aud list containing ours", sign(t, a, "ka", with(idClaims(now), "aud", []string{"other", testClient})), nil, "user-1"},
		{"nbf within leeway", sign(t, a, "ka", with(accessClaims(now), "nbf", now.Add(30*time.Second).Unix())), nil, "user-1"},
		{"expired", sign(t, a, "ka", with(accessClaims(now), "exp", now.Add(-time.Second).Unix())), ErrExpired, ""},
		{"expires this second", sign(t, a, "ka", with(accessClaims(now), "exp", now.Unix())), ErrExpired, ""},
		{"no exp", sign(t, a, "ka", with(accessClaims(now), "exp", nil)), ErrMalformed, ""},
		{"exp not a number", sign(t, a, "ka", with(accessClaims(now), "exp", "tomorrow")), ErrMalformed, ""},
		{"nbf in the future", sign(t, a, "ka", with(accessClaims(now), "nbf", now.Add(2*time.Minute).Unix())), ErrNotYetValid, ""},
		{"iat in the future", sign(t, a, "ka", with(accessClaims(now), "iat", now.Add(2*time.Minute).Unix())), ErrNotYetValid, ""},
		{"other issuer", sign(t, a, "ka", with(accessClaims(now), "iss", "http://127.0.0.1:9229/eu-west-1_other")), ErrWrongIssuer, ""},
		{"issuer with trailing slash", sign(t, a, "ka", with(accessClaims(now), "iss", testIssuer+"/")), ErrWrongIssuer, ""},
		{"no issuer", sign(t, a, "ka", with(accessClaims(now), "iss", nil)), ErrWrongIssuer, ""},
		{"access token of another client", sign(t, a, "ka", with(accessClaims(now), "client_id", "someoneelse")), ErrWrongAudience, ""},
		{"id token of another client", sign(t, a, "ka", with(idClaims(now), "aud", "someoneelse")), ErrWrongAudience, ""},
		{"aud decides even when client_id matches", sign(t, a, "ka", with(with(idClaims(now), "aud", "x"), "client_id", testClient)), ErrWrongAudience, ""},
		{"neither aud nor client_id", sign(t, a, "ka", with(accessClaims(now), "client_id", nil)), ErrWrongAudience, ""},
		{"signed by another key under our kid", sign(t, b, "ka", accessClaims(now)), ErrBadSignature, ""},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], ErrBadSignature, ""},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:20], ErrBadSignature, ""},
		{"unknown kid", sign(t, b, "kb", accessClaims(now)), ErrUnknownKey, ""},
		{"no kid", sign(t, a, "", accessClaims(now)), ErrMalformed, ""},
		{"alg none", unsigned(`{"alg":"none","kid":"ka"}`, parts[1], nil), ErrAlgorithm, ""},
		{"alg NONE with a signature", unsigned(`{"alg":"NONE","kid":"ka"}`, parts[1], []byte("x")), ErrAlgorithm, ""},
		{"HS256 keyed with the public key", hsToken, ErrAlgorithm, ""},
		{"RS512", rs512Token, ErrAlgorithm, ""},
		{"garbage", "not.a.jwt", ErrMalformed, ""},
		{"empty", "", ErrMalformed, ""},
		{"two segments", parts[0] + "." + parts[1], ErrMalformed, ""},
		// NumericDates beyond ±2^53 s cannot be read exactly as float64 seconds; int64(1e19) even wraps around.
		{"nbf 1e19", sign(t, a, "ka", with(accessClaims(now), "nbf", 1e19)), ErrMalformed, ""},
		{"iat 1e19", sign(t, a, "ka", with(accessClaims(now), "iat", 1e19)), ErrMalformed, ""},
		{"nbf -1e19", sign(t, a, "ka", with(accessClaims(now), "nbf", -1e19)), ErrMalformed, ""},
		{"exp beyond 2^53", sign(t, a, "ka", with(accessClaims(now), "exp", 1e17)), ErrMalformed, ""},
		{"exp 1e19", sign(t, a, "ka", with(accessClaims(now), "exp", 1e19)), ErrMalformed, ""},
		{"exp 1e400", signPayload(t, a, "ka", strings.Replace(claimsJSON(t, accessClaims(now)), `"exp":`, `"exp":1e400,"x":`, 1)), ErrMalformed, ""},
		{"iat a boolean", sign(t, a, "ka", with(accessClaims(now), "iat", true)), ErrMalformed, ""},
		{"nbf null", signPayload(t, a, "ka", strings.Replace(claimsJSON(t, accessClaims(now)), `"iat":`, `"nbf":null,"iat":`, 1)), ErrMalformed, ""},
		{"exp at 2^53", sign(t, a, "ka", with(accessClaims(now), "exp", float64(1<<53))), nil, "user-1"},
		{"fractional dates", sign(t, a, "ka", with(with(accessClaims(now), "iat", float64(now.Unix())+0.5), "exp", float64(now.Unix())+3600.25)), nil, "user-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := v.Verify(context.Background(), tc.token)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify() error = %v; want %v", err, tc.wantErr)
				}
				if claims != nil {
					t.Errorf("Verify() returned claims %v with an error", claims)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v; want nil", err)
			}
			if got := claims.Subject(); got != tc.wantSub {
				t.Errorf("Subject() = %q; want %q", got, tc.wantSub)
			}
		})
	}
}

func TestClaimsScopes(t *testing.T) {
	tests := []struct {
		claims Claims
		want   []string
	}{
		{Claims{"scope": "aws.cognito.signin.user.admin"}, []string{"aws.cognito.signin.user.admin"}},
		{Claims{"scope": "a  b c"}, []string{"a", "b", "c"}},
		{Claims{"token_use": "id"}, nil},
		{Claims{"scope": 3.0}, nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.claims.Scopes(), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%v.Scopes() mismatch (-want +got):\n%s", tc.claims, diff)
		}
	}
}

func TestNewVerifierValidates(t *testing.T) {
	a, _ := testKeys(t)
	keys := StaticKeys{"ka": &a.PublicKey}
	tests := []struct {
		name   string
		keys   KeySource
		expect Expect
	}{
		{"no keys", nil, Expect{Issuer: testIssuer, Audiences: []string{testClient}}},
		{"no issuer", keys, Expect{Audiences: []string{testClient}}},
		{"no audience", keys, Expect{Issuer: testIssuer}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewVerifier(tc.keys, tc.expect); err == nil {
				t.Error("NewVerifier() error = nil; want an error")
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	a, _ := testKeys(b)
	now := time.Unix(1_800_000_000, 0)
	v, err := NewVerifier(StaticKeys{"ka": &a.PublicKey}, Expect{Issuer: testIssuer, Audiences: []string{testClient}, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	token := sign(b, a, "ka", accessClaims(now))
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNumericDateRange: a NumericDate is a finite number of seconds within ±2^53; anything else is malformed,
// including values JSON cannot carry but a Claims map built in code can.
func TestNumericDateRange(t *testing.T) {
	tests := []struct {
		v    any
		want error
	}{
		{1_800_000_000.0, nil},
		{-1_800_000_000.0, nil},
		{float64(1 << 53), nil},
		{-float64(1 << 53), nil},
		{float64(1<<53) * 2, ErrMalformed},
		{math.NaN(), ErrMalformed},
		{math.Inf(1), ErrMalformed},
		{math.Inf(-1), ErrMalformed},
		{"1800000000", ErrMalformed},
		{nil, ErrMalformed},
		{json.Number("1800000000"), ErrMalformed},
	}
	for _, tc := range tests {
		_, ok, err := Claims{"exp": tc.v}.time("exp")
		if !errors.Is(err, tc.want) || ok != (tc.want == nil) {
			t.Errorf("time(exp=%v) = ok %v, error %v; want error %v", tc.v, ok, err, tc.want)
		}
	}
}
