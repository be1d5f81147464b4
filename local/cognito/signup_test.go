package cognito

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/go-cmp/cmp"
)

func TestSignUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("bob@example.com"), Password: aws.String(goodPassword)})
	if err != nil {
		t.Fatalf("SignUp() error = %v", err)
	}
	if out.UserConfirmed || out.UserSub == nil || len(*out.UserSub) != 36 {
		t.Errorf("SignUp() = confirmed %v, sub %v; want unconfirmed with a UUID sub", out.UserConfirmed, aws.ToString(out.UserSub))
	}
	d := out.CodeDeliveryDetails
	if d == nil || aws.ToString(d.Destination) != "b***@e***" || d.DeliveryMedium != "EMAIL" || aws.ToString(d.AttributeName) != "email" {
		t.Errorf("SignUp() CodeDeliveryDetails = %+v; want b***@e*** by EMAIL", d)
	}
	msgs := e.outbox("bob@example.com")
	if len(msgs) != 1 || len(msgs[0].Code) != 6 || msgs[0].Purpose != "SignUp" {
		t.Fatalf("outbox = %+v; want one SignUp message with a 6-digit code", msgs)
	}

	_, err = e.passwordAuth("bob@example.com", goodPassword)
	wantAPIError(t, err, "UserNotConfirmedException")

	tests := []struct {
		name, username, password, want string
	}{
		{"same e-mail", "bob@example.com", goodPassword, "UsernameExistsException"},
		{"same e-mail in other case", "BOB@Example.com", goodPassword, "UsernameExistsException"},
		{"not an e-mail", "bobby", goodPassword, "InvalidParameterException"},
		{"too short", "c@example.com", "Sh0rt!", "InvalidPasswordException"},
		{"no upper case", "c@example.com", "correct-horse-9!", "InvalidPasswordException"},
		{"no lower case", "c@example.com", "CORRECT-HORSE-9!", "InvalidPasswordException"},
		{"no digit", "c@example.com", "Correct-horse-x!", "InvalidPasswordException"},
		{"no symbol", "c@example.com", "Correcthorse99", "InvalidPasswordException"},
		{"no username", "", goodPassword, "InvalidParameterException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: &tc.username, Password: &tc.password})
			wantAPIError(t, err, tc.want)
		})
	}
	_, err = e.api.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String("nosuchclient"), Username: aws.String("d@example.com"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestConfirmSignUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	confirm := func(user, code string) error {
		_, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: &user, ConfirmationCode: &code})
		return err
	}
	signUp := func(user string) {
		if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: &user, Password: aws.String(goodPassword)}); err != nil {
			t.Fatal(err)
		}
	}
	wrong := func(code string) string {
		if code == "000000" {
			return "111111"
		}
		return "000000"
	}

	t.Run("right code confirms and verifies the e-mail", func(t *testing.T) {
		signUp("ok@example.com")
		code := e.lastCode("ok@example.com")
		wantAPIError(t, confirm("ok@example.com", wrong(code)), "CodeMismatchException")
		if err := confirm("OK@example.com", code); err != nil {
			t.Fatalf("ConfirmSignUp() error = %v", err)
		}
		got, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &e.poolID, Username: aws.String("ok@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		attrs := map[string]string{}
		for _, a := range got.UserAttributes {
			attrs[*a.Name] = *a.Value
		}
		if got.UserStatus != "CONFIRMED" || attrs["email_verified"] != "true" {
			t.Errorf("after confirmation: status %s, email_verified %q; want CONFIRMED, true", got.UserStatus, attrs["email_verified"])
		}
		// Confirmed already: answered like a wrong code, so confirming does not tell who has an account.
		wantAPIError(t, confirm("ok@example.com", code), "CodeMismatchException")
	})
	t.Run("attempts are limited", func(t *testing.T) {
		signUp("guess@example.com")
		code := e.lastCode("guess@example.com")
		for range maxCodeAttempts - 1 {
			wantAPIError(t, confirm("guess@example.com", wrong(code)), "CodeMismatchException")
		}
		wantAPIError(t, confirm("guess@example.com", wrong(code)), "LimitExceededException")
		// The code is gone: even the right one no longer works.
		wantAPIError(t, confirm("guess@example.com", code), "ExpiredCodeException")
	})
	t.Run("codes expire", func(t *testing.T) {
		signUp("late@example.com")
		code := e.lastCode("late@example.com")
		e.clock.advance(25 * time.Hour)
		wantAPIError(t, confirm("late@example.com", code), "ExpiredCodeException")
	})
	t.Run("resend replaces the code", func(t *testing.T) {
		signUp("resend@example.com")
		first := e.lastCode("resend@example.com")
		var second string
		for second == "" || second == first {
			// A new code may repeat the old one by chance (1 in a million); resend until it differs.
			if _, err := e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("resend@example.com")}); err != nil {
				t.Fatalf("ResendConfirmationCode() error = %v", err)
			}
			second = e.lastCode("resend@example.com")
		}
		wantAPIError(t, confirm("resend@example.com", first), "CodeMismatchException")
		if err := confirm("resend@example.com", second); err != nil {
			t.Fatalf("ConfirmSignUp(resent code) error = %v", err)
		}
		// Confirmed already: a pretend delivery, as for a name nobody has.
		sent := len(e.outbox("resend@example.com"))
		if _, err := e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("resend@example.com")}); err != nil {
			t.Errorf("ResendConfirmationCode(confirmed user) error = %v; want a pretend delivery", err)
		}
		if got := len(e.outbox("resend@example.com")); got != sent {
			t.Errorf("ResendConfirmationCode(confirmed user) sent %d messages; want none", got-sent)
		}
	})
	t.Run("resends are rate limited", func(t *testing.T) {
		signUp("spam@example.com")
		var err error
		for i := 0; i < maxCodesPerHour && err == nil; i++ {
			_, err = e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("spam@example.com")})
		}
		wantAPIError(t, err, "LimitExceededException")
	})
	t.Run("unknown users look like wrong codes", func(t *testing.T) {
		wantAPIError(t, confirm("nobody@example.com", "123456"), "CodeMismatchException")
		out, err := e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("nobody@example.com")})
		if err != nil {
			t.Fatalf("ResendConfirmationCode(unknown) error = %v; want a pretend delivery", err)
		}
		if diff := cmp.Diff("n***@e***", aws.ToString(out.CodeDeliveryDetails.Destination)); diff != "" {
			t.Errorf("pretend delivery destination (-want +got):\n%s", diff)
		}
		if msgs := e.outbox("nobody@example.com"); len(msgs) != 0 {
			t.Errorf("outbox for an unknown user = %+v; want nothing sent", msgs)
		}
	})
}

// TestLegacyClientsTellWhyCodesFail: without PreventUserExistenceErrors, code operations say what is wrong, as
// Cognito's LEGACY clients do.
func TestLegacyClientsTellWhyCodesFail(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) { c.PreventUserExistenceErrors = "LEGACY" }))
	ctx := context.Background()
	e.signUp("leg@example.com", goodPassword)
	_, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: aws.String("leg@example.com"), ConfirmationCode: aws.String("123456")})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("leg@example.com")})
	wantAPIError(t, err, "InvalidParameterException")
	for _, call := range []func() error{
		func() error {
			_, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: aws.String("nobody@example.com"), ConfirmationCode: aws.String("123456")})
			return err
		},
		func() error {
			_, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("nobody@example.com")})
			return err
		},
		func() error {
			_, err := e.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("nobody@example.com"),
				ConfirmationCode: aws.String("123456"), Password: aws.String(goodPassword)})
			return err
		},
	} {
		wantAPIError(t, call(), "UserNotFoundException")
	}
}

func TestSignUpDisabledForAdminOnlyPools(t *testing.T) {
	e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.AdminCreateUserOnly = true }))
	_, err := e.api.SignUp(context.Background(), &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("x@example.com"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "NotAuthorizedException")
}

func TestUsernamePools(t *testing.T) {
	// A pool with plain usernames, case-sensitive, and a verified e-mail alias.
	e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) {
		p.UsernameAttributes, p.AliasAttributes, p.CaseSensitive = nil, []string{"email"}, true
	}))
	ctx := context.Background()
	_, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("a@example.com"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "InvalidParameterException")
	out, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("Carol"), Password: aws.String(goodPassword),
		UserAttributes: attrs("email", "carol@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: aws.String("Carol"), ConfirmationCode: aws.String(e.lastCode("carol@example.com"))}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Carol", "carol@example.com"} {
		tok := e.tokens(name, goodPassword)
		claims := e.claims(*tok.IdToken)
		if claims["cognito:username"] != "Carol" || claims["sub"] != *out.UserSub {
			t.Errorf("sign-in as %s: cognito:username %v sub %v; want Carol %s", name, claims["cognito:username"], claims["sub"], *out.UserSub)
		}
	}
	_, err = e.passwordAuth("carol", goodPassword)
	wantAPIError(t, err, "NotAuthorizedException")
}

// TestCaseInsensitiveUsernames: in a pool with UsernameConfiguration.CaseSensitive false, every spelling of a
// username is the same user, for sign-up, password and SRP sign-in.
func TestCaseInsensitiveUsernames(t *testing.T) {
	e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) {
		p.UsernameAttributes, p.CaseSensitive = nil, false
		p.RequiredAttributes = nil
	}))
	ctx := context.Background()
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("Dave"), Password: aws.String(goodPassword),
		UserAttributes: attrs("email", "dave@example.com")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("dAVE"), Password: aws.String(goodPassword)})
	wantAPIError(t, err, "UsernameExistsException")
	if _, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &e.poolID, Username: aws.String("DAVE")}); err != nil {
		t.Fatal(err)
	}
	e.tokens("dave", goodPassword)
	if res, err := e.srpSignIn("DaVe", goodPassword); err != nil || res.Tokens == nil {
		t.Errorf("SRP sign-in as DaVe = %+v, %v; want tokens for Dave", res, err)
	}
}

// TestPoolSettingsFromTheTemplate: without auto-verified attributes no code goes out and only an administrator
// confirms; with admin_only recovery users cannot reset their own password.
func TestPoolSettingsFromTheTemplate(t *testing.T) {
	ctx := context.Background()
	t.Run("no auto-verified attributes", func(t *testing.T) {
		e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.AutoVerifiedAttributes = nil }))
		out, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("quiet@example.com"), Password: aws.String(goodPassword)})
		if err != nil {
			t.Fatal(err)
		}
		if out.CodeDeliveryDetails != nil || len(e.outbox("")) != 0 {
			t.Errorf("SignUp() delivery %+v, outbox %+v; want no code sent", out.CodeDeliveryDetails, e.outbox(""))
		}
		_, err = e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: aws.String("quiet@example.com")})
		wantAPIError(t, err, "InvalidParameterException")
		if _, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &e.poolID, Username: aws.String("quiet@example.com")}); err != nil {
			t.Fatal(err)
		}
		tok := e.tokens("quiet@example.com", goodPassword)
		if v := e.claims(*tok.IdToken)["email_verified"]; v != false {
			t.Errorf("email_verified = %v; want false (nothing verified it)", v)
		}
	})
	t.Run("admin-only recovery", func(t *testing.T) {
		e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.RecoveryMechanisms = []RecoveryOption{{"admin_only", 1}} }))
		e.signUp("locked@example.com", goodPassword)
		for _, name := range []string{"locked@example.com", "nobody@example.com"} {
			_, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: &name})
			wantAPIError(t, err, "NotAuthorizedException") // for unknown names too, so the answer reveals nothing
		}
	})
}
