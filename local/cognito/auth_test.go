package cognito

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/local/jwtauth"
	"github.com/authnotes/authnotes/srp"
)

func attrs(kv ...string) []types.AttributeType {
	var out []types.AttributeType
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.AttributeType{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// claims verifies a token the way the API gateway will — through the pool's published JWKS — and returns its
// claims.
func (e *env) claims(token string) jwtauth.Claims {
	e.t.Helper()
	v, err := jwtauth.NewVerifier(jwtauth.NewJWKS(e.srv.JWKSURL(e.poolID), jwtauth.JWKSOptions{}), jwtauth.Expect{
		Issuer: e.srv.Issuer(e.poolID), Audiences: []string{e.clientID}, Now: e.clock.Now,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		e.t.Fatalf("Verify(token) error = %v", err)
	}
	return c
}

func (e *env) srpSignIn(user, password string) (*srp.SignInResult, error) {
	return srp.SignIn(context.Background(), e.api, srp.SignInInput{PoolID: e.poolID, ClientID: e.clientID, Username: user, Password: password, Now: e.clock.Now})
}

func TestTokensCarryCognitosClaims(t *testing.T) {
	e := newEnv(t)
	sub := e.signUp("dana@example.com", goodPassword)
	tok := e.tokens("dana@example.com", goodPassword)
	if aws.ToString(tok.TokenType) != "Bearer" || tok.ExpiresIn != 3600 || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("AuthenticationResult = type %v, expires in %d, refresh %q; want Bearer, 3600, a refresh token", aws.ToString(tok.TokenType), tok.ExpiresIn, aws.ToString(tok.RefreshToken))
	}
	id, access := e.claims(*tok.IdToken), e.claims(*tok.AccessToken)
	keys := func(c jwtauth.Claims) []string { return slices.Sorted(maps.Keys(c)) }
	wantID := []string{"aud", "auth_time", "cognito:username", "email", "email_verified", "event_id", "exp", "iat", "iss", "jti", "origin_jti", "sub", "token_use"}
	wantAccess := []string{"auth_time", "client_id", "event_id", "exp", "iat", "iss", "jti", "origin_jti", "scope", "sub", "token_use", "username"}
	if diff := cmp.Diff(wantID, keys(id)); diff != "" {
		t.Errorf("ID token claims (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAccess, keys(access)); diff != "" {
		t.Errorf("access token claims (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		claims jwtauth.Claims
		name   string
		want   any
	}{
		{id, "sub", sub}, {id, "aud", e.clientID}, {id, "email", "dana@example.com"}, {id, "email_verified", true},
		{id, "cognito:username", sub}, {id, "token_use", "id"}, {id, "iss", "http://" + strings.TrimPrefix(e.srv.URL(), "http://") + "/" + e.poolID},
		{access, "client_id", e.clientID}, {access, "scope", "aws.cognito.signin.user.admin"}, {access, "token_use", "access"},
		{access, "username", sub}, {access, "origin_jti", id["origin_jti"]}, {access, "event_id", id["event_id"]},
	} {
		if got := c.claims[c.name]; got != c.want {
			t.Errorf("claim %s = %v; want %v", c.name, got, c.want)
		}
	}
	if exp, iat := access["exp"].(float64), access["iat"].(float64); exp-iat != 3600 {
		t.Errorf("access token lives %v s; want 3600 (AccessTokenValidity 60 minutes)", exp-iat)
	}
	if access["jti"] == id["jti"] {
		t.Error("ID and access token share a jti")
	}
}

func TestPasswordSignIn(t *testing.T) {
	e := newEnv(t)
	e.signUp("erin@example.com", goodPassword)
	tests := []struct {
		name, user, password, want string
	}{
		{"right password", "erin@example.com", goodPassword, ""},
		{"other case", "ERIN@EXAMPLE.COM", goodPassword, ""},
		{"wrong password", "erin@example.com", "Wrong-horse-9!", "NotAuthorizedException"},
		{"unknown user looks like a wrong password", "nobody@example.com", goodPassword, "NotAuthorizedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.passwordAuth(tc.user, tc.password)
			if tc.want != "" {
				wantAPIError(t, err, tc.want)
				if !strings.Contains(err.Error(), "Incorrect username or password.") {
					t.Errorf("error = %v; want Cognito's message for both cases", err)
				}
				return
			}
			if err != nil || out.AuthenticationResult == nil {
				t.Fatalf("InitiateAuth() = %v, %v; want tokens", out, err)
			}
		})
	}
}

func TestLegacyClientsRevealUnknownUsers(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) { c.PreventUserExistenceErrors = "LEGACY" }))
	_, err := e.passwordAuth("nobody@example.com", goodPassword)
	wantAPIError(t, err, "UserNotFoundException")
	_, err = e.srpSignIn("nobody@example.com", goodPassword)
	wantAPIError(t, err, "UserNotFoundException")
}

func TestAuthFlowsFollowTheClient(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) {
		c.ExplicitAuthFlows = []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}))
	e.signUp("fay@example.com", goodPassword)
	_, err := e.passwordAuth("fay@example.com", goodPassword)
	wantAPIError(t, err, "InvalidParameterException")
	_, err = e.srpSignIn("fay@example.com", goodPassword)
	wantAPIError(t, err, "InvalidParameterException")
	out, err := e.api.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: &e.poolID, ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "fay@example.com", "PASSWORD": goodPassword},
	})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("AdminInitiateAuth() = %v, %v; want tokens", out, err)
	}
	_, err = e.api.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: &e.poolID, ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "fay@example.com", "PASSWORD": "Wrong-horse-9!"},
	})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeCustomAuth})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestSRPSignIn(t *testing.T) {
	e := newEnv(t)
	sub := e.signUp("gus@example.com", goodPassword)
	res, err := e.srpSignIn("Gus@Example.com", goodPassword)
	if err != nil {
		t.Fatalf("srp.SignIn() error = %v", err)
	}
	if res.Tokens == nil || res.UserID != sub {
		t.Fatalf("srp.SignIn() = tokens %v, USER_ID_FOR_SRP %q; want tokens and the sub %s", res.Tokens, res.UserID, sub)
	}
	if got := e.claims(*res.Tokens.AccessToken).Subject(); got != sub {
		t.Errorf("access token sub = %s; want %s", got, sub)
	}
	_, err = e.srpSignIn("gus@example.com", "Wrong-horse-9!")
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = e.srpSignIn("nobody@example.com", goodPassword)
	wantAPIError(t, err, "NotAuthorizedException")
}

func TestSRPRefusesReplaysAndStaleTimestamps(t *testing.T) {
	e := newEnv(t)
	e.signUp("hal@example.com", goodPassword)
	ctx := context.Background()
	initiate := func() (*srp.Client, *cip.InitiateAuthOutput) {
		c, err := srp.NewClient(e.poolID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": "hal@example.com", "SRP_A": c.SRPA()}})
		if err != nil {
			t.Fatal(err)
		}
		return c, out
	}
	respond := func(c *srp.Client, out *cip.InitiateAuthOutput, at time.Time) error {
		p := out.ChallengeParameters
		claim, err := c.Claim(p["USER_ID_FOR_SRP"], goodPassword, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], at)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
			ChallengeResponses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": claim.Signature, "TIMESTAMP": claim.Timestamp}})
		return err
	}
	c, out := initiate()
	if err := respond(c, out, e.clock.Now()); err != nil {
		t.Fatalf("first answer error = %v", err)
	}
	wantAPIError(t, respond(c, out, e.clock.Now()), "NotAuthorizedException")

	c, out = initiate()
	wantAPIError(t, respond(c, out, e.clock.Now().Add(-10*time.Minute)), "NotAuthorizedException")

	c, out = initiate()
	e.clock.advance(4 * time.Minute) // past AuthSessionValidity (3 minutes)
	wantAPIError(t, respond(c, out, e.clock.Now()), "NotAuthorizedException")

	_, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: map[string]string{"USERNAME": "hal@example.com", "SRP_A": "0"}})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestSRPUnknownUsersLookReal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	params := func(user string) map[string]string {
		c, _ := srp.NewClient(e.poolID)
		out, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": user, "SRP_A": c.SRPA()}})
		if err != nil {
			t.Fatalf("InitiateAuth(%s) error = %v; want a challenge, as for a real user", user, err)
		}
		return out.ChallengeParameters
	}
	first, second := params("ghost@example.com"), params("ghost@example.com")
	if first["SALT"] != second["SALT"] || first["USER_ID_FOR_SRP"] != second["USER_ID_FOR_SRP"] {
		t.Errorf("unknown user's SALT/USER_ID_FOR_SRP changed between attempts (%s/%s, %s/%s); a real user's do not", first["SALT"], second["SALT"], first["USER_ID_FOR_SRP"], second["USER_ID_FOR_SRP"])
	}
	if id := first["USER_ID_FOR_SRP"]; len(id) != 36 || strings.Contains(id, "@") {
		t.Errorf("unknown user's USER_ID_FOR_SRP = %q; want a UUID like a real user's sub", id)
	}
	if params("other@example.com")["SALT"] == first["SALT"] {
		t.Error("two unknown users got the same salt")
	}
	// A real user's sub and salt are unrelated; a stand-in's must not be derivable from one another either.
	if id := strings.ReplaceAll(first["USER_ID_FOR_SRP"], "-", ""); id[:12] == first["SALT"][:12] || id[20:] == first["SALT"][20:] {
		t.Errorf("unknown user's USER_ID_FOR_SRP %s is made from its SALT %s: a tell-tale of a stand-in", first["USER_ID_FOR_SRP"], first["SALT"])
	}
	// Another spelling of the same address is the same stand-in, as it would be the same real user.
	if again := params("GHOST@example.com"); again["SALT"] != first["SALT"] || again["USER_ID_FOR_SRP"] != first["USER_ID_FOR_SRP"] {
		t.Errorf("GHOST@example.com got SALT/USER_ID_FOR_SRP %s/%s; want ghost@example.com's %s/%s (a real user's would match)", again["SALT"], again["USER_ID_FOR_SRP"], first["SALT"], first["USER_ID_FOR_SRP"])
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	e.signUp("ida@example.com", goodPassword)
	for i := range lockoutAfter {
		_, err := e.passwordAuth("ida@example.com", "Wrong-horse-9!")
		wantAPIError(t, err, "NotAuthorizedException")
		if i < lockoutAfter-1 && strings.Contains(err.Error(), "attempts exceeded") {
			t.Fatalf("locked after %d failures; want %d", i+1, lockoutAfter)
		}
	}
	_, err := e.passwordAuth("ida@example.com", goodPassword)
	if err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("right password while locked: error = %v; want Password attempts exceeded", err)
	}
	_, err = e.srpSignIn("ida@example.com", goodPassword)
	if err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("SRP while locked: error = %v; want Password attempts exceeded", err)
	}
	e.clock.advance(1100 * time.Millisecond)
	// The sixth failure locks for 2 s: 1.1 s later it is still locked, 2.1 s later it is not.
	_, err = e.passwordAuth("ida@example.com", "Wrong-horse-9!")
	wantAPIError(t, err, "NotAuthorizedException")
	e.clock.advance(1100 * time.Millisecond)
	if _, err := e.passwordAuth("ida@example.com", goodPassword); err == nil || !strings.Contains(err.Error(), "attempts exceeded") {
		t.Fatalf("1.1 s after the sixth failure: error = %v; want still locked", err)
	}
	e.clock.advance(time.Second)
	e.tokens("ida@example.com", goodPassword)
	// Success resets the count.
	_, err = e.passwordAuth("ida@example.com", "Wrong-horse-9!")
	if err == nil || strings.Contains(err.Error(), "attempts exceeded") {
		t.Fatalf("first failure after a success: error = %v; want a plain wrong password", err)
	}
	// Unknown names lock the same way, so locking reveals nothing.
	for range lockoutAfter {
		e.passwordAuth("ghost@example.com", "Wrong-horse-9!")
	}
	if _, err := e.passwordAuth("ghost@example.com", "Wrong-horse-9!"); err == nil || !strings.Contains(err.Error(), "attempts exceeded") {
		t.Errorf("unknown user after %d failures: error = %v; want locked like a real one", lockoutAfter, err)
	}
}

func TestRefreshTokenAuth(t *testing.T) {
	e := newEnv(t)
	e.signUp("jo@example.com", goodPassword)
	tok := e.tokens("jo@example.com", goodPassword)
	ctx := context.Background()
	refresh := func(token string) (*cip.InitiateAuthOutput, error) {
		return e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": token}})
	}
	first := e.claims(*tok.AccessToken)
	e.clock.advance(2 * time.Hour)
	out, err := refresh(*tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh error = %v", err)
	}
	r := out.AuthenticationResult
	if r == nil || r.RefreshToken != nil {
		t.Fatalf("refresh result = %+v; want new ID and access tokens without a new refresh token", r)
	}
	fresh := e.claims(*r.AccessToken)
	if fresh["origin_jti"] != first["origin_jti"] || fresh["auth_time"] != first["auth_time"] || fresh["jti"] == first["jti"] {
		t.Errorf("refreshed token origin_jti/auth_time/jti = %v/%v/%v; want the session's origin_jti and auth_time, a new jti (first %v/%v/%v)",
			fresh["origin_jti"], fresh["auth_time"], fresh["jti"], first["origin_jti"], first["auth_time"], first["jti"])
	}
	_, err = refresh("not-a-refresh-token")
	wantAPIError(t, err, "NotAuthorizedException")
	e.clock.advance(31 * 24 * time.Hour)
	_, err = refresh(*tok.RefreshToken)
	wantAPIError(t, err, "NotAuthorizedException")
}

// TestLockoutCountsPerUser: failures count against the user, however the sign-in name is spelled, so varying the
// case of an e-mail address (matched case-insensitively even in a case-sensitive pool) or signing in by sub
// does not buy an attacker fresh attempts.
func TestLockoutCountsPerUser(t *testing.T) {
	e := newEnv(t, withSpecs(func(p *PoolConfig, c *ClientConfig) { p.CaseSensitive = true }))
	sub := e.signUp("kai@example.com", goodPassword)
	names := []string{"kai@example.com", "KAI@example.com", "Kai@Example.com", sub, "kAi@exAmple.com"}
	for _, name := range names[:lockoutAfter] {
		_, err := e.passwordAuth(name, "Wrong-horse-9!")
		wantAPIError(t, err, "NotAuthorizedException")
	}
	for _, name := range []string{"kai@EXAMPLE.COM", sub} {
		if _, err := e.passwordAuth(name, goodPassword); err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
			t.Errorf("right password as %s after %d failures under other spellings: error = %v; want Password attempts exceeded", name, lockoutAfter, err)
		}
	}
	// An unknown address locks across spellings too, exactly like a real one.
	for _, name := range []string{"nobody@example.com", "NOBODY@example.com", "Nobody@example.com", "nobody@EXAMPLE.com", "noBody@example.com"} {
		e.passwordAuth(name, "Wrong-horse-9!")
	}
	if _, err := e.passwordAuth("NoBoDy@example.com", "Wrong-horse-9!"); err == nil || !strings.Contains(err.Error(), "attempts exceeded") {
		t.Errorf("unknown address after %d failures under other spellings: error = %v; want locked like a real one", lockoutAfter, err)
	}
}

// TestTokenLifetimesFollowTheClient: exp - iat of each token is the client's validity in the client's unit.
func TestTokenLifetimesFollowTheClient(t *testing.T) {
	e := newEnv(t, withSpecs(func(_ *PoolConfig, c *ClientConfig) {
		c.AccessTokenValidity, c.AccessTokenUnit = 10, "minutes"
		c.IDTokenValidity, c.IDTokenUnit = 2, "hours"
		c.RefreshTokenValidity, c.RefreshTokenUnit = 90, "minutes"
	}))
	e.signUp("tess@example.com", goodPassword)
	tok := e.tokens("tess@example.com", goodPassword)
	life := func(c jwtauth.Claims) float64 { return c["exp"].(float64) - c["iat"].(float64) }
	if got := life(e.claims(*tok.AccessToken)); got != 600 {
		t.Errorf("access token lives %v s; want 600 (10 minutes)", got)
	}
	if got := life(e.claims(*tok.IdToken)); got != 7200 {
		t.Errorf("ID token lives %v s; want 7200 (2 hours)", got)
	}
	if tok.ExpiresIn != 600 {
		t.Errorf("ExpiresIn = %d; want the access token's 600", tok.ExpiresIn)
	}
	e.clock.advance(91 * time.Minute)
	_, err := e.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}})
	wantAPIError(t, err, "NotAuthorizedException")
}

// burst runs n calls at once and counts their answers by message ("" for success).
func burst(n int, call func() error) map[string]int {
	start := make(chan struct{})
	var mu sync.Mutex
	var wg sync.WaitGroup
	counts := map[string]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			msg := ""
			if err := call(); err != nil {
				msg = err.Error()
				if i := strings.LastIndex(msg, ": "); i >= 0 {
					msg = msg[i+2:]
				}
			}
			mu.Lock()
			counts[msg]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// TestConcurrentWrongPasswordsGetNoMoreGuessesThanTheLimit: the lockout is checked and the failure recorded in the
// same step as the password check, so a burst of concurrent wrong passwords (USER_PASSWORD_AUTH or ChangePassword)
// gets at most lockoutAfter verdicts on a password; the rest are refused as locked out without being checked.
// Each burst goes out over connections opened beforehand, so the requests arrive together; it is repeated because
// one burst may happen to arrive in order.
func TestConcurrentWrongPasswordsGetNoMoreGuessesThanTheLimit(t *testing.T) {
	e := newEnv(t)
	e.signUp("burst@example.com", goodPassword)
	access := e.tokens("burst@example.com", goodPassword).AccessToken
	const n = 40
	api := cip.NewFromConfig(aws.Config{Region: "eu-west-1", RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}},
		func(o *cip.Options) { o.BaseEndpoint = aws.String(e.srv.URL()) })
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		call         func() error
		wrong, limit string
	}{
		{"USER_PASSWORD_AUTH", func() error {
			_, err := api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
				AuthParameters: map[string]string{"USERNAME": "burst@example.com", "PASSWORD": "Wrong-horse-9!"}})
			return err
		}, "Incorrect username or password.", "Password attempts exceeded"},
		{"ChangePassword", func() error {
			_, err := api.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: access, PreviousPassword: aws.String("Wrong-horse-9!"), ProposedPassword: aws.String("Battery-staple-7?")})
			return err
		}, "Incorrect username or password.", "Attempt limit exceeded, please try after some time."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			burst(n, func() error { // opens the connections
				_, err := api.GetUser(ctx, &cip.GetUserInput{AccessToken: access})
				return err
			})
			for range 5 {
				if got := burst(n, tc.call); got[tc.wrong] != lockoutAfter || got[tc.limit] != n-lockoutAfter {
					t.Fatalf("%d concurrent wrong passwords answered %v; want %d %q and %d %q", n, got, lockoutAfter, tc.wrong, n-lockoutAfter, tc.limit)
				}
				e.clock.advance(lockoutMax + time.Minute)
				access = e.tokens("burst@example.com", goodPassword).AccessToken // resets the count for the next burst
			}
		})
	}
}
