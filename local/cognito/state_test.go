package cognito

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestRestartKeepsEverything(t *testing.T) {
	e := newEnv(t)
	sub := e.signUp("yan@example.com", goodPassword)
	tok := e.tokens("yan@example.com", goodPassword)
	signedOut := e.tokens("yan@example.com", goodPassword)
	ctx := context.Background()
	if _, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &e.clientID, Token: signedOut.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: aws.String("zed@example.com"), Password: aws.String(goodPassword)}); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode("zed@example.com")
	poolID, clientID, issuer := e.poolID, e.clientID, e.srv.Issuer(e.poolID)

	e.restart()

	if e.poolID != poolID || e.clientID != clientID {
		t.Fatalf("after restart pool/client = %s/%s; want %s/%s", e.poolID, e.clientID, poolID, clientID)
	}
	if got, err := e.getUser(*tok.AccessToken); err != nil || aws.ToString(got.Username) != sub {
		t.Errorf("GetUser(token from before the restart) = %v, %v; want the user (same signing key, same session)", got, err)
	}
	if _, err := e.getUser(*signedOut.AccessToken); err == nil {
		t.Error("GetUser(revoked before the restart) error = nil; want the revocation kept")
	}
	if _, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &e.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}}); err != nil {
		t.Errorf("refresh with a token from before the restart error = %v", err)
	}
	e.tokens("yan@example.com", goodPassword)
	if res, err := e.srpSignIn("yan@example.com", goodPassword); err != nil || res.Tokens == nil {
		t.Errorf("SRP after restart = %v, %v; want tokens", res, err)
	}
	if _, err := e.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: &e.clientID, Username: aws.String("zed@example.com"), ConfirmationCode: &code}); err != nil {
		t.Errorf("ConfirmSignUp(code sent before the restart) error = %v", err)
	}
	if got := e.srv.Issuer(e.poolID); got != issuer {
		t.Errorf("issuer after restart = %s; want %s", got, issuer)
	}
}

func TestStateFileHoldsNoPasswords(t *testing.T) {
	e := newEnv(t)
	e.dir = filepath.Join(e.dir, "nested", "cognito")
	e.restart()
	ctx := context.Background()
	e.signUp("secret@example.com", goodPassword)
	const changed, temporary = "Changed-horse-8?", "Temporary-pass-5#"
	tok := e.tokens("secret@example.com", goodPassword)
	if _, err := e.api.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: aws.String(goodPassword), ProposedPassword: aws.String(changed)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &e.poolID, Username: aws.String("temp@example.com"), TemporaryPassword: aws.String(temporary)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &e.clientID, Username: aws.String("secret@example.com")}); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode("secret@example.com")
	e.stop()
	raw := readState(t, e.dir)
	for _, leak := range []string{goodPassword, strings.ToLower(goodPassword), changed, temporary, `"` + code + `"`} {
		if strings.Contains(raw, leak) {
			t.Errorf("state file contains the secret %q", leak)
		}
	}
	if dir, err := os.Stat(e.dir); err != nil || dir.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode = %v (%v); want 0700", dir.Mode().Perm(), err)
	}
	if !strings.Contains(raw, `"verifier"`) || !strings.Contains(raw, `"salt"`) {
		t.Error("state file has no salt/verifier for the user")
	}
	info, err := os.Stat(filepath.Join(e.dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v; want 0600 (it holds signing keys)", info.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(e.dir, "."+stateFile+".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestCorruptStateIsAClearError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"version": 1, "pools": {`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewServer(Options{Addr: "127.0.0.1:0", StateDir: dir, Pools: fixtureSpecs(t)})
	if err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Fatalf("NewServer(corrupt state) error = %v; want one naming the file", err)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, stateFile)); string(raw) != `{"version": 1, "pools": {` {
		t.Error("the corrupt state file was overwritten; want it left for the user to inspect")
	}
}

func TestNewServerErrors(t *testing.T) {
	specs := fixtureSpecs(t)
	noClients := []PoolSpec{{LogicalID: "P", Config: specs[0].Config}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no pools", Options{Addr: "127.0.0.1:0"}, "no user pool"},
		{"pool without client", Options{Addr: "127.0.0.1:0", Pools: noClients}, "no app client"},
		{"bad address", Options{Addr: "127.0.0.1:notaport", Pools: specs}, "listen"},
		{"every interface", Options{Addr: "0.0.0.0:9229", Pools: specs}, `address "0.0.0.0:9229" is not a loopback address`},
		{"another machine's address", Options{Addr: "192.0.2.7:9229", Pools: specs}, "not a loopback address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewServer() error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRandomStringUsesTheWholeAlphabet(t *testing.T) {
	for _, alphabet := range []string{"01", "23456789", alnum, lowerAlnum} {
		seen := map[rune]bool{}
		for _, r := range randomString(alphabet, 2000) {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("randomString(%q) produced %q", alphabet, r)
			}
			seen[r] = true
		}
		if len(seen) != len(alphabet) {
			t.Errorf("randomString(%q) used %d of %d characters", alphabet, len(seen), len(alphabet))
		}
	}
}

// TestDurableBeforeAnswering copies the state directory while the endpoint still runs — what a crash right after
// the answer would leave — and starts a second endpoint on the copy: every confirmed sign-up and every revocation
// is there.
func TestDurableBeforeAnswering(t *testing.T) {
	e := newEnv(t)
	e.signUp("amy@example.com", goodPassword)
	tok := e.tokens("amy@example.com", goodPassword)
	if _, err := e.api.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	raw := readState(t, e.dir)
	crashed := &env{t: t, clock: e.clock, dir: t.TempDir(), specs: e.specs, addr: "127.0.0.1:0"}
	if err := os.WriteFile(filepath.Join(crashed.dir, stateFile), []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	crashed.start()
	crashed.tokens("amy@example.com", goodPassword)
	_, err := crashed.api.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: &crashed.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}})
	wantAPIError(t, err, "NotAuthorizedException")
}

func TestConcurrentSignUpsAllPersist(t *testing.T) {
	e := newEnv(t)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := aws.String(fmt.Sprintf("user%d@example.com", i))
			ctx := context.Background()
			if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &e.clientID, Username: name, Password: aws.String(goodPassword)}); err != nil {
				t.Errorf("SignUp(%s) error = %v", *name, err)
				return
			}
			if _, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &e.poolID, Username: name}); err != nil {
				t.Errorf("AdminConfirmSignUp(%s) error = %v", *name, err)
			}
		}()
	}
	wg.Wait()
	e.restart()
	out, err := e.api.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: &e.poolID, Filter: aws.String(`cognito:user_status = "CONFIRMED"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != n {
		t.Errorf("confirmed users after restart = %d; want %d", len(out.Users), n)
	}
	e.tokens("user7@example.com", goodPassword)
}

// TestStateDirectoryIsLocked: a second endpoint on a state directory in use (the twin and a cognito-twin on
// another port) is refused instead of overwriting the first one's users; once the first stops, it starts.
func TestStateDirectoryIsLocked(t *testing.T) {
	e := newEnv(t)
	_, err := NewServer(Options{Addr: "127.0.0.1:0", StateDir: e.dir, Pools: fixtureSpecs(t)})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in use by another running endpoint, a twin or cognito-twin (pid %d)", os.Getpid())) {
		t.Fatalf("NewServer(state directory in use) error = %v; want it refused as in use", err)
	}
	e.signUp("lock@example.com", goodPassword)
	e.restart()
	e.tokens("lock@example.com", goodPassword)
}

// TestStateIsPrivate: the state directory is 0700 and every file in it 0600 (keys, password verifiers and codes
// are in there), also when the directory and its files already existed with looser modes, as older versions left
// them.
func TestStateIsPrivate(t *testing.T) {
	e := newEnv(t)
	e.signUp("priv@example.com", goodPassword)
	e.stop()
	if err := os.Chmod(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{stateFile, lockFile} {
		if err := os.Chmod(filepath.Join(e.dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fresh := filepath.Join(t.TempDir(), "stage", "cognito")
	for _, dir := range []string{e.dir, fresh} {
		e.dir = dir
		e.start()
		e.signUp("priv2@example.com", goodPassword) // a write of the state while it runs
		wantMode(t, dir, 0o700)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Errorf("state directory holds %v; want %s and %s", entries, stateFile, lockFile)
		}
		for _, f := range entries {
			wantMode(t, filepath.Join(dir, f.Name()), 0o600)
		}
		e.stop()
	}
	wantMode(t, filepath.Dir(fresh), 0o700)
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o; want %#o", path, got, want)
	}
}
