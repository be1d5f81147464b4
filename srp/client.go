package srp

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"time"
)

// Client is one SRP sign-in attempt seen from the client: a fresh secret a and its public A = g^a.
type Client struct {
	poolName string
	a, bigA  *big.Int
}

// NewClient starts a sign-in to the pool with the given ID.
func NewClient(poolID string) (*Client, error) {
	for {
		a, err := randomExponent()
		if err != nil {
			return nil, err
		}
		bigA := powG(a)
		if bigA.Sign() != 0 {
			return &Client{poolName: PoolName(poolID), a: a, bigA: bigA}, nil
		}
	}
}

// SRPA is the SRP_A auth parameter: A in hex.
func (c *Client) SRPA() string { return c.bigA.Text(16) }

// PasswordClaim is the PASSWORD_VERIFIER challenge response.
type PasswordClaim struct {
	Signature string // PASSWORD_CLAIM_SIGNATURE
	Timestamp string // TIMESTAMP
}

// Claim answers the PASSWORD_VERIFIER challenge: userID, salt, SRP_B and the secret block are the challenge
// parameters USER_ID_FOR_SRP, SALT, SRP_B and SECRET_BLOCK.
func (c *Client) Claim(userID, password, saltHex, srpBHex, secretBlock string, now time.Time) (PasswordClaim, error) {
	salt, err := parseHex("SALT", saltHex)
	if err != nil {
		return PasswordClaim{}, err
	}
	bigB, err := parseHex("SRP_B", srpBHex)
	if err != nil {
		return PasswordClaim{}, err
	}
	if new(big.Int).Mod(bigB, groupN).Sign() == 0 {
		return PasswordClaim{}, fmt.Errorf("%w: SRP_B is zero modulo N", ErrBadValue)
	}
	block, err := base64.StdEncoding.DecodeString(secretBlock)
	if err != nil {
		return PasswordClaim{}, fmt.Errorf("%w: SECRET_BLOCK is not base64", ErrBadValue)
	}
	u := scramble(c.bigA, bigB)
	if u.Sign() == 0 {
		return PasswordClaim{}, fmt.Errorf("%w: u is zero", ErrBadValue)
	}
	x := privateX(c.poolName, userID, password, salt)
	// S = (B - k·g^x)^(a + u·x) mod N
	base := powG(x)
	base.Mul(base, groupK)
	base.Sub(bigB, base)
	base.Mod(base, groupN)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	s := new(big.Int).Exp(base, exp, groupN)
	key, err := sessionKey(s, u)
	if err != nil {
		return PasswordClaim{}, err
	}
	ts := FormatTimestamp(now)
	return PasswordClaim{Signature: base64.StdEncoding.EncodeToString(claimSignature(key, c.poolName, userID, block, ts)), Timestamp: ts}, nil
}
