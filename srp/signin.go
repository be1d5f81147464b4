package srp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// API is the part of the Cognito client a sign-in uses; *cognitoidentityprovider.Client implements it.
type API interface {
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
}

// SignInInput names the pool, the app client and the user.
type SignInInput struct {
	PoolID   string // "eu-west-1_AbC123xyz"
	ClientID string
	// ClientSecret, only for app clients that have one: SECRET_HASH is then sent with every request.
	ClientSecret string
	Username     string
	Password     string
	// Now is the clock for the TIMESTAMP response. Default: time.Now.
	Now func() time.Time
}

// SignInResult is either tokens or a further challenge the caller must answer with RespondToAuthChallenge
// (SOFTWARE_TOKEN_MFA with SOFTWARE_TOKEN_MFA_CODE, NEW_PASSWORD_REQUIRED with NEW_PASSWORD, …), passing
// Session and USERNAME = UserID.
type SignInResult struct {
	Tokens              *types.AuthenticationResultType // nil while a challenge is pending
	Challenge           types.ChallengeNameType
	ChallengeParameters map[string]string
	Session             string
	UserID              string // USER_ID_FOR_SRP: the name to send as USERNAME in further challenge responses
}

// SignIn runs USER_SRP_AUTH: InitiateAuth with SRP_A, then RespondToAuthChallenge PASSWORD_VERIFIER. The password
// never leaves the process. Service errors (NotAuthorizedException for a wrong password,
// UserNotConfirmedException, …) are returned wrapped, so errors.As finds the SDK's typed error.
func SignIn(ctx context.Context, api API, in SignInInput) (*SignInResult, error) {
	if in.Now == nil {
		in.Now = time.Now
	}
	c, err := NewClient(in.PoolID)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"USERNAME": in.Username, "SRP_A": c.SRPA()}
	if in.ClientSecret != "" {
		params["SECRET_HASH"] = SecretHash(in.ClientSecret, in.ClientID, in.Username)
	}
	init, err := api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &in.ClientID, AuthParameters: params,
	})
	if err != nil {
		return nil, fmt.Errorf("srp sign-in %q: initiate auth: %w", in.Username, err)
	}
	if init.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		return nil, fmt.Errorf("srp sign-in %q: got challenge %q; want PASSWORD_VERIFIER", in.Username, init.ChallengeName)
	}
	p := init.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	if userID == "" {
		return nil, errors.New("srp sign-in: PASSWORD_VERIFIER challenge without USER_ID_FOR_SRP")
	}
	claim, err := c.Claim(userID, in.Password, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], in.Now())
	if err != nil {
		return nil, fmt.Errorf("srp sign-in %q: %w", in.Username, err)
	}
	responses := map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    claim.Signature,
		"TIMESTAMP":                   claim.Timestamp,
	}
	if in.ClientSecret != "" {
		responses["SECRET_HASH"] = SecretHash(in.ClientSecret, in.ClientID, userID)
	}
	out, err := api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ClientId: &in.ClientID,
		ChallengeResponses: responses, Session: init.Session,
	})
	if err != nil {
		return nil, fmt.Errorf("srp sign-in %q: password verifier: %w", in.Username, err)
	}
	res := &SignInResult{
		Tokens: out.AuthenticationResult, Challenge: out.ChallengeName,
		ChallengeParameters: out.ChallengeParameters, UserID: userID,
	}
	if out.Session != nil {
		res.Session = *out.Session
	}
	return res, nil
}

// SecretHash is the SECRET_HASH parameter for app clients with a secret: base64(HMAC-SHA256(secret, username |
// clientID)).
func SecretHash(clientSecret, clientID, username string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username))
	m.Write([]byte(clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
