package e2e

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/authnotes/authnotes/local/twin"
	"github.com/authnotes/authnotes/srp"
)

const password = "Correct-horse-battery-42!"

// env is what a client of the running twin needs.
type env struct {
	t       testing.TB
	out     map[string]string
	idp     *cip.Client
	httpc   *http.Client
	apiBase string
}

func newEnv(t testing.TB, tw *twin.Twin) *env {
	return envFromOutputs(t, tw.Outputs())
}

// envFromOutputs is a client of the twin whose outputs.json holds out.
func envFromOutputs(t testing.TB, out map[string]string) *env {
	for _, k := range []string{"ApiUrl", "UserPoolId", "UserPoolClientId", "TableName", "Region", "CognitoEndpoint"} {
		if out[k] == "" {
			t.Fatalf("outputs lack %s: %v", k, out)
		}
	}
	return &env{
		t:   t,
		out: out,
		idp: cip.New(cip.Options{
			Region: out["Region"], BaseEndpoint: aws.String(out["CognitoEndpoint"]), Credentials: aws.AnonymousCredentials{},
		}),
		httpc:   &http.Client{Timeout: time.Minute},
		apiBase: strings.TrimSuffix(out["ApiUrl"], "/"),
	}
}

// signUp registers and confirms a user with the code from the twin's outbox.
func (e *env) signUp(email string) {
	e.t.Helper()
	if err := e.trySignUp(email); err != nil {
		e.t.Fatal(err)
	}
}

// trySignUp is signUp for goroutines other than the test's: it returns the error.
func (e *env) trySignUp(email string) error {
	ctx := context.Background()
	_, err := e.idp.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(e.out["UserPoolClientId"]), Username: aws.String(email), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
	})
	if err != nil {
		return fmt.Errorf("SignUp(%s): %w", email, err)
	}
	code, err := e.outboxCode(email, "SignUp")
	if err != nil {
		return err
	}
	if _, err := e.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
		ClientId: aws.String(e.out["UserPoolClientId"]), Username: aws.String(email), ConfirmationCode: aws.String(code),
	}); err != nil {
		return fmt.Errorf("ConfirmSignUp(%s): %w", email, err)
	}
	return nil
}

// outboxMessage is one message the twin's Cognito "sent" (README "Read the outbox").
type outboxMessage struct{ Purpose, Code, Text string }

// outbox lists what the twin's Cognito sent to email, oldest first.
func (e *env) outbox(email string) ([]outboxMessage, error) {
	resp, err := e.httpc.Get(e.out["CognitoEndpoint"] + "/_local/outbox?to=" + url.QueryEscape(email))
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer resp.Body.Close()
	var box struct{ Messages []outboxMessage }
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil {
		return nil, fmt.Errorf("decode the outbox: %w", err)
	}
	return box.Messages, nil
}

// outboxCode is the last code the twin's Cognito sent to email for purpose (SignUp, ForgotPassword, …).
func (e *env) outboxCode(email, purpose string) (string, error) {
	msgs, err := e.outbox(email)
	if err != nil {
		return "", err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; m.Purpose == purpose && m.Code != "" {
			return m.Code, nil
		}
	}
	return "", fmt.Errorf("no %s code for %s in the outbox: %+v", purpose, email, msgs)
}

// mustOutboxCode is outboxCode for a test that cannot go on without the code.
func (e *env) mustOutboxCode(email, purpose string) string {
	e.t.Helper()
	code, err := e.outboxCode(email, purpose)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// signIn runs USER_SRP_AUTH with the project's SRP client.
func (e *env) signIn(email string) *types.AuthenticationResultType {
	e.t.Helper()
	res, err := srp.SignIn(context.Background(), e.idp, srp.SignInInput{
		PoolID: e.out["UserPoolId"], ClientID: e.out["UserPoolClientId"], Username: email, Password: password,
	})
	if err != nil {
		e.t.Fatalf("SRP sign-in of %s: %v", email, err)
	}
	if res.Tokens == nil || aws.ToString(res.Tokens.AccessToken) == "" {
		e.t.Fatalf("SRP sign-in of %s ended in challenge %s", email, res.Challenge)
	}
	return res.Tokens
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// call sends one API request; token "" sends no Authorization header.
func (e *env) call(method, path, token, body string, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.apiBase+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.httpc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// listTitles pages through GET /notes, limit notes at a time, and returns the titles of the caller's notes.
func (e *env) listTitles(token string, limit int) []string {
	e.t.Helper()
	var titles []string
	cursor := ""
	for {
		r := e.call("GET", fmt.Sprintf("/notes?limit=%d%s", limit, cursor), token, "")
		var page struct {
			Items      []struct{ Title string }
			NextCursor string
		}
		if err := json.Unmarshal([]byte(r.body), &page); r.status != http.StatusOK || err != nil {
			e.t.Fatalf("GET /notes = %d %s; want 200 with a page of notes", r.status, r.body)
		}
		for _, it := range page.Items {
			titles = append(titles, it.Title)
		}
		if page.NextCursor == "" {
			return titles
		}
		cursor = "&cursor=" + url.QueryEscape(page.NextCursor)
	}
}

// poolKey reads the user pool's signing key from the twin's Cognito state, to mint tokens the real issuer could
// have signed (expired, or naming another issuer).
func poolKey(t *testing.T, poolID string) (*rsa.PrivateKey, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(stateDir, "cognito", "cognito.json"))
	if err != nil {
		t.Fatalf("read the Cognito state: %v", err)
	}
	var st struct {
		Pools map[string]struct {
			ID         string `json:"id"`
			SigningKey string `json:"signingKey"`
			KeyID      string `json:"keyId"`
		} `json:"pools"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("decode the Cognito state: %v", err)
	}
	for _, p := range st.Pools {
		if p.ID != poolID {
			continue
		}
		block, _ := pem.Decode([]byte(p.SigningKey))
		if block == nil {
			t.Fatal("the pool's signing key is not PEM")
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return k.(*rsa.PrivateKey), p.KeyID
	}
	t.Fatalf("pool %s not in the Cognito state", poolID)
	return nil, ""
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func segment(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func noteID(t *testing.T, r reply) string {
	t.Helper()
	var n struct {
		NoteID string `json:"noteId"`
	}
	r.json(t, &n)
	if n.NoteID == "" {
		t.Fatalf("no noteId in %s", r.body)
	}
	return n.NoteID
}

func want(t *testing.T, what string, r reply, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && r.body != body) {
		t.Errorf("%s = %d %s; want %d %s", what, r.status, r.body, status, body)
	}
}
