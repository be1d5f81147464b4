package cognito

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"
)

func withMFA(setting string) envOption {
	return withSpecs(func(p *PoolConfig, _ *ClientConfig) { p.MFA, p.EnabledMFAs = setting, []string{"SOFTWARE_TOKEN_MFA"} })
}

func (e *env) totp(secret string, at time.Time) string {
	e.t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totpOpts)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func TestOptionalTOTP(t *testing.T) {
	e := newEnv(t, withMFA("OPTIONAL"))
	e.signUp("rae@example.com", goodPassword)
	tok := e.tokens("rae@example.com", goodPassword)
	ctx := context.Background()

	_, err := e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
	wantAPIError(t, err, "InvalidParameterException")

	assoc, err := e.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken() error = %v", err)
	}
	secret := aws.ToString(assoc.SecretCode)
	_, err = e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: tok.AccessToken, UserCode: aws.String(e.totp(secret, e.clock.Now().Add(-5*time.Minute)))})
	wantAPIError(t, err, "EnableSoftwareTokenMFAException")
	ver, err := e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: tok.AccessToken, UserCode: aws.String(e.totp(secret, e.clock.Now()))})
	if err != nil || ver.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken() = %v, %v; want SUCCESS", ver, err)
	}
	// Verified but not enabled yet: sign-in still needs no code.
	e.tokens("rae@example.com", goodPassword)
	if _, err := e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatalf("SetUserMFAPreference() error = %v", err)
	}
	u, _ := e.getUser(*tok.AccessToken)
	if aws.ToString(u.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" {
		t.Errorf("PreferredMfaSetting = %q; want SOFTWARE_TOKEN_MFA", aws.ToString(u.PreferredMfaSetting))
	}

	for _, signIn := range []struct {
		name string
		run  func() (types.ChallengeNameType, string, string)
	}{
		{"password", func() (types.ChallengeNameType, string, string) {
			out, err := e.passwordAuth("rae@example.com", goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			return out.ChallengeName, aws.ToString(out.Session), out.ChallengeParameters["USER_ID_FOR_SRP"]
		}},
		{"srp", func() (types.ChallengeNameType, string, string) {
			res, err := e.srpSignIn("rae@example.com", goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			return res.Challenge, res.Session, res.UserID
		}},
	} {
		t.Run(signIn.name, func(t *testing.T) {
			challenge, session, user := signIn.run()
			if challenge != types.ChallengeNameTypeSoftwareTokenMfa || session == "" {
				t.Fatalf("sign-in = challenge %q session %q; want SOFTWARE_TOKEN_MFA with a session", challenge, session)
			}
			answer := func(code string) (*cip.RespondToAuthChallengeOutput, error) {
				return e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
					Session: &session, ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code}})
			}
			_, err := answer("000000x")
			wantAPIError(t, err, "CodeMismatchException")
			// Each sign-in uses the next time step: a code is accepted once.
			e.clock.advance(30 * time.Second)
			out, err := answer(e.totp(secret, e.clock.Now()))
			if err != nil || out.AuthenticationResult == nil {
				t.Fatalf("answer with the right code = %v, %v; want tokens", out, err)
			}
			_, err = answer(e.totp(secret, e.clock.Now()))
			wantAPIError(t, err, "NotAuthorizedException")
		})
	}

	// A code is not accepted twice, even in a new sign-in.
	out, _ := e.passwordAuth("rae@example.com", goodPassword)
	_, err = e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": out.ChallengeParameters["USER_ID_FOR_SRP"], "SOFTWARE_TOKEN_MFA_CODE": e.totp(secret, e.clock.Now())}})
	wantAPIError(t, err, "CodeMismatchException")
}

func TestRequiredTOTPIsSetUpAtSignIn(t *testing.T) {
	e := newEnv(t, withMFA("ON"))
	e.signUp("sam@example.com", goodPassword)
	ctx := context.Background()
	out, err := e.passwordAuth("sam@example.com", goodPassword)
	if err != nil || out.ChallengeName != types.ChallengeNameTypeMfaSetup {
		t.Fatalf("sign-in = %v, %v; want MFA_SETUP", out, err)
	}
	_, err = e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeMfaSetup,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "sam@example.com"}})
	wantAPIError(t, err, "InvalidParameterException")
	assoc, err := e.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: out.Session})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken(session) error = %v", err)
	}
	ver, err := e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String(e.totp(*assoc.SecretCode, e.clock.Now()))})
	if err != nil {
		t.Fatalf("VerifySoftwareToken(session) error = %v", err)
	}
	done, err := e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeMfaSetup,
		Session: ver.Session, ChallengeResponses: map[string]string{"USERNAME": "sam@example.com"}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("MFA_SETUP answer = %v, %v; want tokens", done, err)
	}
	next, err := e.passwordAuth("sam@example.com", goodPassword)
	if err != nil || next.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Errorf("next sign-in = %v, %v; want SOFTWARE_TOKEN_MFA", next, err)
	}
}

// verifiedTOTP associates a TOTP secret with the user of an access token and verifies it; it returns the secret.
func (e *env) verifiedTOTP(access *string) string {
	e.t.Helper()
	ctx := context.Background()
	assoc, err := e.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
	if err != nil {
		e.t.Fatal(err)
	}
	secret := aws.ToString(assoc.SecretCode)
	if _, err := e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(e.totp(secret, e.clock.Now()))}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

func TestMFAOffPoolRefusesEnabling(t *testing.T) {
	e := newEnv(t)
	e.signUp("tia@example.com", goodPassword)
	tok := e.tokens("tia@example.com", goodPassword)
	ctx := context.Background()
	e.verifiedTOTP(tok.AccessToken)
	_, err := e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
	wantAPIError(t, err, "InvalidParameterException")
}

// TestWrongTOTPCodesCountTowardLockout: as Cognito documents, wrong MFA codes start the same lockout as wrong
// passwords: after lockoutAfter wrong codes, over any number of sign-ins, every answer (even the right code) and
// every new sign-in is refused as locked out until the lock expires. A right password alone does not reset the
// count; only a completed sign-in does.
func TestWrongTOTPCodesCountTowardLockout(t *testing.T) {
	e := newEnv(t, withMFA("OPTIONAL"))
	e.signUp("tia@example.com", goodPassword)
	tok := e.tokens("tia@example.com", goodPassword)
	ctx := context.Background()
	secret := e.verifiedTOTP(tok.AccessToken)
	if _, err := e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	signIn := func() (session, user string) {
		t.Helper()
		out, err := e.passwordAuth("tia@example.com", goodPassword)
		if err != nil || out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("sign-in = %v, %v; want SOFTWARE_TOKEN_MFA", out, err)
		}
		return aws.ToString(out.Session), out.ChallengeParameters["USER_ID_FOR_SRP"]
	}
	answer := func(session, user, code string) (*cip.RespondToAuthChallengeOutput, error) {
		return e.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &e.clientID, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
			Session: &session, ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code}})
	}
	wrong := func() string {
		if right := e.totp(secret, e.clock.Now()); right != "000000" {
			return "000000"
		}
		return "111111"
	}
	// Three wrong codes in one sign-in, two in the next: five in all.
	var session, user string
	for _, n := range []int{3, lockoutAfter - 3} {
		session, user = signIn()
		for range n {
			_, err := answer(session, user, wrong())
			wantAPIError(t, err, "CodeMismatchException")
		}
	}
	// The code of the next time step: the current one was used to verify the token.
	right := func() string { return e.totp(secret, e.clock.Now().Add(30*time.Second)) }
	if _, err := answer(session, user, right()); err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("right code after %d wrong ones: error = %v; want Password attempts exceeded", lockoutAfter, err)
	}
	if _, err := e.passwordAuth("tia@example.com", goodPassword); err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("password sign-in after %d wrong codes: error = %v; want Password attempts exceeded", lockoutAfter, err)
	}
	// The lock runs out; the next wrong code locks again, for twice as long.
	e.clock.advance(1100 * time.Millisecond)
	_, err := answer(session, user, wrong())
	wantAPIError(t, err, "CodeMismatchException")
	e.clock.advance(1100 * time.Millisecond)
	if _, err := answer(session, user, right()); err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("right code 1.1 s into the second lock: error = %v; want Password attempts exceeded", err)
	}
	// Once the lock is over, a completed sign-in works and resets the count.
	e.clock.advance(time.Second)
	out, err := answer(session, user, right())
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("right code after the lock = %v, %v; want tokens", out, err)
	}
	session, user = signIn()
	_, err = answer(session, user, wrong())
	wantAPIError(t, err, "CodeMismatchException")
}
