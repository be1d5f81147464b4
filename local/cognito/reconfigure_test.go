package cognito

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Reconfigure applies new pool and client settings while users, refresh tokens and the signing key stay.
func TestReconfigureKeepsUsersAndTokens(t *testing.T) {
	e := newEnv(t)
	e.signUp("kept@example.com", goodPassword)
	before := e.tokens("kept@example.com", goodPassword)

	specs := fixtureSpecs(t)
	pool, client := &specs[0].Config, &specs[0].Clients[0].Config
	pool.PasswordPolicy.MinimumLength = 30
	client.AccessTokenValidity, client.AccessTokenUnit = 7, "minutes"
	client.ExplicitAuthFlows = slices.DeleteFunc(slices.Clone(client.ExplicitAuthFlows), func(f string) bool { return f == "ALLOW_USER_PASSWORD_AUTH" })
	client.ExplicitAuthFlows = append(client.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH")
	added := ClientSpec{LogicalID: "AddedClient", Config: specs[0].Clients[0].Config}
	specs[0].Clients = append(specs[0].Clients, added)
	if err := e.srv.Reconfigure(specs); err != nil {
		t.Fatalf("Reconfigure() error = %v", err)
	}

	if got := e.srv.PoolID(poolLogicalID); got != e.poolID {
		t.Errorf("PoolID after Reconfigure = %s; want %s (IDs are kept)", got, e.poolID)
	}
	if got := e.srv.ClientID(clientLogicalID); got != e.clientID {
		t.Errorf("ClientID after Reconfigure = %s; want %s", got, e.clientID)
	}
	if e.srv.ClientID("AddedClient") == "" {
		t.Error("the added client has no ID")
	}
	ctx := context.Background()
	// The token issued before still works, and so does its refresh token; a new access token lives 7 minutes.
	if _, err := e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: before.AccessToken}); err != nil {
		t.Errorf("GetUser with the token issued before Reconfigure: %v", err)
	}
	out, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(before.RefreshToken)},
	})
	if err != nil {
		t.Fatalf("refresh with the token issued before Reconfigure: %v", err)
	}
	if got := out.AuthenticationResult.ExpiresIn; got != int32((7 * time.Minute).Seconds()) {
		t.Errorf("ExpiresIn after Reconfigure = %d; want 420", got)
	}
	// The removed flow and the stricter password policy apply at once.
	_, err = e.passwordAuth("kept@example.com", goodPassword)
	wantAPIError(t, err, "InvalidParameterException")
	_, err = e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("new@example.com"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "InvalidPasswordException")

	// A client the template no longer has stops being served.
	specs[0].Clients = specs[0].Clients[:1]
	addedID := e.srv.ClientID("AddedClient")
	if err := e.srv.Reconfigure(specs); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: &addedID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(before.RefreshToken)},
	})
	wantAPIError(t, err, "ResourceNotFoundException")

	// What Reconfigure kept is on disk: a restart serves the same user.
	e.restart()
	e.tokensRefresh(t, aws.ToString(before.RefreshToken))
}

func TestReconfigureRefusesAPoolWithoutClient(t *testing.T) {
	e := newEnv(t)
	specs := fixtureSpecs(t)
	specs[0].Clients = nil
	if err := e.srv.Reconfigure(specs); err == nil {
		t.Fatal("Reconfigure() with a pool without clients = nil; want an error")
	}
	if e.srv.ClientID(clientLogicalID) != e.clientID {
		t.Error("a refused Reconfigure changed the served clients")
	}
}

// tokensRefresh fails the test unless the refresh token still signs in.
func (e *env) tokensRefresh(t *testing.T, refresh string) {
	t.Helper()
	if _, err := e.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
	}); err != nil {
		t.Errorf("refresh after a restart: %v", err)
	}
}
