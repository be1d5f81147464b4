// Package srp implements the SRP-6a variant Amazon Cognito uses for USER_SRP_AUTH, both sides: the client math
// that proves a password without sending it, and the server math (verifier at sign-up, B, the shared key and the
// PASSWORD_CLAIM_SIGNATURE check) that the local Cognito emulator runs. Every hashing and padding rule follows
// amazon-cognito-identity-js (src/AuthenticationHelper.js), the client browsers and Amplify use, so the two
// interoperate byte for byte.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// nHex is the 3072-bit MODP group of RFC 5054 (appendix A), the one Cognito uses; g is 2.
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
	"ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
	"F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
	"43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

// infoBits is the HKDF info Cognito uses; the trailing 0x01 of the JS code is HKDF's own block counter.
const infoBits = "Caldera Derived Key"

// TimestampLayout is the format of the TIMESTAMP challenge response: UTC, day of month not zero-padded
// ("Tue Mar 3 09:05:07 UTC 2026"), as amazon-cognito-identity-js's DateHelper writes it.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// exponentBytes is the size of the random secret exponents a and b. RFC 5054 asks for at least 256 bits;
// amazon-cognito-identity-js uses 1024, which costs four times as much per exponentiation for no practical gain,
// so our own client and server use 256 bits (the other side never sees the exponent's size).
const exponentBytes = 32

var (
	groupN = mustHex(nHex)
	groupG = big.NewInt(2)
	// groupK is k = H(PAD(N) | PAD(g)).
	groupK = new(big.Int).SetBytes(hashBytes(pad(groupN), pad(groupG)))
)

// ErrBadValue reports an SRP public value or parameter that must be refused (zero modulo N, not hex, …).
var ErrBadValue = errors.New("invalid srp value")

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad constant " + s)
	}
	return n
}

// PoolName is the part of a user pool ID after the underscore ("eu-west-1_AbC123xyz" → "AbC123xyz"): the
// name Cognito mixes into x and into the claim signature.
func PoolName(poolID string) string {
	_, name, found := strings.Cut(poolID, "_")
	if !found {
		return poolID
	}
	return name
}

// pad is the JS padHex for non-negative integers as bytes: big-endian, minimal, with a 0x00 prepended when the
// top bit is set so that the value reads as positive; zero is one 0x00 byte.
func pad(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

func hashBytes(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// parseHex reads a hex integer as the JS client sends it (no padding, any case).
func parseHex(name, s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("%w: %s is not a hex number", ErrBadValue, name)
	}
	return n, nil
}

func randomExponent() (*big.Int, error) {
	b := make([]byte, exponentBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("srp: random exponent: %w", err)
	}
	return new(big.Int).SetBytes(b), nil
}

// privateX is x = H(PAD(salt) | H(poolName | userID | ":" | password)).
func privateX(poolName, userID, password string, salt *big.Int) *big.Int {
	inner := hashBytes([]byte(poolName), []byte(userID), []byte(":"), []byte(password))
	return new(big.Int).SetBytes(hashBytes(pad(salt), inner))
}

// scramble is u = H(PAD(A) | PAD(B)).
func scramble(a, b *big.Int) *big.Int {
	return new(big.Int).SetBytes(hashBytes(pad(a), pad(b)))
}

// sessionKey is the 16-byte HKDF-SHA256 of PAD(S) salted with PAD(u).
func sessionKey(s, u *big.Int) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, pad(s), pad(u), infoBits, 16)
	if err != nil {
		return nil, fmt.Errorf("srp: derive key: %w", err)
	}
	return key, nil
}

// claimSignature is HMAC-SHA256(key, poolName | userID | secretBlock | timestamp); it travels in base64.
func claimSignature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// FormatTimestamp renders t as a TIMESTAMP challenge response.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(TimestampLayout)
}

// ParseTimestamp reads a TIMESTAMP challenge response.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(TimestampLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is not like %q", ErrBadValue, s, TimestampLayout)
	}
	return t, nil
}
