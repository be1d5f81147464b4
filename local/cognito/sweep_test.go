package cognito

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/authnotes/authnotes/srp"
)

// withSweepInterval makes the endpoint sweep expired state that often.
func withSweepInterval(d time.Duration) envOption { return func(e *env) { e.sweep = d } }

// waitFor polls cond until it holds or 10 s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSweeperDropsExpiredState: pending SRP sign-ins, challenges, lockouts, the stand-ins of unknown names and
// users' codes are dropped once they expire by a timer, even when nothing else happens on the endpoint that
// would prune them on the way (before, only a state change did).
func TestSweeperDropsExpiredState(t *testing.T) {
	e := newEnv(t, withSweepInterval(10*time.Millisecond))
	ctx := context.Background()
	for i := range 20 {
		c, err := srp.NewClient(e.poolID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: "USER_SRP_AUTH",
			AuthParameters: map[string]string{"USERNAME": "ghost" + string(rune('a'+i)) + "@example.com", "SRP_A": c.SRPA()}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("new@example.com"),
		TemporaryPassword: aws.String(goodPassword), MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if out, err := e.passwordAuth("new@example.com", goodPassword); err != nil || out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("sign-in with a temporary password = %v, %v; want NEW_PASSWORD_REQUIRED", out, err)
	}
	e.passwordAuth("ghost@example.com", "Wrong-horse-9!")
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("ghost@example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("late@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	if s, c, l, st := e.pending(); s != 20 || c != 1 || l != 1 || st != 1 {
		t.Fatalf("pending SRP sign-ins, challenges, lockouts, stand-ins = %d, %d, %d, %d; want 20, 1, 1, 1", s, c, l, st)
	}
	p := e.srv.pools[e.poolID]
	late := p.userKey(e.userName("late@example.com"))
	e.clock.advance(25 * time.Hour) // past every expiry: sign-in sessions, lockouts, reset and sign-up codes
	waitFor(t, "the sweeper to drop everything expired", func() bool {
		s, c, l, st := e.pending()
		e.srv.mu.Lock()
		codes := len(p.state.Users[late].Codes)
		e.srv.mu.Unlock()
		return s+c+l+st+codes == 0
	})
	// The expired sign-up code leaves the state file too.
	waitFor(t, "the state file to lose the expired code", func() bool { return !strings.Contains(readState(t, e.dir), `"codes"`) })
}

// userName is the internal username of the user a sign-in name refers to.
func (e *env) userName(name string) string {
	e.t.Helper()
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	_, u := e.srv.pools[e.poolID].lookup(name)
	if u == nil {
		e.t.Fatalf("no user %s", name)
	}
	return u.Username
}

// TestPendingStateIsCapped: however many sign-ins are started, at most maxPending wait for an answer; the
// oldest make room for new ones, so a flood cannot refuse the next real sign-in either.
func TestPendingStateIsCapped(t *testing.T) {
	e := newEnv(t)
	e.srv.mu.Lock()
	e.srv.maxPending = 5
	e.srv.mu.Unlock()
	ctx := context.Background()
	// A name that failed often is not pushed out by names that failed once: the flood cannot reset its lockout.
	for range lockoutAfter {
		e.passwordAuth("victim@example.com", "Wrong-horse-9!")
	}
	for i := range 12 {
		name := "flood" + string(rune('a'+i)) + "@example.com"
		c, _ := srp.NewClient(e.poolID)
		if _, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: "USER_SRP_AUTH",
			AuthParameters: map[string]string{"USERNAME": name, "SRP_A": c.SRPA()}}); err != nil {
			t.Fatal(err)
		}
		e.passwordAuth(name, "Wrong-horse-9!")
		e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: &name})
	}
	if s, _, l, st := e.pending(); s != 5 || l != 5 || st != 5 {
		t.Errorf("pending SRP sign-ins, lockouts, stand-ins after 12 each = %d, %d, %d; want 5 each", s, l, st)
	}
	if _, err := e.passwordAuth("victim@example.com", "Wrong-horse-9!"); err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Errorf("sign-in of the locked name after the flood: error = %v; want still locked", err)
	}
	e.signUp("real@example.com", goodPassword)
	if res, err := e.srpSignIn("real@example.com", goodPassword); err != nil || res.Tokens == nil {
		t.Errorf("SRP sign-in with the pending sign-ins full = %v, %v; want tokens", res, err)
	}
}
