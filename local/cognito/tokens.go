package cognito

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// accessScope is the one scope Cognito puts in access tokens from its own sign-in APIs.
const accessScope = "aws.cognito.signin.user.admin"

func jwksDocument(kid string, pub *rsa.PublicKey) ([]byte, error) {
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		return nil, fmt.Errorf("cognito: jwks: %w", err)
	}
	return doc, nil
}

// authResult is the AuthenticationResult of InitiateAuth and RespondToAuthChallenge.
type authResult struct {
	AccessToken  string
	IdToken      string
	RefreshToken string `json:",omitempty"`
	ExpiresIn    int
	TokenType    string
}

// tokenSubject is what the tokens say about their user, copied out of the state under the lock so signing can
// run without it.
type tokenSubject struct {
	username, sub, email string
	emailVerified        bool
	hasEmail             bool
}

func subjectOf(u *userState) tokenSubject {
	email, has := u.Attributes["email"]
	return tokenSubject{username: u.Username, sub: u.Sub, email: email, hasEmail: has, emailVerified: u.Attributes["email_verified"] == "true"}
}

// signTokens issues an ID and an access token for one session (origin_jti), with the claims Cognito puts in them.
func (p *pool) signTokens(c *client, subj tokenSubject, originJTI string, authTime, now time.Time) (authResult, error) {
	eventID := newUUID()
	id := jwt.MapClaims{
		"sub": subj.sub, "aud": c.state.ID, "cognito:username": subj.username, "token_use": "id",
		"auth_time": authTime.Unix(), "iss": p.issuer, "exp": now.Add(c.cfg.IDTTL()).Unix(), "iat": now.Unix(),
		"jti": newUUID(), "origin_jti": originJTI, "event_id": eventID,
	}
	if subj.hasEmail {
		id["email"] = subj.email
		id["email_verified"] = subj.emailVerified
	}
	access := jwt.MapClaims{
		"sub": subj.sub, "client_id": c.state.ID, "scope": accessScope, "token_use": "access", "username": subj.username,
		"auth_time": authTime.Unix(), "iss": p.issuer, "exp": now.Add(c.cfg.AccessTTL()).Unix(), "iat": now.Unix(),
		"jti": newUUID(), "origin_jti": originJTI, "event_id": eventID,
	}
	idTok, err := p.sign(id)
	if err != nil {
		return authResult{}, err
	}
	accessTok, err := p.sign(access)
	if err != nil {
		return authResult{}, err
	}
	return authResult{AccessToken: accessTok, IdToken: idTok, ExpiresIn: int(c.cfg.AccessTTL().Seconds()), TokenType: "Bearer"}, nil
}

func (p *pool) sign(claims jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = p.state.KeyID
	s, err := t.SignedString(p.key)
	if err != nil {
		return "", internalError(fmt.Errorf("sign token: %w", err))
	}
	return s, nil
}

// newRefreshToken returns an opaque refresh token and the hash the state keeps of it.
func newRefreshToken() (token string, hash []byte) {
	b := make([]byte, 48)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// isJWT reports whether token is a signed JWT (an ID or access token) rather than an opaque refresh token.
func isJWT(token string) bool {
	header, _, ok := strings.Cut(token, ".")
	if !ok || strings.Count(token, ".") != 2 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	var h struct{ Alg string }
	return json.Unmarshal(raw, &h) == nil && h.Alg != ""
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
