// Package account is notesctl's side of Cognito: sign-up, confirmation, SRP (or password) sign-in, refresh,
// sign-out and the user's own profile, through the AWS SDK for Go v2, with errors that say what to do next.
package account

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
	"github.com/authnotes/authnotes/srp"
)

// IdentityProvider is the part of the Cognito client notesctl uses.
type IdentityProvider interface {
	SignUp(ctx context.Context, in *cip.SignUpInput, opts ...func(*cip.Options)) (*cip.SignUpOutput, error)
	ConfirmSignUp(ctx context.Context, in *cip.ConfirmSignUpInput, opts ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	ResendConfirmationCode(ctx context.Context, in *cip.ResendConfirmationCodeInput, opts ...func(*cip.Options)) (*cip.ResendConfirmationCodeOutput, error)
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, opts ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, opts ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
	GetUser(ctx context.Context, in *cip.GetUserInput, opts ...func(*cip.Options)) (*cip.GetUserOutput, error)
	GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, opts ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, opts ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	DeleteUser(ctx context.Context, in *cip.DeleteUserInput, opts ...func(*cip.Options)) (*cip.DeleteUserOutput, error)
}

// Account signs one user in and out of one app client.
type Account struct {
	IDP      IdentityProvider
	PoolID   string
	ClientID string
	Now      func() time.Time // nil: time.Now
}

// NewIdentityProvider returns a Cognito client for the region, at endpoint when it is not empty (the local twin).
// The calls notesctl makes as a user are unsigned, as Cognito's public API is: no AWS credentials needed. The
// endpoint may also come from AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, as for every SDK client. timeout bounds
// each attempt (the SDK's own HTTP client has none, so a server that accepts and never answers would hang it).
func NewIdentityProvider(ctx context.Context, region, endpoint string, timeout time.Duration) (*cip.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Retryables = append([]retry.IsErrorRetryable{attemptLimitIsFinal{}}, so.Retryables...)
		})
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// attemptLimitIsFinal stops the SDK from retrying Cognito's LimitExceededException, which it takes for throttling:
// for Cognito it means "too many wrong codes or attempts", a retry only counts as one more, and the twin (like
// Cognito) spends a code after five wrong ones, so the retry turned the answer into a misleading "code expired".
type attemptLimitIsFinal struct{}

func (attemptLimitIsFinal) IsErrorRetryable(err error) aws.Ternary {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "LimitExceededException" {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

func (a *Account) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// SignUpResult says whether the user must still confirm, and where the code went.
type SignUpResult struct {
	Username    string `json:"username"`
	Sub         string `json:"sub,omitempty"`
	Confirmed   bool   `json:"confirmed"`
	Destination string `json:"codeDestination,omitempty"`
}

// SignUp registers a user. An address-like username is also sent as the email attribute, which pools with email
// usernames and pools that merely require an email both accept.
func (a *Account) SignUp(ctx context.Context, username, password string) (SignUpResult, error) {
	in := &cip.SignUpInput{ClientId: &a.ClientID, Username: &username, Password: &password}
	if strings.Contains(username, "@") {
		in.UserAttributes = []types.AttributeType{{Name: aws.String("email"), Value: aws.String(username)}}
	}
	out, err := a.IDP.SignUp(ctx, in)
	if err != nil {
		return SignUpResult{}, Explain("sign up", err)
	}
	r := SignUpResult{Username: username, Sub: aws.ToString(out.UserSub), Confirmed: out.UserConfirmed}
	if d := out.CodeDeliveryDetails; d != nil {
		r.Destination = aws.ToString(d.Destination)
	}
	return r, nil
}

// Confirm confirms a sign-up with the code that was sent.
func (a *Account) Confirm(ctx context.Context, username, code string) error {
	_, err := a.IDP.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &a.ClientID, Username: &username, ConfirmationCode: &code})
	return Explain("confirm", err)
}

// Resend sends a new confirmation code and returns where it went.
func (a *Account) Resend(ctx context.Context, username string) (string, error) {
	out, err := a.IDP.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &a.ClientID, Username: &username})
	if err != nil {
		return "", Explain("resend the confirmation code", err)
	}
	if out.CodeDeliveryDetails != nil {
		return aws.ToString(out.CodeDeliveryDetails.Destination), nil
	}
	return "", nil
}

// LoginSRP signs in with USER_SRP_AUTH: the password never leaves this process.
func (a *Account) LoginSRP(ctx context.Context, username, password string) (tokencache.Tokens, error) {
	res, err := srp.SignIn(ctx, a.IDP, srp.SignInInput{
		PoolID: a.PoolID, ClientID: a.ClientID, Username: username, Password: password, Now: a.Now,
	})
	if err != nil {
		return tokencache.Tokens{}, Explain("sign in", err)
	}
	if res.Challenge != "" {
		return tokencache.Tokens{}, unanswered(res.Challenge)
	}
	return a.tokens(username, res.Tokens)
}

// LoginPassword signs in with USER_PASSWORD_AUTH (the password is sent to Cognito over TLS). Only for app clients
// that allow that flow; the error says so when the client does not.
func (a *Account) LoginPassword(ctx context.Context, username, password string) (tokencache.Tokens, error) {
	out, err := a.IDP.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: &a.ClientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	var inv *types.InvalidParameterException
	if errors.As(err, &inv) && strings.Contains(strings.ToUpper(inv.ErrorMessage()), "USER_PASSWORD_AUTH") {
		return tokencache.Tokens{}, fmt.Errorf("this app client does not allow USER_PASSWORD_AUTH (%s): sign in with SRP, without --password-auth", inv.ErrorMessage())
	}
	if err != nil {
		return tokencache.Tokens{}, Explain("sign in", err)
	}
	if out.ChallengeName != "" {
		return tokencache.Tokens{}, unanswered(out.ChallengeName)
	}
	return a.tokens(username, out.AuthenticationResult)
}

// Refresh trades a refresh token for new ID and access tokens (REFRESH_TOKEN_AUTH). It implements
// tokencache.Refresher.
func (a *Account) Refresh(ctx context.Context, username, refreshToken string) (tokencache.Tokens, error) {
	out, err := a.IDP.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: &a.ClientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": refreshToken},
	})
	if err != nil {
		return tokencache.Tokens{}, Explain("refresh", err)
	}
	return a.tokens(username, out.AuthenticationResult)
}

func unanswered(c types.ChallengeNameType) error {
	return fmt.Errorf("sign in: Cognito asks for %s, which notesctl does not answer: finish it in an app that does", c)
}

func (a *Account) tokens(username string, r *types.AuthenticationResultType) (tokencache.Tokens, error) {
	if r == nil || r.AccessToken == nil {
		return tokencache.Tokens{}, errors.New("cognito returned no tokens")
	}
	return tokencache.Tokens{
		Username: username, IDToken: aws.ToString(r.IdToken), AccessToken: aws.ToString(r.AccessToken),
		RefreshToken: aws.ToString(r.RefreshToken),
		ExpiresAt:    a.now().Add(time.Duration(r.ExpiresIn) * time.Second).UTC(),
	}, nil
}

// Logout signs the user out everywhere (GlobalSignOut invalidates every refresh token and Cognito then refuses
// the access token) and revokes this session's refresh token. Both are tried, since either may fail on its own (an
// expired access token cannot sign out globally, but its refresh token can still be revoked).
func (a *Account) Logout(ctx context.Context, t tokencache.Tokens) (global, revoke error) {
	_, global = a.IDP.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: &t.AccessToken})
	if t.RefreshToken != "" {
		_, revoke = a.IDP.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &a.ClientID, Token: &t.RefreshToken})
	}
	return Explain("global sign-out", global), Explain("revoke the refresh token", revoke)
}

// User is what GetUser tells about the signed-in user.
type User struct {
	Username   string            `json:"username"`
	Attributes map[string]string `json:"attributes"`
}

// WhoAmI returns the signed-in user (GetUser, which also proves the access token is still accepted).
func (a *Account) WhoAmI(ctx context.Context, accessToken string) (User, error) {
	out, err := a.IDP.GetUser(ctx, &cip.GetUserInput{AccessToken: &accessToken})
	if err != nil {
		return User{}, Explain("get user", err)
	}
	u := User{Username: aws.ToString(out.Username), Attributes: map[string]string{}}
	for _, at := range out.UserAttributes {
		u.Attributes[aws.ToString(at.Name)] = aws.ToString(at.Value)
	}
	return u, nil
}

// DeleteUser deletes the signed-in user.
func (a *Account) DeleteUser(ctx context.Context, accessToken string) error {
	_, err := a.IDP.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: &accessToken})
	return Explain("delete user", err)
}

// Explain turns Cognito's errors into what went wrong and what to do; nil stays nil.
func Explain(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	var netErr *net.OpError
	var timeout net.Error
	switch {
	case errors.As(err, &timeout) && timeout.Timeout():
		return fmt.Errorf("%s: Cognito did not answer in time (%w): check the target and your network, or raise --timeout", op, err)
	case errors.As(err, &netErr):
		return fmt.Errorf("%s: cannot reach Cognito (%w): check the target and your network", op, err)
	case !errors.As(err, &apiErr):
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := apiErr.ErrorMessage()
	lower := strings.ToLower(msg)
	hint := ""
	switch apiErr.ErrorCode() {
	case "ExpiredCodeException":
		hint = "confirmation code expired: run `notesctl confirm -u <you> --resend`"
	case "CodeMismatchException":
		hint = "wrong confirmation code: check the latest one, or run `notesctl confirm -u <you> --resend`"
	case "UserNotConfirmedException":
		hint = "account not confirmed yet: run `notesctl confirm -u <you> --code <code>`"
	case "UsernameExistsException":
		hint = "that user already exists: run `notesctl login -u <you>` (or `notesctl confirm -u <you> --resend` if you never confirmed)"
	case "InvalidPasswordException":
		hint = "password refused by the pool's policy: " + msg
	case "UserNotFoundException":
		hint = "no such user: run `notesctl signup -u <you>` first"
	case "NotAuthorizedException":
		switch {
		case strings.Contains(lower, "incorrect username or password"):
			hint = "incorrect username or password"
		case strings.Contains(lower, "current status is confirmed"):
			hint = "already confirmed: run `notesctl login -u <you>`"
		case strings.Contains(lower, "signup is not permitted"):
			hint = "this user pool does not allow self sign-up (" + msg + "): an administrator creates users, e.g. `aws cognito-idp admin-create-user`"
		case strings.Contains(lower, "attempts exceeded"):
			// Cognito's lockout: even the right password is refused until it ends, so "log in again" would mislead.
			hint = "too many failed sign-ins (" + msg + "): Cognito refuses this user, even with the right password, for a while (up to 15 minutes): wait, then try again"
		default:
			hint = msg + ": run `notesctl login -u <you>`"
		}
	case "InvalidParameterException":
		if strings.Contains(lower, "already confirmed") {
			hint = "already confirmed: run `notesctl login -u <you>`"
		} else {
			hint = "InvalidParameterException: " + msg
		}
	case "LimitExceededException", "TooManyRequestsException", "TooManyFailedAttemptsException":
		hint = "too many attempts (" + msg + "): wait a while and try again"
		if op == "confirm" {
			// Too many wrong codes also spend the code: the right one will not work afterwards either.
			hint += ", with a new code from `notesctl confirm -u <you> --resend`"
		}
	case "PasswordResetRequiredException":
		hint = "Cognito requires a password reset for this user: reset it from an app, then log in"
	}
	if hint == "" {
		// The SDK's own text is a chain ("operation error …, https response error StatusCode: 400, RequestID: …"):
		// the error code and Cognito's message are what a user can act on.
		hint = apiErr.ErrorCode() + ": " + msg
	}
	return &HintError{Op: op, Hint: hint, Err: err}
}

// HintError is a Cognito error with advice; errors.As still finds the SDK's typed error inside.
type HintError struct {
	Op   string
	Hint string
	Err  error
}

func (e *HintError) Error() string { return e.Op + ": " + e.Hint }
func (e *HintError) Unwrap() error { return e.Err }
