package cognito

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/authnotes/authnotes/srp"
)

// TestInputLimits: every member is held to the length and pattern Cognito's API reference gives it, and a
// violation is Cognito's InvalidParameterException with its validation message, which names the member and the
// constraint but never echoes the value.
func TestInputLimits(t *testing.T) {
	e := newEnv(t)
	e.signUp("lim@example.com", goodPassword)
	access := *e.tokens("lim@example.com", goodPassword).AccessToken
	n := srp.Modulus()
	long := func(n int) string { return strings.Repeat("a", n) }
	srpAuth := func(user, a string) map[string]any {
		return map[string]any{"ClientId": e.clientID, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": map[string]string{"USERNAME": user, "SRP_A": a}}
	}
	passwordAuth := func(user, pw string) map[string]any {
		return map[string]any{"ClientId": e.clientID, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": pw}}
	}
	signUp := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"ClientId": e.clientID, "Username": "new@example.com", "Password": goodPassword}
		edit(m)
		return m
	}
	attr := func(name, value string) []map[string]string {
		return []map[string]string{{"Name": name, "Value": value}}
	}
	validA := fmt.Sprintf("%x", 12345)
	tests := []struct {
		name, op string
		body     map[string]any
		admin    bool
		want     string // the message after "1 validation error detected: "
	}{
		{"USERNAME too long", "InitiateAuth", srpAuth(long(129)+"@example.com", validA), false,
			"Value at 'authParameters.USERNAME' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"USERNAME with a space", "InitiateAuth", passwordAuth("a b@example.com", goodPassword), false,
			`Value at 'authParameters.USERNAME' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"PASSWORD too long", "InitiateAuth", passwordAuth("lim@example.com", "Aa1!"+long(253)), false,
			"Value at 'authParameters.PASSWORD' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"SRP_A equal to N", "InitiateAuth", srpAuth("lim@example.com", n.Text(16)), false, srpARange},
		{"SRP_A above N", "InitiateAuth", srpAuth("lim@example.com", strings.Repeat("f", 768)), false, srpARange},
		{"SRP_A N+1", "InitiateAuth", srpAuth("lim@example.com", new(big.Int).Add(n, big.NewInt(1)).Text(16)), false, srpARange},
		{"SRP_A zero", "InitiateAuth", srpAuth("lim@example.com", "000"), false, srpARange},
		{"SRP_A not hex", "InitiateAuth", srpAuth("lim@example.com", "xyz"), false, srpARange},
		{"SRP_A too long", "InitiateAuth", srpAuth("lim@example.com", "1"+strings.Repeat("0", 1024)), false,
			"Value at 'authParameters.SRP_A' failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"client ID too long", "InitiateAuth", map[string]any{"ClientId": long(129), "AuthFlow": "USER_SRP_AUTH"}, false,
			"Value at 'clientId' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"client ID pattern", "SignUp", signUp(func(m map[string]any) { m["ClientId"] = "abc!" }), false,
			`Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+`},
		{"username too long", "SignUp", signUp(func(m map[string]any) { m["Username"] = long(129) }), false,
			"Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"password too long", "SignUp", signUp(func(m map[string]any) { m["Password"] = "Aa1!" + long(253) }), false,
			"Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"password with a space", "SignUp", signUp(func(m map[string]any) { m["Password"] = "Correct horse-9!" }), false,
			`Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`},
		{"secret hash too long", "SignUp", signUp(func(m map[string]any) { m["SecretHash"] = long(129) }), false,
			"Value at 'secretHash' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"attribute value too long", "SignUp", signUp(func(m map[string]any) { m["UserAttributes"] = attr("name", long(2049)) }), false,
			"Value at 'userAttributes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"attribute name too long", "SignUp", signUp(func(m map[string]any) { m["UserAttributes"] = attr("custom:"+long(26), "x") }), false,
			"Value at 'userAttributes.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"code too long", "ConfirmSignUp", map[string]any{"ClientId": e.clientID, "Username": "lim@example.com", "ConfirmationCode": long(2049)}, false,
			"Value at 'confirmationCode' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"code with a space", "ConfirmForgotPassword", map[string]any{"ClientId": e.clientID, "Username": "lim@example.com", "ConfirmationCode": "12 34", "Password": goodPassword}, false,
			`Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`},
		{"session too short", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": long(19)}, false,
			"Value at 'session' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"session too long", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": long(2049)}, false,
			"Value at 'session' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"claim signature not base64", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "PASSWORD_VERIFIER",
			"ChallengeResponses": map[string]string{"PASSWORD_CLAIM_SIGNATURE": "not base64!", "PASSWORD_CLAIM_SECRET_BLOCK": "x", "TIMESTAMP": "x"}}, false, claimSignature},
		{"claim signature of 64 bytes", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "PASSWORD_VERIFIER",
			"ChallengeResponses": map[string]string{"PASSWORD_CLAIM_SIGNATURE": base64.StdEncoding.EncodeToString(make([]byte, 64))}}, false, claimSignature},
		{"new password too long", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": long(20),
			"ChallengeResponses": map[string]string{"NEW_PASSWORD": "Aa1!" + long(253)}}, false,
			"Value at 'challengeResponses.NEW_PASSWORD' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"TOTP code too short", "VerifySoftwareToken", map[string]any{"Session": long(20), "UserCode": "12345"}, false,
			"Value at 'userCode' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{"TOTP code not digits", "VerifySoftwareToken", map[string]any{"Session": long(20), "UserCode": "12345a"}, false,
			"Value at 'userCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+"},
		{"access token pattern", "GetUser", map[string]any{"AccessToken": "a b"}, false,
			"Value at 'accessToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=.]+"},
		{"attribute update too long", "UpdateUserAttributes", map[string]any{"AccessToken": access, "UserAttributes": attr("name", long(2049))}, false,
			"Value at 'userAttributes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"verification code too long", "VerifyUserAttribute", map[string]any{"AccessToken": access, "AttributeName": "email", "Code": long(2049)}, false,
			"Value at 'code' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"proposed password too long", "ChangePassword", map[string]any{"AccessToken": access, "PreviousPassword": goodPassword, "ProposedPassword": "Aa1!" + long(253)}, false,
			"Value at 'proposedPassword' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"client secret too long", "RevokeToken", map[string]any{"ClientId": e.clientID, "Token": "x", "ClientSecret": long(65)}, false,
			"Value at 'clientSecret' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"pool ID too long", "AdminGetUser", map[string]any{"UserPoolId": "eu-west-1_" + long(46), "Username": "lim@example.com"}, true,
			"Value at 'userPoolId' failed to satisfy constraint: Member must have length less than or equal to 55"},
		{"pool ID pattern", "AdminGetUser", map[string]any{"UserPoolId": "nounderscore", "Username": "lim@example.com"}, true,
			`Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"temporary password too long", "AdminCreateUser", map[string]any{"UserPoolId": e.poolID, "Username": "tmp@example.com", "TemporaryPassword": "Aa1!" + long(253)}, true,
			"Value at 'temporaryPassword' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"filter too long", "ListUsers", map[string]any{"UserPoolId": e.poolID, "Filter": `email = "` + long(250) + `"`}, true,
			"Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"limit above 60", "ListUsers", map[string]any{"UserPoolId": e.poolID, "Limit": 61}, true,
			"Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"},
		{"unknown auth flow", "InitiateAuth", map[string]any{"ClientId": e.clientID, "AuthFlow": "MAGIC"}, false,
			"Value at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, " +
				"REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]"},
		{"unknown challenge", "RespondToAuthChallenge", map[string]any{"ClientId": e.clientID, "ChallengeName": "RIDDLE"}, false,
			"Value at 'challengeName' failed to satisfy constraint: Member must satisfy enum value set: [SMS_MFA, EMAIL_OTP, " +
				"SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, MFA_SETUP, PASSWORD_VERIFIER, CUSTOM_CHALLENGE, SELECT_CHALLENGE, DEVICE_SRP_AUTH, " +
				"DEVICE_PASSWORD_VERIFIER, ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED, SMS_OTP, PASSWORD, WEB_AUTHN, PASSWORD_SRP]"},
		{"unknown message action", "AdminCreateUser", map[string]any{"UserPoolId": e.poolID, "Username": "tmp@example.com", "MessageAction": "SHOUT"}, true,
			"Value at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(tc.op, tc.body, tc.admin)
			want := "1 validation error detected: " + tc.want
			if a.status != http.StatusBadRequest || a.typ != "InvalidParameterException" || a.message != want {
				t.Errorf("%s = %d %s: %.300q; want 400 InvalidParameterException: %q", tc.op, a.status, a.typ, a.message, want)
			}
		})
	}
	t.Run("every violation is listed", func(t *testing.T) {
		a := e.call("SignUp", signUp(func(m map[string]any) { m["Username"], m["Password"] = long(129), "a b" }), false)
		want := "2 validation errors detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128; " +
			`Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`
		if a.typ != "InvalidParameterException" || a.message != want {
			t.Errorf("SignUp = %s: %q; want InvalidParameterException: %q", a.typ, a.message, want)
		}
	})
	t.Run("values at the limits pass", func(t *testing.T) {
		name := long(128-len("@example.com")) + "@example.com"
		if a := e.call("InitiateAuth", srpAuth(name, new(big.Int).Sub(n, big.NewInt(1)).Text(16)), false); a.typ != "" {
			t.Errorf("InitiateAuth(128-character USERNAME, SRP_A = N-1) = %s: %s; want a challenge", a.typ, a.message)
		}
		if a := e.call("SignUp", signUp(func(m map[string]any) {
			m["Username"], m["Password"], m["UserAttributes"] = name, "Aa1!"+long(252), attr("name", long(2048))
		}), false); a.typ != "" {
			t.Errorf("SignUp(128-character name, 256-character password, 2048-character attribute) = %s: %s; want a user", a.typ, a.message)
		}
	})
}

const (
	srpARange      = "Value at 'authParameters.SRP_A' failed to satisfy constraint: Member must be a hexadecimal number from 1 to N-1 (N the 3072-bit SRP modulus)"
	claimSignature = "Value at 'challengeResponses.PASSWORD_CLAIM_SIGNATURE' failed to satisfy constraint: Member must be the base64 encoding of 32 bytes"
)

// TestRequestBodyLimit: a body larger than any request the documented limits allow is refused before it is read
// whole, with HTTP 413 and a message that says how much the endpoint reads.
func TestRequestBodyLimit(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"ClientId":"` + e.clientID + `","Username":"` + strings.Repeat("a", maxRequestBody) + `"}`)
	a := e.call("SignUp", body, false)
	want := fmt.Sprintf("Request body is larger than %d bytes, the most the local Cognito endpoint reads", maxRequestBody)
	if a.status != http.StatusRequestEntityTooLarge || a.typ != "RequestEntityTooLargeException" || a.message != want {
		t.Errorf("SignUp(%d bytes) = %d %s: %q; want 413 RequestEntityTooLargeException: %q", len(body), a.status, a.typ, a.message, want)
	}
}

// TestOversizedSignInsAreNotRetained is the memory-exhaustion repro of issue 9: 200 InitiateAuth calls with a
// USERNAME and an SRP_A of ~425 KB each (the old endpoint kept both in every pending sign-in until it expired,
// ~128 MB of live heap). Now they are refused, nothing is kept for them, and the heap does not grow with them.
func TestOversizedSignInsAreNotRetained(t *testing.T) {
	e := newEnv(t)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for _, size := range []int{425_000, 100_000} { // over the body limit, then within it but over the members' limits
		huge := strings.Repeat("a", size)
		body := map[string]any{"ClientId": e.clientID, "AuthFlow": "USER_SRP_AUTH",
			"AuthParameters": map[string]string{"USERNAME": huge + "@example.com", "SRP_A": "1" + strings.Repeat("0", size)}}
		var wg sync.WaitGroup
		answers := make(chan apiAnswer, 200)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					answers <- e.call("InitiateAuth", body, false)
				}
			}()
		}
		wg.Wait()
		close(answers)
		for a := range answers {
			if a.typ != "RequestEntityTooLargeException" && a.typ != "InvalidParameterException" {
				t.Fatalf("InitiateAuth(%d-byte USERNAME and SRP_A) = %d %s: %.200s; want it refused", size, a.status, a.typ, a.message)
			}
		}
	}
	if srpSignIns, _, _, _ := e.pending(); srpSignIns != 0 {
		t.Errorf("pending SRP sign-ins after 400 refused ones = %d; want 0", srpSignIns)
	}
	// The old endpoint grew by ~128 MB here; what remains is the test's own garbage and the HTTP connections.
	grown := int64(heap()) - int64(before)
	if grown > 16<<20 {
		t.Errorf("live heap grew by %d MB over 400 refused sign-ins; want under 16 MB", grown>>20)
	}
	t.Logf("live heap grew by %d KB over 400 refused sign-ins", grown>>10)
}
