package cognito

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func (e *env) getUser(access string) (*cip.GetUserOutput, error) {
	return e.api.GetUser(context.Background(), &cip.GetUserInput{AccessToken: &access})
}

func attrMap(list []types.AttributeType) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

func TestGetUserAndAccessTokenChecks(t *testing.T) {
	e := newEnv(t)
	sub := e.signUp("kim@example.com", goodPassword)
	tok := e.tokens("kim@example.com", goodPassword)
	out, err := e.getUser(*tok.AccessToken)
	if err != nil {
		t.Fatalf("GetUser() error = %v", err)
	}
	a := attrMap(out.UserAttributes)
	if aws.ToString(out.Username) != sub || a["sub"] != sub || a["email"] != "kim@example.com" || a["email_verified"] != "true" {
		t.Errorf("GetUser() = %s %v; want username %s with sub, email and email_verified", aws.ToString(out.Username), a, sub)
	}
	parts := strings.Split(*tok.AccessToken, ".")
	tests := []struct {
		name, token, wantMsg string
	}{
		{"ID token", *tok.IdToken, "Invalid Access Token"},
		{"garbage", "abc.def.ghi", "Invalid Access Token"},
		{"tampered", parts[0] + "." + parts[1] + "x." + parts[2], "Invalid Access Token"},
		{"unsigned", parts[0] + "." + parts[1] + ".", "Invalid Access Token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.getUser(tc.token)
			wantAPIError(t, err, "NotAuthorizedException")
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("GetUser() error = %v; want %q", err, tc.wantMsg)
			}
		})
	}
	e.clock.advance(61 * time.Minute)
	_, err = e.getUser(*tok.AccessToken)
	if err == nil || !strings.Contains(err.Error(), "Access Token has expired") {
		t.Errorf("GetUser(expired) error = %v; want Access Token has expired", err)
	}
}

func TestGlobalSignOutRevokesEverySession(t *testing.T) {
	e := newEnv(t)
	e.signUp("lee@example.com", goodPassword)
	phone, laptop := e.tokens("lee@example.com", goodPassword), e.tokens("lee@example.com", goodPassword)
	if _, err := e.api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: phone.AccessToken}); err != nil {
		t.Fatalf("GlobalSignOut() error = %v", err)
	}
	for _, tok := range []*types.AuthenticationResultType{phone, laptop} {
		_, err := e.getUser(*tok.AccessToken)
		if err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("GetUser(after sign-out) error = %v; want Access Token has been revoked", err)
		}
		_, err = e.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}})
		wantAPIError(t, err, "NotAuthorizedException")
	}
	// The signature is still good: only Cognito itself knows about revocation (the API Gateway authorizer does not).
	e.claims(*phone.AccessToken)
	next := e.tokens("lee@example.com", goodPassword)
	if _, err := e.getUser(*next.AccessToken); err != nil {
		t.Errorf("GetUser(after signing in again) error = %v", err)
	}
}

func TestRevokeTokenRevokesOneSession(t *testing.T) {
	e := newEnv(t)
	e.signUp("max@example.com", goodPassword)
	ctx := context.Background()
	revoked, kept := e.tokens("max@example.com", goodPassword), e.tokens("max@example.com", goodPassword)
	if _, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &e.clientID, Token: revoked.RefreshToken}); err != nil {
		t.Fatalf("RevokeToken() error = %v", err)
	}
	if _, err := e.getUser(*revoked.AccessToken); err == nil {
		t.Error("GetUser(access token of the revoked session) error = nil; want revoked")
	}
	_, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *revoked.RefreshToken}})
	wantAPIError(t, err, "NotAuthorizedException")
	if _, err := e.getUser(*kept.AccessToken); err != nil {
		t.Errorf("GetUser(other session) error = %v; want it untouched", err)
	}
	if _, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &e.clientID, Token: aws.String("unknown")}); err != nil {
		t.Errorf("RevokeToken(unknown token) error = %v; want success (RFC 7009)", err)
	}
	for name, tok := range map[string]*string{"access": kept.AccessToken, "ID": kept.IdToken} {
		_, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &e.clientID, Token: tok})
		if err == nil {
			t.Errorf("RevokeToken(%s token) error = nil; want UnsupportedTokenTypeException", name)
			continue
		}
		wantAPIError(t, err, "UnsupportedTokenTypeException")
	}
}

func TestRevokeTokenNeedsRevocationEnabled(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) { c.EnableTokenRevocation = false }))
	_, err := e.api.RevokeToken(context.Background(), &cip.RevokeTokenInput{ClientId: &e.clientID, Token: aws.String("x")})
	wantAPIError(t, err, "UnsupportedOperationException")
}

func TestUpdateAndVerifyAttributes(t *testing.T) {
	e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.CustomAttributes = []string{"custom:team"} }))
	e.signUp("ned@example.com", goodPassword)
	tok := e.tokens("ned@example.com", goodPassword)
	ctx := context.Background()
	out, err := e.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken,
		UserAttributes: attrs("name", "Ned", "email", "ned@example.org")})
	if err != nil {
		t.Fatalf("UpdateUserAttributes() error = %v", err)
	}
	if len(out.CodeDeliveryDetailsList) != 1 || aws.ToString(out.CodeDeliveryDetailsList[0].Destination) != "n***@e***" {
		t.Errorf("UpdateUserAttributes() deliveries = %+v; want a code to the new e-mail", out.CodeDeliveryDetailsList)
	}
	u, _ := e.getUser(*tok.AccessToken)
	if a := attrMap(u.UserAttributes); a["name"] != "Ned" || a["email"] != "ned@example.org" || a["email_verified"] != "false" {
		t.Errorf("attributes after update = %v; want name Ned, new unverified e-mail", a)
	}
	_, err = e.api.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: aws.String("999999x")})
	wantAPIError(t, err, "CodeMismatchException")
	if _, err := e.api.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"),
		Code: aws.String(e.lastCode("ned@example.org"))}); err != nil {
		t.Fatalf("VerifyUserAttribute() error = %v", err)
	}
	u, _ = e.getUser(*tok.AccessToken)
	if a := attrMap(u.UserAttributes); a["email_verified"] != "true" {
		t.Errorf("email_verified after verification = %q; want true", a["email_verified"])
	}
	e.tokens("ned@example.org", goodPassword)

	e.signUp("other@example.com", goodPassword)
	for _, tc := range []struct {
		name  string
		attrs []types.AttributeType
		want  string
	}{
		{"taken e-mail", attrs("email", "other@example.com"), "AliasExistsException"},
		{"sub", attrs("sub", "x"), "InvalidParameterException"},
		{"unknown attribute", attrs("shoe_size", "44"), "InvalidParameterException"},
		// A user's attributes are bounded by the schema: no custom attribute the template does not declare.
		{"undeclared custom attribute", attrs("custom:shoe_size", "44"), "InvalidParameterException"},
		{"verified flag", attrs("email_verified", "true"), "NotAuthorizedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken, UserAttributes: tc.attrs})
			wantAPIError(t, err, tc.want)
		})
	}
	if _, err := e.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken, UserAttributes: attrs("custom:team", "blue")}); err != nil {
		t.Errorf("UpdateUserAttributes(custom attribute) error = %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	e.signUp("oli@example.com", goodPassword)
	tok := e.tokens("oli@example.com", goodPassword)
	ctx := context.Background()
	change := func(prev, next string) error {
		_, err := e.api.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: &prev, ProposedPassword: &next})
		return err
	}
	const newPassword = "Battery-staple-7?"
	wantAPIError(t, change("Wrong-horse-9!", newPassword), "NotAuthorizedException")
	wantAPIError(t, change(goodPassword, "weak"), "InvalidPasswordException")
	if err := change(goodPassword, newPassword); err != nil {
		t.Fatalf("ChangePassword() error = %v", err)
	}
	_, err := e.passwordAuth("oli@example.com", goodPassword)
	wantAPIError(t, err, "NotAuthorizedException")
	e.tokens("oli@example.com", newPassword)
	if res, err := e.srpSignIn("oli@example.com", newPassword); err != nil || res.Tokens == nil {
		t.Errorf("SRP with the new password = %v, %v; want tokens", res, err)
	}
}

func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	e.signUp("pam@example.com", goodPassword)
	ctx := context.Background()
	out, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("pam@example.com")})
	if err != nil {
		t.Fatalf("ForgotPassword() error = %v", err)
	}
	if aws.ToString(out.CodeDeliveryDetails.Destination) != "p***@e***" {
		t.Errorf("ForgotPassword() destination = %s; want p***@e***", aws.ToString(out.CodeDeliveryDetails.Destination))
	}
	code := e.lastCode("pam@example.com")
	const newPassword = "Battery-staple-7?"
	confirm := func(user, code, pw string) error {
		_, err := e.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: &e.clientID, Username: &user, ConfirmationCode: &code, Password: &pw})
		return err
	}
	wantAPIError(t, confirm("pam@example.com", code, "weak"), "InvalidPasswordException")
	wantAPIError(t, confirm("pam@example.com", "x"+code[1:], newPassword), "CodeMismatchException")
	// No code was asked for that name: as for a real user without one (TestProbesDoNotRevealUsers has the rest).
	wantAPIError(t, confirm("nobody@example.com", code, newPassword), "ExpiredCodeException")
	if err := confirm("pam@example.com", code, newPassword); err != nil {
		t.Fatalf("ConfirmForgotPassword() error = %v", err)
	}
	wantAPIError(t, confirm("pam@example.com", code, newPassword), "ExpiredCodeException")
	_, err = e.passwordAuth("pam@example.com", goodPassword)
	wantAPIError(t, err, "NotAuthorizedException")
	e.tokens("pam@example.com", newPassword)

	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("nobody@example.com")}); err != nil {
		t.Errorf("ForgotPassword(unknown) error = %v; want a pretend delivery", err)
	}
	// A reset code is valid for an hour.
	e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("pam@example.com")})
	code = e.lastCode("pam@example.com")
	e.clock.advance(61 * time.Minute)
	wantAPIError(t, confirm("pam@example.com", code, "Another-pass-8#"), "ExpiredCodeException")
}

func TestForgotPasswordNeedsAVerifiedDestination(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) { c.PreventUserExistenceErrors = "LEGACY" }))
	ctx := context.Background()
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("una@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("una@example.com")})
	wantAPIError(t, err, "InvalidParameterException")
}

// TestDisabledUsersCannotResetTheirPassword: a code sent before an administrator disabled the user does not
// change the password. The answers are those an unknown name gets (the client prevents user existence errors): no
// code pending until one is asked for, then a wrong code.
func TestDisabledUsersCannotResetTheirPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.signUp("dora@example.com", goodPassword)
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("dora@example.com")}); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode("dora@example.com")
	if _, err := e.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &e.poolID, Username: aws.String("dora@example.com")}); err != nil {
		t.Fatal(err)
	}
	confirm := func() error {
		_, err := e.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("dora@example.com"),
			ConfirmationCode: &code, Password: aws.String("Battery-staple-7?")})
		return err
	}
	wantAPIError(t, confirm(), "ExpiredCodeException")
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("dora@example.com")}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, confirm(), "CodeMismatchException")
	if len(e.outbox("dora@example.com")) != 2 {
		t.Errorf("outbox for dora = %v; want the sign-up and the first reset code only", e.outbox("dora@example.com"))
	}
	if _, err := e.api.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: &e.poolID, Username: aws.String("dora@example.com")}); err != nil {
		t.Fatal(err)
	}
	e.tokens("dora@example.com", goodPassword)
}

// written is the state generation last written to disk.
func (e *env) written() uint64 {
	e.srv.saver.mu.Lock()
	defer e.srv.saver.mu.Unlock()
	return e.srv.saver.written
}

// TestCodeRequestsDoNotRevealUsers: with PreventUserExistenceErrors ENABLED, ForgotPassword and
// ResendConfirmationCode answer for an unknown name, a disabled user and a user without a verified address
// the way they answer for a real one — a plausible delivery, the same hourly limit, after a state write like a
// real send (so the answer takes as long) — and send nothing.
func TestCodeRequestsDoNotRevealUsers(t *testing.T) {
	ctx := context.Background()
	forgot := func(e *env, name string) (*cip.ForgotPasswordOutput, error) {
		return e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: &name})
	}
	t.Run("e-mail pool", func(t *testing.T) {
		e := newEnv(t)
		e.signUpEveryKind("real@example.com", "off@example.com", "unverified@example.com")
		sent := len(e.outbox(""))
		for _, name := range []string{"ghost@example.com", "off@example.com", "unverified@example.com"} {
			before := e.written()
			out, err := forgot(e, name)
			if err != nil {
				t.Fatalf("ForgotPassword(%s) error = %v; want a simulated delivery", name, err)
			}
			want := &types.CodeDeliveryDetailsType{AttributeName: aws.String("email"), DeliveryMedium: types.DeliveryMediumTypeEmail, Destination: aws.String(mask(name))}
			if diff := cmp.Diff(want, out.CodeDeliveryDetails, cmpopts.IgnoreUnexported(types.CodeDeliveryDetailsType{})); diff != "" {
				t.Errorf("ForgotPassword(%s) delivery (-want +got):\n%s", name, diff)
			}
			if e.written() <= before {
				t.Errorf("ForgotPassword(%s) answered without a state write; a real send waits for one", name)
			}
		}
		if msgs := e.outbox(""); len(msgs) != sent {
			t.Errorf("outbox grew by %d messages; want nothing sent for simulated deliveries", len(msgs)-sent)
		}
		// A real address stored with capitals looks like the stand-in for the same address typed in lower case.
		e.signUp("Mixed@Example.com", goodPassword)
		for _, name := range []string{"mixed@example.com", "ghost@example.com", "Ünïcode@example.com"} {
			out, err := forgot(e, name)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"mixed@example.com": "m***@e***", "ghost@example.com": "g***@e***", "Ünïcode@example.com": "ü***@e***"}[name]
			if got := aws.ToString(out.CodeDeliveryDetails.Destination); got != want {
				t.Errorf("ForgotPassword(%s) destination = %q; want %q", name, got, want)
			}
		}
		// The hourly limit applies to unknown names as to real users.
		for _, name := range []string{"real@example.com", "ghost@example.com"} {
			var err error
			for i := 0; i <= maxCodesPerHour && err == nil; i++ {
				_, err = forgot(e, name)
			}
			wantAPIError(t, err, "LimitExceededException")
		}
	})
	t.Run("username pool", func(t *testing.T) {
		e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.UsernameAttributes = nil }))
		first, err := forgot(e, "ghost")
		if err != nil {
			t.Fatalf("ForgotPassword(ghost) error = %v", err)
		}
		again, _ := forgot(e, "ghost")
		d := aws.ToString(first.CodeDeliveryDetails.Destination)
		if len(d) != len("a***@b***") || !strings.Contains(d, "***@") || d != aws.ToString(again.CodeDeliveryDetails.Destination) {
			t.Errorf("simulated destinations %q, %q; want one stable address masked like a real one (a***@b***)", d, aws.ToString(again.CodeDeliveryDetails.Destination))
		}
	})
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	e.signUp("quinn@example.com", goodPassword)
	tok := e.tokens("quinn@example.com", goodPassword)
	if _, err := e.api.DeleteUser(context.Background(), &cip.DeleteUserInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatalf("DeleteUser() error = %v", err)
	}
	_, err := e.getUser(*tok.AccessToken)
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.passwordAuth("quinn@example.com", goodPassword)
	wantAPIError(t, err, "NotAuthorizedException")
	// The e-mail is free again.
	e.signUp("quinn@example.com", goodPassword)
}

// TestCodesServeOnlyTheirPurpose: a reset code does not verify an attribute, an attribute-verification code does
// not reset a password, a sign-up code does not reset one either, and an unconfirmed user gets no reset code.
func TestCodesServeOnlyTheirPurpose(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.signUp("olga@example.com", goodPassword)
	tok := e.tokens("olga@example.com", goodPassword)
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("olga@example.com")}); err != nil {
		t.Fatal(err)
	}
	reset := e.lastCode("olga@example.com")
	verify, addr := reset, ""
	for i := 0; verify == reset; i++ { // two random codes clash once in a million: ask for another
		addr = fmt.Sprintf("olga%d@example.org", i)
		if _, err := e.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken, UserAttributes: attrs("email", addr)}); err != nil {
			t.Fatal(err)
		}
		verify = e.lastCode(addr)
	}
	_, err := e.api.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: &reset})
	wantAPIError(t, err, "CodeMismatchException")
	confirmReset := func(user, code string) error {
		_, err := e.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: &e.clientID, Username: &user, ConfirmationCode: &code, Password: aws.String("Battery-staple-7?")})
		return err
	}
	wantAPIError(t, confirmReset(addr, verify), "CodeMismatchException")

	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("pia@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	signup := e.lastCode("pia@example.com")
	wantAPIError(t, confirmReset("pia@example.com", signup), "ExpiredCodeException")
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("pia@example.com")}); err != nil {
		t.Fatal(err)
	}
	if msgs := e.outbox("pia@example.com"); len(msgs) != 1 {
		t.Errorf("outbox for an unconfirmed user after ForgotPassword = %+v; want only the sign-up code", msgs)
	}
	if _, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: aws.String("pia@example.com"), ConfirmationCode: &signup}); err != nil {
		t.Errorf("ConfirmSignUp(sign-up code) error = %v; want the sign-up code still good", err)
	}
}
