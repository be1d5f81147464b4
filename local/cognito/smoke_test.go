package cognito

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/authnotes/authnotes/srp"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	e.signUp("alice@example.com", goodPassword)
	tok := e.tokens("alice@example.com", goodPassword)
	out, err := e.api.GetUser(context.Background(), &cip.GetUserInput{AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("user %s %v", *out.Username, out.UserAttributes)
	res, err := srp.SignIn(context.Background(), e.api, srp.SignInInput{PoolID: e.poolID, ClientID: e.clientID, Username: "ALICE@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tokens == nil {
		t.Fatal("no tokens")
	}
	_ = aws.String
}
