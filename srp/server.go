package srp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
)

// ErrMismatch means the password (or the password claim) is wrong.
var ErrMismatch = errors.New("password does not match")

// modBytes is the byte length of values modulo N, used to compare verifiers in constant time.
const modBytes = 384

// Verifier is what the server stores instead of a password: the salt and v = g^x. It also checks plain
// passwords (USER_PASSWORD_AUTH) by recomputing v.
type Verifier struct {
	Salt []byte // random, 16 bytes
	V    []byte // g^x mod N, big-endian, 384 bytes
}

// NewVerifier makes the verifier of a password for a user at sign-up. userID is the name the server will send
// as USER_ID_FOR_SRP, and poolName the pool ID's part after the underscore.
func NewVerifier(poolName, userID, password string) (Verifier, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, fmt.Errorf("srp: salt: %w", err)
	}
	return verifierFor(poolName, userID, password, salt), nil
}

func verifierFor(poolName, userID, password string, salt []byte) Verifier {
	x := privateX(poolName, userID, password, new(big.Int).SetBytes(salt))
	v := powG(x)
	return Verifier{Salt: salt, V: v.FillBytes(make([]byte, modBytes))}
}

// FakeVerifier is a stable stand-in for a user that does not exist, derived from a server secret: sign-in
// attempts for unknown names get the same salt every time and cost the same work as for a real user, so neither
// the answers nor their timing reveal who has an account. No password matches it.
func FakeVerifier(secret []byte, poolName, userID string) Verifier {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(poolName))
	m.Write([]byte{0})
	m.Write([]byte(userID))
	seed := m.Sum(nil)
	v := make([]byte, modBytes)
	// v only has to be a number below N that nobody knows the logarithm of; expanding the seed is enough.
	for i := 0; i < modBytes; i += sha256.Size {
		copy(v[i:], hashBytes(seed, []byte{byte(i)}))
	}
	v[0] &= 0x7f
	return Verifier{Salt: seed[:16], V: v}
}

// SaltHex is the SALT challenge parameter.
func (v Verifier) SaltHex() string { return hex.EncodeToString(v.Salt) }

// Check reports whether password is the user's password, in time independent of where a mismatch lies. It
// returns ErrMismatch when it is not.
func (v Verifier) Check(poolName, userID, password string) error {
	got := verifierFor(poolName, userID, password, v.Salt)
	if subtle.ConstantTimeCompare(got.V, v.V) != 1 {
		return ErrMismatch
	}
	return nil
}

// ServerSession is one SRP sign-in attempt seen from the server: the client's A, a fresh secret b and the
// public B = k·v + g^b.
type ServerSession struct {
	poolName, userID string
	v, bigA, b, bigB *big.Int
}

// ParseA reads an SRP_A challenge parameter: a hex number in [1, N-1], like every A a client computes (g^a mod N).
// Anything else is refused with ErrBadValue: an A that is zero modulo N would let a client sign in without the
// password, and one of N or more only costs the server work.
func ParseA(srpAHex string) (*big.Int, error) {
	bigA, err := parseHex("SRP_A", srpAHex)
	if err != nil {
		return nil, err
	}
	if bigA.Sign() == 0 || bigA.Cmp(groupN) >= 0 {
		return nil, fmt.Errorf("%w: SRP_A is not between 1 and N-1", ErrBadValue)
	}
	return bigA, nil
}

// Modulus returns a copy of N, the 3072-bit prime of the group.
func Modulus() *big.Int { return new(big.Int).Set(groupN) }

// NewServerSession answers an InitiateAuth USER_SRP_AUTH with SRP_A srpAHex for the user userID whose verifier
// is v. It refuses an A outside [1, N-1] (see ParseA).
func NewServerSession(poolName, userID, srpAHex string, v Verifier) (*ServerSession, error) {
	bigA, err := ParseA(srpAHex)
	if err != nil {
		return nil, err
	}
	vInt := new(big.Int).SetBytes(v.V)
	for {
		b, err := randomExponent()
		if err != nil {
			return nil, err
		}
		if s := newServerSession(poolName, userID, bigA, vInt, b); s != nil {
			return s, nil
		}
	}
}

// newServerSession computes B for a given b; it returns nil for the (astronomically unlikely) b that gives
// B = 0 or u = 0, which the caller retries.
func newServerSession(poolName, userID string, bigA, v, b *big.Int) *ServerSession {
	bigB := powG(b)
	bigB.Add(bigB, new(big.Int).Mul(groupK, v))
	bigB.Mod(bigB, groupN)
	if bigB.Sign() == 0 || scramble(bigA, bigB).Sign() == 0 {
		return nil
	}
	return &ServerSession{poolName: poolName, userID: userID, v: v, bigA: bigA, b: b, bigB: bigB}
}

// SRPB is the SRP_B challenge parameter: B in hex.
func (s *ServerSession) SRPB() string { return s.bigB.Text(16) }

// VerifyClaim checks the PASSWORD_CLAIM_SIGNATURE the client computed over the secret block (the raw bytes
// behind SECRET_BLOCK) and the timestamp it sent. It returns ErrMismatch for a wrong password. The timestamp's
// freshness is the caller's policy.
func (s *ServerSession) VerifyClaim(secretBlock []byte, timestamp, signature string) error {
	u := scramble(s.bigA, s.bigB)
	// S = (A · v^u)^b mod N
	base := new(big.Int).Exp(s.v, u, groupN)
	base.Mul(base, s.bigA)
	base.Mod(base, groupN)
	sInt := new(big.Int).Exp(base, s.b, groupN)
	key, err := sessionKey(sInt, u)
	if err != nil {
		return err
	}
	want := claimSignature(key, s.poolName, s.userID, secretBlock, timestamp)
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: PASSWORD_CLAIM_SIGNATURE is not base64", ErrMismatch)
	}
	if !hmac.Equal(got, want) {
		return ErrMismatch
	}
	return nil
}
