package cognito

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

func TestAdminCreateUserAndNewPasswordChallenge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("uma@example.com"),
		UserAttributes: attrs("email_verified", "true")})
	if err != nil {
		t.Fatalf("AdminCreateUser() error = %v", err)
	}
	if out.User.UserStatus != types.UserStatusTypeForceChangePassword || !out.User.Enabled {
		t.Errorf("AdminCreateUser() status %s enabled %v; want FORCE_CHANGE_PASSWORD, enabled", out.User.UserStatus, out.User.Enabled)
	}
	msgs := e.outbox("uma@example.com")
	if len(msgs) != 1 || msgs[0].TemporaryPassword == "" {
		t.Fatalf("outbox = %+v; want an invitation with a temporary password", msgs)
	}
	signIn, err := e.passwordAuth("uma@example.com", msgs[0].TemporaryPassword)
	if err != nil || signIn.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("sign-in with the temporary password = %v, %v; want NEW_PASSWORD_REQUIRED", signIn, err)
	}
	answer := func(pw string) (*cip.RespondToAuthChallengeOutput, error) {
		return e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
			Session: signIn.Session, ChallengeResponses: map[string]string{"USERNAME": signIn.ChallengeParameters["USER_ID_FOR_SRP"], "NEW_PASSWORD": pw, "userAttributes.name": "Uma"}})
	}
	_, err = answer("weak")
	wantAPIError(t, err, "InvalidPasswordException")
	done, err := answer(goodPassword)
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("NEW_PASSWORD_REQUIRED answer = %v, %v; want tokens", done, err)
	}
	got, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &e.poolID, Username: aws.String("uma@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if a := attrMap(got.UserAttributes); got.UserStatus != types.UserStatusTypeConfirmed || a["name"] != "Uma" || a["email_verified"] != "true" {
		t.Errorf("AdminGetUser() = %s %v; want CONFIRMED with name Uma and a verified e-mail", got.UserStatus, a)
	}
	e.tokens("uma@example.com", goodPassword)

	_, err = e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("uma@example.com")})
	wantAPIError(t, err, "UsernameExistsException")
	_, err = e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("vic@example.com"), TemporaryPassword: aws.String("short")})
	wantAPIError(t, err, "InvalidPasswordException")
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("wes@example.com"),
		TemporaryPassword: aws.String(goodPassword), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if msgs := e.outbox("wes@example.com"); len(msgs) != 0 {
		t.Errorf("outbox with MessageAction SUPPRESS = %+v; want nothing", msgs)
	}
}

func TestAdminUserLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("xia@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")}); err != nil {
		t.Fatalf("AdminConfirmSignUp() error = %v", err)
	}
	_, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")})
	wantAPIError(t, err, "NotAuthorizedException")
	tok := e.tokens("xia@example.com", goodPassword)
	if _, err := e.api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")}); err != nil {
		t.Fatalf("AdminUserGlobalSignOut() error = %v", err)
	}
	_, err = e.getUser(*tok.AccessToken)
	wantAPIError(t, err, "NotAuthorizedException")
	if _, err := e.api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")}); err != nil {
		t.Fatalf("AdminDeleteUser() error = %v", err)
	}
	for name, call := range map[string]func() error{
		"AdminGetUser": func() error {
			_, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")})
			return err
		},
		"AdminDeleteUser": func() error {
			_, err := e.api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")})
			return err
		},
		"AdminUserGlobalSignOut": func() error {
			_, err := e.api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &e.poolID, Username: aws.String("xia@example.com")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantAPIError(t, call(), "UserNotFoundException") })
	}
	_, err = e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String("eu-west-1_nosuchpoo"), Username: aws.String("x")})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, u := range []string{"ann@example.com", "abe@example.com", "bea@example.org"} {
		e.signUp(u, goodPassword)
	}
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("amy@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	emails := func(out *cip.ListUsersOutput) []string {
		var got []string
		for _, u := range out.Users {
			got = append(got, attrMap(u.Attributes)["email"])
		}
		return got
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"ann@example.com", "abe@example.com", "bea@example.org", "amy@example.com"}},
		{`email = "abe@example.com"`, []string{"abe@example.com"}},
		{`email ^= "a"`, []string{"ann@example.com", "abe@example.com", "amy@example.com"}},
		{`cognito:user_status = "UNCONFIRMED"`, []string{"amy@example.com"}},
		{`email = "nobody@example.com"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			out, err := e.api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &e.poolID, Filter: aws.String(tc.filter)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, emails(out)); diff != "" {
				t.Errorf("ListUsers(%q) (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
	var all []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := e.api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &e.poolID, Limit: aws.Int32(3), PaginationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, emails(out)...)
		if token = out.PaginationToken; token == nil || pages > 3 {
			break
		}
	}
	if len(all) != 4 {
		t.Errorf("paginated ListUsers = %v; want all 4 users", all)
	}
	_, err := e.api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &e.poolID, Filter: aws.String(`shoe_size = "44"`)})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestDescribe(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pool, err := e.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &e.poolID})
	if err != nil {
		t.Fatalf("DescribeUserPool() error = %v", err)
	}
	p := pool.UserPool
	if aws.ToString(p.Id) != e.poolID || p.MfaConfiguration != types.UserPoolMfaTypeOff || aws.ToInt32(p.Policies.PasswordPolicy.MinimumLength) != 12 ||
		!cmp.Equal(p.UsernameAttributes, []types.UsernameAttributeType{"email"}) || aws.ToBool(p.UsernameConfiguration.CaseSensitive) {
		t.Errorf("DescribeUserPool() = %+v; want the template's settings", p)
	}
	client, err := e.api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &e.poolID, ClientId: &e.clientID})
	if err != nil {
		t.Fatalf("DescribeUserPoolClient() error = %v", err)
	}
	c := client.UserPoolClient
	if aws.ToString(c.ClientId) != e.clientID || c.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesEnabled ||
		c.RefreshTokenValidity != 43200 || c.TokenValidityUnits.RefreshToken != types.TimeUnitsTypeMinutes || len(c.ExplicitAuthFlows) != 3 {
		t.Errorf("DescribeUserPoolClient() = %+v; want the template's settings", c)
	}
	_, err = e.api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &e.poolID, ClientId: aws.String("nosuchclient")})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestIDsLookReal(t *testing.T) {
	e := newEnv(t)
	if !strings.HasPrefix(e.poolID, "eu-west-1_") || len(e.poolID) != len("eu-west-1_")+9 {
		t.Errorf("pool ID %q; want eu-west-1_ and 9 characters", e.poolID)
	}
	if len(e.clientID) != 26 || strings.ToLower(e.clientID) != e.clientID {
		t.Errorf("client ID %q; want 26 lowercase characters", e.clientID)
	}
}

func TestUnsupportedOperationsAreNamed(t *testing.T) {
	e := newEnv(t)
	_, err := e.api.AdminAddUserToGroup(context.Background(), &cip.AdminAddUserToGroupInput{UserPoolId: &e.poolID, Username: aws.String("x"), GroupName: aws.String("y")})
	wantAPIError(t, err, "InvalidParameterException")
	if !strings.Contains(err.Error(), "AdminAddUserToGroup") {
		t.Errorf("error = %v; want it to name AdminAddUserToGroup", err)
	}
}

func TestAdminAuthAnswersItsChallenges(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) {
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, "ALLOW_ADMIN_USER_PASSWORD_AUTH")
	}))
	ctx := context.Background()
	const temp = "Temporary-pass-1!"
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("yoko@example.com"),
		TemporaryPassword: aws.String(temp), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	init, err := e.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &e.poolID, ClientId: &e.clientID,
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "yoko@example.com", "PASSWORD": temp}})
	if err != nil || init.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("AdminInitiateAuth() = %v, %v; want NEW_PASSWORD_REQUIRED", init, err)
	}
	answer := func(poolID string) (*cip.AdminRespondToAuthChallengeOutput, error) {
		return e.api.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: &poolID, ClientId: &e.clientID,
			ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: init.Session,
			ChallengeResponses: map[string]string{"USERNAME": init.ChallengeParameters["USER_ID_FOR_SRP"], "NEW_PASSWORD": goodPassword}})
	}
	_, err = answer("eu-west-1_nosuchpoo")
	wantAPIError(t, err, "ResourceNotFoundException")
	out, err := answer(e.poolID)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("AdminRespondToAuthChallenge() = %v, %v; want tokens", out, err)
	}
	e.tokens("yoko@example.com", goodPassword)
}

func TestAdminSetUserPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.signUp("zoe@example.com", goodPassword)
	set := func(user, pw string, permanent bool) error {
		_, err := e.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &e.poolID, Username: &user, Password: &pw, Permanent: permanent})
		return err
	}
	wantAPIError(t, set("zoe@example.com", "weak", true), "InvalidPasswordException")
	wantAPIError(t, set("nobody@example.com", goodPassword, true), "UserNotFoundException")
	if err := set("zoe@example.com", "Set-by-admin-5%", true); err != nil {
		t.Fatalf("AdminSetUserPassword(permanent) error = %v", err)
	}
	e.tokens("zoe@example.com", "Set-by-admin-5%")
	if err := set("zoe@example.com", "Temporary-pass-1!", false); err != nil {
		t.Fatalf("AdminSetUserPassword(temporary) error = %v", err)
	}
	out, err := e.passwordAuth("zoe@example.com", "Temporary-pass-1!")
	if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Errorf("sign-in with a temporary password = %v, %v; want NEW_PASSWORD_REQUIRED", out, err)
	}
}

func TestAdminDisableAndEnableUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.signUp("abel@example.com", goodPassword)
	tok := e.tokens("abel@example.com", goodPassword)
	if _, err := e.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &e.poolID, Username: aws.String("abel@example.com")}); err != nil {
		t.Fatalf("AdminDisableUser() error = %v", err)
	}
	for name, err := range map[string]error{
		"password sign-in": func() error { _, err := e.passwordAuth("abel@example.com", goodPassword); return err }(),
		"SRP sign-in":      func() error { _, err := e.srpSignIn("abel@example.com", goodPassword); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "User is disabled.") {
			t.Errorf("%s of a disabled user: error = %v; want NotAuthorizedException: User is disabled.", name, err)
		}
	}
	refreshed := func() error {
		_, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}})
		return err
	}
	wantAPIError(t, refreshed(), "NotAuthorizedException")
	_, err := e.getUser(*tok.AccessToken)
	wantAPIError(t, err, "NotAuthorizedException")
	got, _ := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &e.poolID, Username: aws.String("abel@example.com")})
	if got.Enabled {
		t.Error("AdminGetUser().Enabled = true after AdminDisableUser")
	}
	if _, err := e.api.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: &e.poolID, Username: aws.String("abel@example.com")}); err != nil {
		t.Fatalf("AdminEnableUser() error = %v", err)
	}
	fresh := e.tokens("abel@example.com", goodPassword)
	if _, err := e.getUser(*fresh.AccessToken); err != nil {
		t.Errorf("GetUser(new token) after enabling: %v", err)
	}
	// Disabling revoked the old sessions for good, as in Cognito.
	_, err = e.getUser(*tok.AccessToken)
	wantAPIError(t, err, "NotAuthorizedException")
	wantAPIError(t, refreshed(), "NotAuthorizedException")
}

// TestInvitationUsesTheTemplatesMessage: AdminCreateUser's invitation is the pool's InviteMessageTemplate with
// the username and temporary password filled in.
func TestInvitationUsesTheTemplatesMessage(t *testing.T) {
	e := newEnv(t, withSpecs(func(p *PoolConfig, _ *ClientConfig) {
		p.InviteEmail = "Hi {username}, sign in with {####} within 3 days"
	}))
	if _, err := e.api.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("vic@example.com"),
		TemporaryPassword: aws.String("Temporary-pass-5#")}); err != nil {
		t.Fatal(err)
	}
	msgs := e.outbox("vic@example.com")
	if len(msgs) != 1 || msgs[0].Text != "Hi vic@example.com, sign in with Temporary-pass-5# within 3 days" {
		t.Errorf("outbox = %+v; want the template's invitation", msgs)
	}
}

// TestNewPasswordChallengeAttributesAreChecked: attributes set while answering NEW_PASSWORD_REQUIRED go through
// the same checks as UpdateUserAttributes — another user's e-mail is refused, and a new one becomes a sign-in name.
func TestNewPasswordChallengeAttributesAreChecked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.signUp("first@example.com", goodPassword)
	const temp = "Temporary-pass-5#"
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("second@example.com"), TemporaryPassword: aws.String(temp)}); err != nil {
		t.Fatal(err)
	}
	answer := func(email string) (*cip.RespondToAuthChallengeOutput, error) {
		signIn, err := e.passwordAuth("second@example.com", temp)
		if err != nil || signIn.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("sign-in with the temporary password = %v, %v; want NEW_PASSWORD_REQUIRED", signIn, err)
		}
		return e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
			Session: signIn.Session, ChallengeResponses: map[string]string{"USERNAME": signIn.ChallengeParameters["USER_ID_FOR_SRP"], "NEW_PASSWORD": goodPassword, "userAttributes.email": email}})
	}
	_, err := answer("first@example.com")
	wantAPIError(t, err, "AliasExistsException")
	if _, err := answer("second@example.org"); err != nil {
		t.Fatal(err)
	}
	e.tokens("second@example.org", goodPassword)
	e.tokens("first@example.com", goodPassword)
}
