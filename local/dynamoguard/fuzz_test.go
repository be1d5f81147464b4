package dynamoguard

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The fuzz target's clock and credentials are fixed, so the signed requests of the seed corpus stay valid.
var (
	fuzzNow    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz/FuzzGuard from seedRequests")
)

// seedRequests are the corpus of FuzzGuard: requests the guard must forward and the attacks it must refuse.
func seedRequests(t testing.TB) map[string]*http.Request {
	const host = "http://127.0.0.1:8000/"
	scan := `{"TableName":"NotesApi-dev-NotesTable"}`
	put := `{"TableName":"NotesApi-dev-NotesTable","Item":{"userId":{"S":"victim"},"noteId":{"S":"planted"}}}`
	withHeader := func(r *http.Request, kv ...string) *http.Request {
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Set(kv[i], kv[i+1])
		}
		return r
	}
	unsigned, _ := http.NewRequest(http.MethodPost, host, strings.NewReader(put))
	preflight, _ := http.NewRequest(http.MethodOptions, host, nil)
	return map[string]*http.Request{
		"signed-scan":           signedRequest(t, host, scan, fuzzNow),
		"signed-scan-localhost": signedRequest(t, "http://localhost:8000/", scan, fuzzNow),
		"signed-put":            signedOp(t, host, "PutItem", put, fuzzNow),
		"unsigned-put":          withHeader(unsigned, "X-Amz-Target", "DynamoDB_20120810.PutItem"),
		"preflight":             withHeader(preflight, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST"),
		"origin":                withHeader(signedRequest(t, host, scan, fuzzNow), "Origin", "https://evil.example"),
		"sec-fetch":             withHeader(signedRequest(t, host, scan, fuzzNow), "Sec-Fetch-Site", "cross-site"),
		"rebinding":             signedRequest(t, "http://rebind.example:8000/", scan, fuzzNow),
		"expired":               signedRequest(t, host, scan, fuzzNow.Add(-time.Hour)),
		"wrong-secret":          resign(t, signedRequest(t, host, scan, fuzzNow), aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: "guess"}, scan),
		"unknown-key":           resign(t, signedRequest(t, host, scan, fuzzNow), aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"}, scan),
		"garbled-authorization": withHeader(signedRequest(t, host, scan, fuzzNow), "Authorization", "AWS4-HMAC-SHA256 Credential=/,SignedHeaders=,Signature="),
		"host-not-signed":       withHeader(signedRequest(t, host, scan, fuzzNow), "Authorization", "AWS4-HMAC-SHA256 Credential="+local.AccessKeyID+"/20260102/eu-west-1/dynamodb/aws4_request, SignedHeaders=x-amz-date, Signature=00"),
	}
}

func resign(t testing.TB, r *http.Request, creds aws.Credentials, body string) *http.Request {
	t.Helper()
	r.Header.Del("Authorization")
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, r, sha256Hex(body), Service, region, fuzzNow); err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzGuard feeds raw HTTP requests to the guard's verdict. It must never panic, and never forward a request that
// is not signed with the local secret: whatever it forwards, a guard holding another secret refuses, and so does
// the same guard once a byte of the signed body changes. Forwarded requests never come from a web page or for a
// host name that is not loopback.
func FuzzGuard(f *testing.F) {
	if *writeSeeds {
		writeCorpus(f)
	}
	mk := func(secret string) *Guard {
		g, err := New(Options{Credentials: aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: secret}, Region: region,
			Upstream: "http://127.0.0.1:1", Now: func() time.Time { return fuzzNow }})
		if err != nil {
			f.Fatal(err)
		}
		return g
	}
	guard, other := mk(local.SecretAccessKey), mk("another-secret")
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		req.RemoteAddr = "127.0.0.1:49152" // a local process: the attacker the signature must stop
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
		if err != nil {
			return
		}
		ref := guard.check(req, body)
		if ref != nil {
			if ref.Status != 400 && ref.Status != 403 && ref.Status != 413 || ref.Type == "" || ref.Message == "" {
				t.Fatalf("refusal %+v; want 400, 403 or 413 with a DynamoDB error type and a message", ref)
			}
			return
		}
		if other.check(req, body) == nil {
			t.Fatalf("forwarded a request that a guard with another secret also forwards: its signature was not checked\n%s", raw)
		}
		if guard.check(req, append(bytes.Clone(body), ' ')) == nil {
			t.Fatalf("forwarded the request with a byte appended to its signed body\n%s", raw)
		}
		if checkCaller(req) != nil || len(body) > MaxBody {
			t.Fatalf("forwarded a request from a browser, for a foreign host or over the size limit\n%s", raw)
		}
	})
}

// writeCorpus rewrites testdata/fuzz/FuzzGuard from seedRequests (go test -run '^FuzzGuard$' -write-seeds).
func writeCorpus(f *testing.F) {
	dir := filepath.Join("testdata", "fuzz", "FuzzGuard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	for name, req := range seedRequests(f) {
		var buf bytes.Buffer
		if err := req.Write(&buf); err != nil {
			f.Fatal(err)
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", buf.Bytes())
		if err := os.WriteFile(filepath.Join(dir, name), []byte(seed), 0o644); err != nil {
			f.Fatal(err)
		}
	}
}

// TestFuzzSeedsGetTheirVerdicts keeps the corpus meaningful: the signed seeds pass, every attack is refused.
func TestFuzzSeedsGetTheirVerdicts(t *testing.T) {
	g, err := New(Options{Credentials: local, Region: region, Upstream: "http://127.0.0.1:1", Now: func() time.Time { return fuzzNow }})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range seedRequests(t) {
		req.RemoteAddr = "127.0.0.1:49152"
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		ref := g.check(req, body)
		if pass := strings.HasPrefix(name, "signed-"); pass != (ref == nil) {
			t.Errorf("seed %s: verdict %v; want forwarded %v", name, ref, pass)
		}
	}
}
