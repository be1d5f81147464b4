package cognito

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzOperations sends arbitrary requests through the endpoint's whole handler: the X-Amz-Target header that picks
// the operation, the raw JSON body it decodes and checks, and whether the request is signed like an SDK's (the admin
// operations need that). In the body, {client} and {pool} stand for the fixture's IDs, {user} for a confirmed user
// and {token} for an access token of theirs, so that the seeds in testdata/fuzz/FuzzOperations reach past the ID
// and token checks. Whatever comes in, the answer
// is the protocol's: 200 with a JSON object, or 400 (413 for an oversized body) with Cognito's error shape —
// never a panic, never a 500 (the endpoint only answers 500 when the disk fails, and this one has no disk).
func FuzzOperations(f *testing.F) {
	e := newEnv(f)
	e.stop()
	e.dir = "" // in memory: every input runs against the same endpoint, and nothing is written to disk
	e.start()
	e.signUp("fuzz@example.com", goodPassword)
	token := *e.tokens("fuzz@example.com", goodPassword).AccessToken
	replacer := func(body []byte) []byte {
		for _, r := range []struct{ from, to string }{{"{client}", e.clientID}, {"{pool}", e.poolID}, {"{user}", "fuzz@example.com"}, {"{token}", token}} {
			body = bytes.ReplaceAll(body, []byte(r.from), []byte(r.to))
		}
		return body
	}
	h := e.srv.routes()
	f.Fuzz(func(t *testing.T, target string, body []byte, signed bool) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(replacer(body)))
		req.RemoteAddr, req.Host = "127.0.0.1:40000", e.addr // past the door, which only loopback names pass
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if signed {
			req.Header.Set("Authorization", sdkSignature)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s answered %d with a body that is not a JSON object (%v): %.200q", target, rec.Code, err, rec.Body.String())
		}
		typ, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		switch rec.Code {
		case http.StatusOK:
			if typ != "" {
				t.Fatalf("%s answered 200 with an error %s", target, typ)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if typ == "" || msg == "" || rec.Header().Get("X-Amzn-Errortype") != typ {
				t.Fatalf("%s answered %d without Cognito's error shape: %.200q", target, rec.Code, rec.Body.String())
			}
		default:
			t.Fatalf("%s answered %d: %s: %.300s", target, rec.Code, typ, msg)
		}
	})
}
