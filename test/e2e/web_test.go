package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
	"github.com/authnotes/authnotes/local/twin"
)

// webStage returns the running twin serving the web app (web/dist, which `make test` builds first): the shared
// twin, restarted on its state directory with a web app on a free port when it runs without one.
func webStage(t *testing.T) *twin.Twin {
	t.Helper()
	skipShort(t)
	if current != nil && current.Outputs()["WebUrl"] != "" {
		return current
	}
	if current != nil {
		if err := current.Close(); err != nil {
			t.Fatalf("stop the twin: %v", err)
		}
		current = nil
	}
	startTwin(t, "127.0.0.1:0")
	return current
}

func originOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host
}

func fetch(t *testing.T, method, target string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWebAppIsServedWithItsConfig: the twin serves the built app with a /config.json naming its own API, pool,
// client and Cognito endpoint and the pool's password policy, under the security headers CloudFront sends, and
// writes WebUrl into outputs.json.
func TestWebAppIsServedWithItsConfig(t *testing.T) {
	tw := webStage(t)
	out := tw.Outputs()
	raw, err := os.ReadFile(tw.OutputsPath())
	if err != nil {
		t.Fatal(err)
	}
	var written map[string]string
	if err := json.Unmarshal(raw, &written); err != nil || written["WebUrl"] != out["WebUrl"] || !strings.HasPrefix(out["WebUrl"], "http://localhost:") {
		t.Fatalf("outputs.json WebUrl = %q (%v); want the twin's web app %q on localhost", written["WebUrl"], err, out["WebUrl"])
	}

	resp, body := fetch(t, "GET", out["WebUrl"], nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<script type="module"`) {
		t.Fatalf("GET %s = %d %q; want the app's index.html", out["WebUrl"], resp.StatusCode, body)
	}
	for k, v := range site.Headers(originOf(t, out["ApiUrl"]), originOf(t, out["CognitoEndpoint"])) {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("GET / %s = %q; want %q", k, got, v)
		}
	}

	resp, body = fetch(t, "GET", out["WebUrl"]+"config.json", nil)
	var cfg site.Config
	if err := json.Unmarshal([]byte(body), &cfg); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET config.json = %d %q (%v)", resp.StatusCode, body, err)
	}
	want := site.Config{
		ApiUrl: out["ApiUrl"], Region: out["Region"], UserPoolId: out["UserPoolId"], UserPoolClientId: out["UserPoolClientId"],
		CognitoEndpoint: out["CognitoEndpoint"],
		// The dev pool: 12 characters with lower and upper case, a digit and a symbol (README "What gets created").
		PasswordPolicy: site.PasswordPolicy{MinLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true},
	}
	if cfg != want {
		t.Errorf("config.json = %+v; want %+v", cfg, want)
	}
}

// TestWebAppOriginReachesCognitoAndTheAPI: the browser calls from the app's origin pass both CORS checks (Cognito's
// preflight with the headers amazon-cognito-identity-js sends; the API's with Authorization, Content-Type and
// If-Match, and ETag readable), and another origin passes neither.
func TestWebAppOriginReachesCognitoAndTheAPI(t *testing.T) {
	tw := webStage(t)
	out := tw.Outputs()
	app := strings.TrimSuffix(out["WebUrl"], "/")
	preflight := func(target, origin, headers string) *http.Response {
		resp, _ := fetch(t, "OPTIONS", target, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": map[bool]string{true: "PUT", false: "POST"}[strings.Contains(headers, "if-match")],
			"Access-Control-Request-Headers": headers,
		})
		return resp
	}
	cognitoHeaders := "cache-control,content-type,x-amz-target,x-amz-user-agent"
	apiHeaders := "authorization,content-type,if-match"
	for _, origin := range []string{app, "http://localhost:5173"} {
		resp := preflight(out["CognitoEndpoint"]+"/", origin, cognitoHeaders)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("Cognito preflight from %s = %d, Allow-Origin %q; want 200 and the origin", origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	resp := preflight(out["ApiUrl"]+"notes/01M8A6F9VK6V4M3T2RC7XJ5ZP9", app, apiHeaders)
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.Header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(allowed, "if-match") || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Errorf("API preflight of a PUT from %s = %d %v; want it allowed with If-Match", app, resp.StatusCode, resp.Header)
	}
	e := newEnv(t, tw)
	e.signUp("web-cors@example.com")
	access := aws.ToString(e.signIn("web-cors@example.com").AccessToken)
	r := e.call("POST", "/notes", access, `{"content":"from the app"}`, "Origin", app)
	if r.status != 201 || r.header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Expose-Headers")), "etag") {
		t.Errorf("POST /notes from %s = %d %v; want 201 with the origin allowed and ETag exposed", app, r.status, r.header)
	}

	for _, other := range []string{"https://attacker.example", "http://localhost:1"} {
		if resp := preflight(out["CognitoEndpoint"]+"/", other, cognitoHeaders); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("Cognito preflight from %s = %d, Allow-Origin %q; want 403 and none", other, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if resp := preflight(out["ApiUrl"]+"notes", other, apiHeaders); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("API preflight from %s: Allow-Origin %q; want none", other, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// TestWebAppAnswersOnlyToLoopbackNames: a page whose host name was rebound to 127.0.0.1 gets nothing.
func TestWebAppAnswersOnlyToLoopbackNames(t *testing.T) {
	out := webStage(t).Outputs()
	req, _ := http.NewRequest("GET", out["WebUrl"]+"config.json", nil)
	req.Host = "rebound.attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET config.json with Host rebound.attacker.example = %d; want 403", resp.StatusCode)
	}
}
