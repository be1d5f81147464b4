package cognito

import (
	"context"
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

func TestMFAOffPoolRefusesEnabling(t *testing.T) {
	e := newEnv(t)
	e.signUp("tia@example.com", goodPassword)
	tok := e.tokens("tia@example.com", goodPassword)
	ctx := context.Background()
	assoc, err := e.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: tok.AccessToken, UserCode: aws.String(e.totp(*assoc.SecretCode, e.clock.Now()))}); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = e.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: tok.AccessToken,
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
	wantAPIError(t, err, "InvalidParameterException")
}
