package e2e

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

const (
	unauthorized = `{"message":"Unauthorized"}`
	forbidden    = `{"message":"Forbidden"}`
)

// TestNotesEndToEnd walks a user's whole life through the twin: sign-up, SRP sign-in, every route, isolation from
// another user, the authorizer's refusals, refresh, sign-out, and a restart that keeps the data.
func TestNotesEndToEnd(t *testing.T) {
	e := newEnv(t, stage(t))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("twin log:\n%s", tail(twinLog.String(), 60))
		}
	})

	outputs, err := os.ReadFile(filepath.Join(stateDir, "outputs.json"))
	if err != nil || !strings.Contains(string(outputs), e.out["UserPoolId"]) {
		t.Fatalf("outputs.json = %s, %v; want the local outputs", outputs, err)
	}

	const alice, bob = "alice@example.com", "bob@example.com"
	e.signUp(alice)
	tokens := e.signIn(alice)
	access := aws.ToString(tokens.AccessToken)

	var noteID1 string
	t.Run("every route", func(t *testing.T) {
		r := e.call("POST", "/notes", access, `{"title":"first","content":"hello"}`)
		want(t, "POST /notes", r, 201, "")
		noteID1 = noteID(t, r)
		if loc := r.header.Get("Location"); loc != "/notes/"+noteID1 {
			t.Errorf("Location = %q; want /notes/%s", loc, noteID1)
		}
		etag := r.header.Get("ETag")

		r = e.call("GET", "/notes/"+noteID1, access, "")
		want(t, "GET /notes/{id}", r, 200, "")
		if got := noteID(t, r); got != noteID1 {
			t.Errorf("GET returned note %s; want %s", got, noteID1)
		}

		r = e.call("PUT", "/notes/"+noteID1, access, `{"title":"first","content":"edited"}`, "If-Match", etag)
		want(t, "PUT /notes/{id}", r, 200, "")
		var updated struct{ Content string }
		r.json(t, &updated)
		if updated.Content != "edited" {
			t.Errorf("updated content = %q; want edited", updated.Content)
		}
		r = e.call("PUT", "/notes/"+noteID1, access, `{"title":"x","content":"stale"}`, "If-Match", etag)
		want(t, "PUT with a stale If-Match", r, 412, "")

		r = e.call("POST", "/notes", access, `{"title":"second","content":"to delete"}`)
		want(t, "POST /notes", r, 201, "")
		noteID2 := noteID(t, r)

		r = e.call("GET", "/notes", access, "")
		want(t, "GET /notes", r, 200, "")
		if got, wantIDs := listIDs(t, r), []string{noteID2, noteID1}; !cmp.Equal(got, wantIDs) {
			t.Errorf("GET /notes = %v; want %v (newest first)", got, wantIDs)
		}

		want(t, "DELETE /notes/{id}", e.call("DELETE", "/notes/"+noteID2, access, ""), 204, "")
		want(t, "GET a deleted note", e.call("GET", "/notes/"+noteID2, access, ""), 404, "")
	})

	t.Run("another user sees and changes nothing", func(t *testing.T) {
		e.signUp(bob)
		bobAccess := aws.ToString(e.signIn(bob).AccessToken)
		r := e.call("GET", "/notes", bobAccess, "")
		want(t, "bob: GET /notes", r, 200, "")
		if ids := listIDs(t, r); len(ids) != 0 {
			t.Errorf("bob lists %v; want none of alice's notes", ids)
		}
		want(t, "bob: GET alice's note", e.call("GET", "/notes/"+noteID1, bobAccess, ""), 404, "")
		want(t, "bob: PUT alice's note", e.call("PUT", "/notes/"+noteID1, bobAccess, `{"title":"mine","content":"now"}`), 404, "")
		want(t, "bob: DELETE alice's note", e.call("DELETE", "/notes/"+noteID1, bobAccess, ""), 404, "")

		r = e.call("GET", "/notes/"+noteID1, access, "")
		want(t, "alice: GET her note", r, 200, "")
		var n struct{ Title, Content string }
		r.json(t, &n)
		if n.Title != "first" || n.Content != "edited" {
			t.Errorf("alice's note is %+v after bob's attempts; want it unchanged", n)
		}
	})

	t.Run("the authorizer refuses bad tokens", func(t *testing.T) {
		key, kid := poolKey(t, e.out["UserPoolId"])
		claims := claimsOf(t, access)
		mint := func(header map[string]any, mutate func(map[string]any), signer *rsa.PrivateKey) string {
			c := map[string]any{}
			for k, v := range claims {
				c[k] = v
			}
			mutate(c)
			signing := segment(t, header) + "." + segment(t, c)
			if signer == nil {
				return signing + "."
			}
			sum := sha256.Sum256([]byte(signing))
			sig, err := rsa.SignPKCS1v15(rand.Reader, signer, crypto.SHA256, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
		}
		rs256 := map[string]any{"alg": "RS256", "kid": kid}
		otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(access, ".")
		tamperedClaims := claimsOf(t, access)
		tamperedClaims["sub"] = "someone-else"
		tampered := parts[0] + "." + segment(t, tamperedClaims) + "." + parts[2]

		tests := []struct {
			name, token string
			status      int
			body        string
		}{
			{name: "a re-signed copy of the access token is accepted", token: mint(rs256, func(map[string]any) {}, key), status: 200},
			{name: "ID token", token: aws.ToString(tokens.IdToken), status: 403, body: forbidden},
			{name: "expired", token: mint(rs256, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, key), status: 401, body: unauthorized},
			{name: "tampered payload", token: tampered, status: 401, body: unauthorized},
			{name: "signed by another key", token: mint(rs256, func(map[string]any) {}, otherKey), status: 401, body: unauthorized},
			{name: "another issuer", token: mint(rs256, func(c map[string]any) { c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234" }, key), status: 401, body: unauthorized},
			{name: "another app client", token: mint(rs256, func(c map[string]any) { c["client_id"] = "someotherclientid000000000" }, key), status: 401, body: unauthorized},
			{name: "an aud of another client wins over client_id", token: mint(rs256, func(c map[string]any) { c["aud"] = "someotherclientid000000000" }, key), status: 401, body: unauthorized},
			{name: "not yet valid", token: mint(rs256, func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }, key), status: 401, body: unauthorized},
			{name: "issued in the future", token: mint(rs256, func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }, key), status: 401, body: unauthorized},
			{name: "key ID the pool does not have (another pool's key)", token: mint(map[string]any{"alg": "RS256", "kid": "another-pools-key"}, func(map[string]any) {}, otherKey), status: 401, body: unauthorized},
			{name: "HS256 signed with the public key", token: hs256WithPublicKey(t, &key.PublicKey, kid, claims), status: 401, body: unauthorized},
			{name: "alg none", token: mint(map[string]any{"alg": "none", "kid": kid}, func(map[string]any) {}, nil), status: 401, body: unauthorized},
			{name: "no token", token: "", status: 401, body: unauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want(t, "GET /notes", e.call("GET", "/notes", tt.token, ""), tt.status, tt.body)
			})
		}
	})

	t.Run("refresh and sign-out", func(t *testing.T) {
		ctx := context.Background()
		out, err := e.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
			AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(e.out["UserPoolClientId"]),
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
		})
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		refreshed := aws.ToString(out.AuthenticationResult.AccessToken)
		want(t, "GET /notes with the refreshed token", e.call("GET", "/notes", refreshed, ""), 200, "")

		if _, err := e.idp.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(refreshed)}); err != nil {
			t.Fatalf("GlobalSignOut: %v", err)
		}
		_, err = e.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
			AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(e.out["UserPoolClientId"]),
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
		})
		var na *types.NotAuthorizedException
		if !errors.As(err, &na) {
			t.Errorf("refresh after sign-out = %v; want NotAuthorizedException", err)
		}
		// Like API Gateway, the gateway never sees revocation: an access token works until it expires.
		want(t, "GET /notes with a signed-out access token", e.call("GET", "/notes", refreshed, ""), 200, "")
	})

	t.Run("a restart keeps users and notes", func(t *testing.T) {
		builds := strings.Count(twinLog.String(), "twin: building ")
		restartTwin(t)
		if n := strings.Count(twinLog.String(), "twin: building "); n != builds {
			t.Errorf("the restart rebuilt %d functions; want the host builds reused", n-builds)
		}
		e := newEnv(t, current)
		access := aws.ToString(e.signIn(alice).AccessToken)
		r := e.call("GET", "/notes/"+noteID1, access, "")
		want(t, "GET /notes/{id} after a restart", r, 200, "")
		var n struct{ Content string }
		r.json(t, &n)
		if n.Content != "edited" {
			t.Errorf("after a restart the note's content is %q; want edited", n.Content)
		}
	})
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, stage(t))
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, e.apiBase+"/notes", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := e.httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("http://localhost:5173")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "authorization") {
		t.Errorf("preflight from the dev origin = %d %v; want 204 allowing POST with authorization", resp.StatusCode, resp.Header)
	}
	resp = preflight("http://evil.example")
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("preflight from another origin: Access-Control-Allow-Origin = %q; want none", got)
	}
}

// TestConcurrentCreates has two users create notes at the same time through the whole stack (gateway, authorizer,
// runtime pools, dynalite): every caller gets its own note back, no write is lost or applied twice, and each user
// lists exactly their own notes.
func TestConcurrentCreates(t *testing.T) {
	e := newEnv(t, stage(t))
	const n = 30 // per user; more than the runtime's 8 processes per function, so requests queue
	users := []string{"carol@example.com", "dave@example.com"}
	tokens := map[string]string{}
	for _, u := range users {
		e.signUp(u)
		tokens[u] = aws.ToString(e.signIn(u).AccessToken)
	}
	type created struct {
		status          int
		title, gotTitle string
	}
	results := map[string][]created{}
	for _, u := range users {
		results[u] = make([]created, n)
	}
	var wg sync.WaitGroup
	for i := range n {
		for _, u := range users {
			wg.Go(func() {
				title := fmt.Sprintf("%s note %d", u, i)
				req, _ := http.NewRequest("POST", e.apiBase+"/notes", strings.NewReader(fmt.Sprintf(`{"title":%q,"content":"c"}`, title)))
				req.Header.Set("Authorization", "Bearer "+tokens[u])
				req.Header.Set("Content-Type", "application/json")
				res := created{title: title}
				if resp, err := e.httpc.Do(req); err == nil {
					var note struct{ Title string }
					_ = json.NewDecoder(resp.Body).Decode(&note)
					resp.Body.Close()
					res.status, res.gotTitle = resp.StatusCode, note.Title
				}
				results[u][i] = res
			})
		}
	}
	wg.Wait()
	for _, u := range users {
		for i, r := range results[u] {
			if r.status != 201 || r.gotTitle != r.title {
				t.Errorf("%s create %d = %d %q; want 201 with its own note %q", u, i, r.status, r.gotTitle, r.title)
			}
		}
		titles := e.listTitles(tokens[u], 15)
		var wantTitles []string
		for i := range n {
			wantTitles = append(wantTitles, fmt.Sprintf("%s note %d", u, i))
		}
		slices.Sort(titles)
		slices.Sort(wantTitles)
		if diff := cmp.Diff(wantTitles, titles); diff != "" {
			t.Errorf("%s lists (-want +got):\n%s", u, diff)
		}
	}
}

// hs256WithPublicKey forges the classic algorithm-confusion token: HMAC-signed with the issuer's public key.
func hs256WithPublicKey(t *testing.T, pub *rsa.PublicKey, kid string, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	signing := segment(t, map[string]any{"alg": "HS256", "kid": kid}) + "." + segment(t, claims)
	mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func listIDs(t *testing.T, r reply) []string {
	t.Helper()
	var page struct {
		Items []struct {
			NoteID string `json:"noteId"`
		}
	}
	r.json(t, &page)
	ids := []string{}
	for _, it := range page.Items {
		ids = append(ids, it.NoteID)
	}
	return ids
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
