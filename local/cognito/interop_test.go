package cognito

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// repoRoot finds the module root, where node_modules lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestAmazonCognitoIdentityJS is the interop proof: the npm SRP client that browsers and Amplify apps use signs up,
// confirms with the code from the outbox, signs in with SRP, reads its attributes, refreshes its session, changes
// its password, signs out everywhere and resets its password against the emulator, and the tokens it got pass the
// same verifier the API gateway uses.
func TestAmazonCognitoIdentityJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: install Node.js 20+ (apt-get install nodejs npm), then run `npm ci` in the repository root")
	}
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "amazon-cognito-identity-js", "package.json")); err != nil {
		t.Fatalf("amazon-cognito-identity-js is not installed (%v): run `npm ci` in %s", err, root)
	}
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const email, password = "js-user@example.com", "Browser-client-7!"
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "interop", "signup-signin.js"), e.srv.URL(), e.poolID, e.clientID, email, password)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node signup-signin.js: %v\n%s", err, stderr.String())
	}
	var out struct {
		UserSub, IDToken, AccessToken, RefreshedAccessToken   string
		Attributes                                            map[string]string
		WrongPassword, AccessTokenAfterSignOut, AfterResetSub string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("script output %q: %v", stdout.String(), err)
	}
	for name, tok := range map[string]string{"id": out.IDToken, "access": out.AccessToken, "refreshed access": out.RefreshedAccessToken} {
		c := e.claims(tok)
		if c.Subject() != out.UserSub {
			t.Errorf("%s token sub = %s; want the signed-up user %s", name, c.Subject(), out.UserSub)
		}
	}
	if out.Attributes["email"] != email || out.Attributes["email_verified"] != "true" || out.Attributes["sub"] != out.UserSub {
		t.Errorf("getUserAttributes() = %v; want the e-mail, verified, and the sub", out.Attributes)
	}
	if out.WrongPassword != "NotAuthorizedException" {
		t.Errorf("sign-in with a wrong password: %q; want NotAuthorizedException", out.WrongPassword)
	}
	if out.AccessTokenAfterSignOut != "NotAuthorizedException" {
		t.Errorf("GetUser after globalSignOut: %q; want NotAuthorizedException", out.AccessTokenAfterSignOut)
	}
	if out.AfterResetSub != out.UserSub {
		t.Errorf("sign-in after the password reset: sub %q; want %s", out.AfterResetSub, out.UserSub)
	}
	// The Go client signs in to the same account with the password the JS client set: both SRP clients agree.
	if res, err := e.srpSignIn(email, password+"CR"); err != nil || res.Tokens == nil {
		t.Errorf("Go SRP sign-in to the account made by the JS client = %v, %v", res, err)
	}
}
