package srp

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// fakePool is a hand-written one-user SRP server speaking the SDK's types; the real one is tested in
// local/cognito.
type fakePool struct {
	t         *testing.T
	ver       Verifier
	session   *ServerSession
	challenge types.ChallengeNameType // returned after a right password; "" means tokens
}

const (
	fakePoolID = "eu-west-1_Fake12345"
	fakeUserID = "3f1c2a9e-user"
	fakeClient = "client"
	fakeSecret = "shh"
)

var errNotAuthorized = &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}

func (f *fakePool) InitiateAuth(_ context.Context, in *cip.InitiateAuthInput, _ ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	p := in.AuthParameters
	if p["SECRET_HASH"] != SecretHash(fakeSecret, fakeClient, p["USERNAME"]) {
		return nil, errNotAuthorized
	}
	s, err := NewServerSession(PoolName(fakePoolID), fakeUserID, p["SRP_A"], f.ver)
	if err != nil {
		return nil, err
	}
	f.session = s
	return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeParameters: map[string]string{
		"USER_ID_FOR_SRP": fakeUserID, "SALT": f.ver.SaltHex(), "SRP_B": s.SRPB(),
		"SECRET_BLOCK": base64.StdEncoding.EncodeToString([]byte("block")),
	}}, nil
}

func (f *fakePool) RespondToAuthChallenge(_ context.Context, in *cip.RespondToAuthChallengeInput, _ ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	r := in.ChallengeResponses
	if r["USERNAME"] != fakeUserID || r["SECRET_HASH"] != SecretHash(fakeSecret, fakeClient, fakeUserID) {
		f.t.Errorf("challenge responses %v: want USERNAME = USER_ID_FOR_SRP and its SECRET_HASH", r)
	}
	if err := f.session.VerifyClaim([]byte("block"), r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"]); err != nil {
		return nil, errNotAuthorized
	}
	if f.challenge != "" {
		return &cip.RespondToAuthChallengeOutput{ChallengeName: f.challenge, Session: aws.String("next")}, nil
	}
	return &cip.RespondToAuthChallengeOutput{AuthenticationResult: &types.AuthenticationResultType{AccessToken: aws.String("tok")}}, nil
}

func TestSignIn(t *testing.T) {
	ver, err := NewVerifier(PoolName(fakePoolID), fakeUserID, "right-password")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		password      string
		challenge     types.ChallengeNameType
		wantErr       bool
		wantChallenge types.ChallengeNameType
	}{
		{"right password", "right-password", "", false, ""},
		{"wrong password", "wrong-password", "", true, ""},
		{"mfa required", "right-password", types.ChallengeNameTypeSoftwareTokenMfa, false, types.ChallengeNameTypeSoftwareTokenMfa},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakePool{t: t, ver: ver, challenge: tc.challenge}
			res, err := SignIn(context.Background(), api, SignInInput{
				PoolID: fakePoolID, ClientID: fakeClient, ClientSecret: fakeSecret, Username: "alice@example.com", Password: tc.password,
			})
			if tc.wantErr {
				var na *types.NotAuthorizedException
				if !errors.As(err, &na) {
					t.Fatalf("SignIn() error = %v; want NotAuthorizedException", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SignIn() error = %v", err)
			}
			if res.Challenge != tc.wantChallenge || res.UserID != fakeUserID {
				t.Errorf("SignIn() = challenge %q user %q; want %q %q", res.Challenge, res.UserID, tc.wantChallenge, fakeUserID)
			}
			if (res.Tokens != nil) == (tc.wantChallenge != "") {
				t.Errorf("SignIn() tokens = %v with challenge %q; want tokens only without a challenge", res.Tokens, res.Challenge)
			}
			if tc.wantChallenge != "" && res.Session != "next" {
				t.Errorf("SignIn() session = %q; want the challenge's session", res.Session)
			}
		})
	}
}
