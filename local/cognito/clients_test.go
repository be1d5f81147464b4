package cognito

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/authnotes/authnotes/srp"
)

// withSecondClient adds an app client with a secret to the fixture's pool.
func withSecondClient() envOption {
	return func(e *env) {
		cfg := e.specs[0].Clients[0].Config
		cfg.GenerateSecret = true
		e.specs[0].Clients = append(e.specs[0].Clients, ClientSpec{LogicalID: "ServerClient", Config: cfg})
	}
}

func TestClientsWithSecretsAndTokenOwnership(t *testing.T) {
	e := newEnv(t, withSecondClient())
	ctx := context.Background()
	e.signUp("vera@example.com", goodPassword)
	serverClient := e.srv.ClientID("ServerClient")
	desc, err := e.api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &e.poolID, ClientId: &serverClient})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(desc.UserPoolClient.ClientSecret)
	if secret == "" {
		t.Fatal("DescribeUserPoolClient() has no ClientSecret for a client with GenerateSecret")
	}

	_, err = e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &serverClient, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "vera@example.com", "PASSWORD": goodPassword}})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &serverClient, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "vera@example.com", "PASSWORD": goodPassword, "SECRET_HASH": srp.SecretHash("wrong", serverClient, "vera@example.com")}})
	wantAPIError(t, err, "NotAuthorizedException")
	res, err := srp.SignIn(ctx, e.api, srp.SignInInput{PoolID: e.poolID, ClientID: serverClient, ClientSecret: secret, Username: "vera@example.com", Password: goodPassword})
	if err != nil || res.Tokens == nil {
		t.Fatalf("SRP sign-in with SECRET_HASH = %v, %v; want tokens", res, err)
	}
	if got := e.claimsFor(*res.Tokens.AccessToken, serverClient)["client_id"]; got != serverClient {
		t.Errorf("access token client_id = %v; want %s", got, serverClient)
	}

	// A refresh token belongs to the client it was issued to.
	_, err = e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *res.Tokens.RefreshToken}})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &serverClient, Token: res.Tokens.RefreshToken})
	wantAPIError(t, err, "UnauthorizedException")
	mine := e.tokens("vera@example.com", goodPassword)
	_, err = e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &serverClient, ClientSecret: &secret, Token: mine.RefreshToken})
	wantAPIError(t, err, "UnauthorizedException")
	if _, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &serverClient, ClientSecret: &secret, Token: res.Tokens.RefreshToken}); err != nil {
		t.Errorf("RevokeToken(own token, right secret) error = %v", err)
	}
	_, err = e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &serverClient, Username: aws.String("w@example.com"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "NotAuthorizedException")
}

// claimsFor verifies a token for another audience than the fixture's client.
func (e *env) claimsFor(token, audience string) map[string]any {
	e.t.Helper()
	saved := e.clientID
	e.clientID = audience
	defer func() { e.clientID = saved }()
	return e.claims(token)
}

func TestAccessTokenOperationsRefuseBadTokens(t *testing.T) {
	e := newEnv(t)
	e.signUp("walt@example.com", goodPassword)
	tok := e.tokens("walt@example.com", goodPassword)
	ctx := context.Background()
	if _, err := e.api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(token *string) error{
		"GetUser": func(tk *string) error { _, err := e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: tk}); return err },
		"UpdateUserAttributes": func(tk *string) error {
			_, err := e.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tk, UserAttributes: attrs("name", "x")})
			return err
		},
		"VerifyUserAttribute": func(tk *string) error {
			_, err := e.api.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tk, AttributeName: aws.String("email"), Code: aws.String("123456")})
			return err
		},
		"ChangePassword": func(tk *string) error {
			_, err := e.api.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tk, PreviousPassword: aws.String(goodPassword), ProposedPassword: aws.String("Another-pass-8#")})
			return err
		},
		"DeleteUser": func(tk *string) error {
			_, err := e.api.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: tk})
			return err
		},
		"GlobalSignOut": func(tk *string) error {
			_, err := e.api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: tk})
			return err
		},
		"AssociateSoftwareToken": func(tk *string) error {
			_, err := e.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: tk})
			return err
		},
		"VerifySoftwareToken": func(tk *string) error {
			_, err := e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: tk, UserCode: aws.String("123456")})
			return err
		},
		"SetUserMFAPreference": func(tk *string) error {
			_, err := e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tk})
			return err
		},
	}
	for name, call := range ops {
		t.Run(name, func(t *testing.T) {
			wantAPIError(t, call(tok.AccessToken), "NotAuthorizedException")
			wantAPIError(t, call(tok.IdToken), "NotAuthorizedException")
			wantAPIError(t, call(aws.String("not-a-token")), "NotAuthorizedException")
		})
	}
	// The user is untouched by all of that.
	e.tokens("walt@example.com", goodPassword)
}

func TestUnknownPoolsAndClients(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := "eu-west-1_nosuchpoo"
	_, err := e.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &other})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = e.api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &other})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = e.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &other, ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String("nosuchclient"), AuthFlow: types.AuthFlowTypeUserPasswordAuth})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: aws.String("made-up-session-of-forty-characters-xxxx")})
	wantAPIError(t, err, "NotAuthorizedException")
}
