package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// probe runs what someone who does not know the password can try against a sign-in name, and writes down every
// answer: its error type and message, or for a code delivery its attribute and medium (the masked destination
// is the name itself, so it differs by construction).
func (e *env) probe(name string) []string {
	e.t.Helper()
	ctx := context.Background()
	var out []string
	note := func(what string, d *types.CodeDeliveryDetailsType, err error) {
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae):
			out = append(out, fmt.Sprintf("%s: %s: %s", what, ae.ErrorCode(), ae.ErrorMessage()))
		case err != nil:
			e.t.Fatalf("%s(%s): %v", what, name, err)
		default:
			out = append(out, fmt.Sprintf("%s: code sent to %s by %s", what, aws.ToString(d.AttributeName), d.DeliveryMedium))
		}
	}
	const code = "abcdef" // never a real code: those are digits
	confirmReset := func() {
		_, err := e.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: &e.clientID, Username: &name, ConfirmationCode: aws.String(code), Password: aws.String(goodPassword)})
		note("ConfirmForgotPassword", nil, err)
	}
	confirmSignUp := func() {
		_, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: &name, ConfirmationCode: aws.String(code)})
		note("ConfirmSignUp", nil, err)
	}
	confirmReset() // no code was asked for
	for range maxCodeAttempts + 1 {
		confirmSignUp()
	}
	resend, err := e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: &name})
	if err == nil {
		note("ResendConfirmationCode", resend.CodeDeliveryDetails, nil)
	} else {
		note("ResendConfirmationCode", nil, err)
	}
	confirmSignUp() // the new code is not this one either
	forgot, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: &name})
	if err == nil {
		note("ForgotPassword", forgot.CodeDeliveryDetails, nil)
	} else {
		note("ForgotPassword", nil, err)
	}
	for range maxCodeAttempts + 1 {
		confirmReset()
	}
	_, err = e.passwordAuth(name, "Wrong-horse-9!")
	note("USER_PASSWORD_AUTH", nil, err)
	_, err = e.srpSignIn(name, "Wrong-horse-9!")
	note("USER_SRP_AUTH", nil, err)
	return out
}

// TestProbesDoNotRevealUsers: with PreventUserExistenceErrors ENABLED, every probe that needs no password gets
// the same answers, in the same order, for a confirmed user, an unconfirmed one, a disabled one and a name
// nobody has: the confirmation and reset codes of names that cannot use them behave like real codes nobody
// guesses (a wrong code, the attempt limit, then an expired code; none until one was asked for, for resets).
func TestProbesDoNotRevealUsers(t *testing.T) {
	e := newEnv(t)
	e.signUpEveryKind("real@example.com", "off@example.com", "new@example.com")
	sent := len(e.outbox(""))
	want := e.probe("ghost@example.com")
	if got := len(e.outbox("")); got != sent {
		t.Errorf("probing an unknown name sent %d messages; want none", got-sent)
	}
	for _, name := range []string{"real@example.com", "new@example.com", "off@example.com"} {
		if diff := cmp.Diff(want, e.probe(name)); diff != "" {
			t.Errorf("answers for %s differ from an unknown name's (-unknown +%s):\n%s", name, name, diff)
		}
	}
	t.Logf("every name answered:\n%v", want)
}

// TestSendLimitDoesNotRevealUsers: the hourly limit on codes sent counts every code a name asks for, sent or
// simulated, in one place, so a run of ResendConfirmationCode and ForgotPassword hits LimitExceededException at
// the same request for every kind of user as for a name nobody has. (A confirmed user's resends are simulated and
// their resets real, an unconfirmed user's the other way round: counted apart, the two together went past the
// limit where an unknown name's stopped.)
func TestSendLimitDoesNotRevealUsers(t *testing.T) {
	e := newEnv(t)
	e.signUpEveryKind("real@example.com", "off@example.com", "new@example.com")
	// The sign-up codes count toward the limit for an hour; what is compared starts after it.
	e.clock.advance(time.Hour)
	ctx := context.Background()
	sends := func(name string) []string {
		var out []string
		for i := range maxCodesPerHour + 2 {
			var err error
			op := "ResendConfirmationCode"
			if i%2 == 0 {
				_, err = e.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: &e.clientID, Username: &name})
			} else {
				op = "ForgotPassword"
				_, err = e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: &name})
			}
			var ae smithy.APIError
			switch {
			case errors.As(err, &ae):
				out = append(out, fmt.Sprintf("%s: %s: %s", op, ae.ErrorCode(), ae.ErrorMessage()))
			case err != nil:
				t.Fatalf("%s(%s): %v", op, name, err)
			default:
				out = append(out, op+": sent")
			}
		}
		return out
	}
	want := sends("ghost@example.com")
	if !strings.Contains(want[len(want)-1], "LimitExceededException") {
		t.Fatalf("an unknown name's sends never hit the hourly limit: %v", want)
	}
	for _, name := range []string{"real@example.com", "new@example.com", "off@example.com"} {
		if diff := cmp.Diff(want, sends(name)); diff != "" {
			t.Errorf("sends for %s differ from an unknown name's (-unknown +%s):\n%s", name, name, diff)
		}
	}
}
