package account_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/account"
)

func TestExplain(t *testing.T) {
	msg := func(s string) *string { return &s }
	tests := []struct {
		err  error
		want string
	}{
		{&types.ExpiredCodeException{Message: msg("Invalid code provided, please request a code again.")}, "confirm: confirmation code expired: run `notesctl confirm -u <you> --resend`"},
		{&types.CodeMismatchException{Message: msg("Invalid verification code provided")}, "confirm: wrong confirmation code"},
		{&types.UserNotConfirmedException{Message: msg("User is not confirmed.")}, "confirm: account not confirmed yet: run `notesctl confirm"},
		{&types.UsernameExistsException{Message: msg("User already exists")}, "run `notesctl login -u <you>`"},
		{&types.InvalidPasswordException{Message: msg("Password did not conform with policy: Password not long enough")}, "password refused by the pool's policy: Password did not conform"},
		{&types.NotAuthorizedException{Message: msg("Incorrect username or password.")}, "confirm: incorrect username or password"},
		{&types.NotAuthorizedException{Message: msg("User cannot be confirmed. Current status is CONFIRMED")}, "already confirmed: run `notesctl login -u <you>`"},
		{&types.NotAuthorizedException{Message: msg("Refresh Token has been revoked")}, "Refresh Token has been revoked: run `notesctl login -u <you>`"},
		{&types.NotAuthorizedException{Message: msg("SignUp is not permitted for this user pool")}, "confirm: this user pool does not allow self sign-up (SignUp is not permitted for this user pool): an administrator creates users, e.g. `aws cognito-idp admin-create-user`"},
		{&types.NotAuthorizedException{Message: msg("Password attempts exceeded")}, "too many failed sign-ins (Password attempts exceeded): Cognito refuses this user, even with the right password, for a while (up to 15 minutes): wait, then try again"},
		{&types.InvalidParameterException{Message: msg("User is already confirmed.")}, "confirm: already confirmed: run `notesctl login -u <you>`"},
		{&types.InvalidParameterException{Message: msg("Username should be an email.")}, "confirm: InvalidParameterException: Username should be an email."},
		{&types.LimitExceededException{Message: msg("Attempt limit exceeded, please try after some time.")}, "confirm: too many attempts (Attempt limit exceeded, please try after some time.): wait a while and try again, with a new code from `notesctl confirm -u <you> --resend`"},
		{&smithy.GenericAPIError{Code: "InternalErrorException", Message: "boom"}, "confirm: InternalErrorException: boom"},
		{errors.New("boom"), "confirm: srp sign-in: boom"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "confirm: cannot reach Cognito (srp sign-in: dial tcp: connection refused): check the target and your network"},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("srp sign-in: %w", tt.err)
		got := account.Explain("confirm", wrapped)
		if got == nil || !strings.Contains(got.Error(), tt.want) {
			t.Errorf("Explain(%v) = %v; want it to contain %q", tt.err, got, tt.want)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("Explain(%v) lost the original error", tt.err)
		}
	}
	if account.Explain("x", nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}

// fakeIDP answers InitiateAuth with a canned error; other operations are not expected.
type fakeIDP struct {
	account.IdentityProvider
	initiateErr error
	got         *cip.InitiateAuthInput
}

func (f *fakeIDP) InitiateAuth(_ context.Context, in *cip.InitiateAuthInput, _ ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	f.got = in
	return nil, f.initiateErr
}

func TestLoginPasswordNotAllowed(t *testing.T) {
	idp := &fakeIDP{initiateErr: &types.InvalidParameterException{Message: aws.String("USER_PASSWORD_AUTH flow not enabled for this client")}}
	a := &account.Account{IDP: idp, PoolID: "eu-west-1_AbCdEfGhI", ClientID: "c"}
	_, err := a.LoginPassword(context.Background(), "a@example.com", "pw")
	if err == nil || !strings.Contains(err.Error(), "this app client does not allow USER_PASSWORD_AUTH") || !strings.Contains(err.Error(), "without --password-auth") {
		t.Errorf("LoginPassword() = %v; want the client-does-not-allow error", err)
	}
	if idp.got == nil || idp.got.AuthFlow != types.AuthFlowTypeUserPasswordAuth || idp.got.AuthParameters["USERNAME"] != "a@example.com" {
		t.Errorf("InitiateAuth input = %+v; want USER_PASSWORD_AUTH for the user", idp.got)
	}
}

// TestAttemptLimitNotRetried: Cognito's LimitExceededException (too many wrong codes) reaches the user after one
// request; the SDK would retry it as throttling, which counts as more attempts. A real throttle is still retried.
func TestAttemptLimitNotRetried(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, tt := range []struct {
		code      string
		wantCalls int
	}{
		{"LimitExceededException", 1},
		{"TooManyRequestsException", 3},
	} {
		t.Run(tt.code, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"%s","message":"Attempt limit exceeded, please try after some time."}`, tt.code)
			}))
			t.Cleanup(srv.Close)
			idp, err := account.NewIdentityProvider(context.Background(), "us-east-1", srv.URL, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			a := &account.Account{IDP: idp, PoolID: "us-east-1_AbCdEfGhI", ClientID: "c"}
			err = a.Confirm(context.Background(), "a@example.com", "000000")
			if err == nil || !strings.Contains(err.Error(), "too many attempts") || int(calls.Load()) != tt.wantCalls {
				t.Errorf("Confirm against %s = %v after %d requests; want too many attempts after %d", tt.code, err, calls.Load(), tt.wantCalls)
			}
		})
	}
}
