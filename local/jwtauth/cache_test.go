package jwtauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// countingKeys counts how often a signature is checked: every verification asks for its key.
type countingKeys struct {
	keys  StaticKeys
	calls atomic.Int32
}

func (c *countingKeys) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	c.calls.Add(1)
	return c.keys.Key(ctx, kid)
}

// TestVerifiedTokensAreRemembered: a token verified once is accepted again without a signature check for
// VerifiedTTL, yet still expires on time, and a token differing in one byte or signed by a key that left the set
// after the TTL is refused.
func TestVerifiedTokensAreRemembered(t *testing.T) {
	a, b := testKeys(t)
	now := time.Unix(1_800_000_000, 0)
	keys := &countingKeys{keys: StaticKeys{"ka": &a.PublicKey}}
	v, err := NewVerifier(keys, Expect{Issuer: testIssuer, Audiences: []string{testClient}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	claims := accessClaims(now)
	claims["exp"] = now.Add(90 * time.Second).Unix()
	good := sign(t, a, "ka", claims)
	for range 3 {
		c, err := v.Verify(context.Background(), good)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		c["sub"] = "changed by the caller" // a caller's copy must not change what the next caller gets
	}
	if n := keys.calls.Load(); n != 1 {
		t.Errorf("3 verifications of one token checked the signature %d times, want 1", n)
	}
	if c, _ := v.Verify(context.Background(), good); c.Subject() != "user-1" {
		t.Errorf("sub = %q after a caller changed its copy, want user-1", c.Subject())
	}

	// One byte changed in the signature: not the remembered token, so its signature is checked and fails.
	b2 := []byte(good)
	if i := len(b2) - 5; b2[i] == 'A' {
		b2[i] = 'B'
	} else {
		b2[i] = 'A'
	}
	forged := string(b2)
	if _, err := v.Verify(context.Background(), forged); err == nil {
		t.Error("a token with a changed signature was accepted")
	}
	// Another key's token with the same claims is not the remembered one either.
	if _, err := v.Verify(context.Background(), sign(t, b, "ka", claims)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a token signed by another key: %v, want ErrBadSignature", err)
	}

	// After VerifiedTTL the signature is checked again: a key removed from the set no longer vouches for it.
	now = now.Add(VerifiedTTL + time.Second)
	delete(keys.keys, "ka")
	if _, err := v.Verify(context.Background(), good); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("after the TTL with the key gone: %v, want ErrUnknownKey", err)
	}

	// A remembered token still expires on time.
	keys.keys["ka"] = &a.PublicKey
	now = time.Unix(1_800_000_000, 0).Add(80 * time.Second)
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("Verify before exp: %v", err)
	}
	now = now.Add(10 * time.Second) // exactly exp, still within the TTL of the entry just made
	if _, err := v.Verify(context.Background(), good); !errors.Is(err, ErrExpired) {
		t.Errorf("a remembered token at its exp: %v, want ErrExpired", err)
	}
}

// TestRememberedTokensAreBounded: at most MaxVerified tokens are kept.
func TestRememberedTokensAreBounded(t *testing.T) {
	a, _ := testKeys(t)
	now := time.Unix(1_800_000_000, 0)
	v, err := NewVerifier(StaticKeys{"ka": &a.PublicKey}, Expect{Issuer: testIssuer, Audiences: []string{testClient}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxVerified + 10 {
		c := accessClaims(now)
		c["jti"] = i
		if _, err := v.Verify(context.Background(), sign(t, a, "ka", c)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.verified); n > MaxVerified {
		t.Errorf("%d tokens remembered, want at most %d", n, MaxVerified)
	}
}
