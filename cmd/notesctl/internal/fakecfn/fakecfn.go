// Package fakecfn is a CloudFormation endpoint for tests: it answers DescribeStacks (awsquery protocol, as the
// AWS SDK for Go v2 speaks it) from a fixed set of stacks, so target resolution is tested without AWS.
package fakecfn

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// Start serves stacks (name → outputs) until the test ends and returns the endpoint URL. A stack named
// "NotesApi-denied" answers AccessDenied; any other unknown stack answers CloudFormation's "does not exist".
func Start(t testing.TB, stacks map[string]map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		if form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected action "+form.Get("Action"), http.StatusBadRequest)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			http.Error(w, "unsigned request", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		name := form.Get("StackName")
		outputs, ok := stacks[name]
		switch {
		case ok:
			io.WriteString(w, describe(name, outputs))
		case name == "NotesApi-denied":
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, errorResponse("AccessDenied", "User is not authorized to perform: cloudformation:DescribeStacks"))
		default:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, errorResponse("ValidationError", "Stack with id "+name+" does not exist"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func describe(name string, outputs map[string]string) string {
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var members strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&members, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", esc(k), esc(outputs[k]))
	}
	return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
		`<StackName>` + esc(name) + `</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>` + members.String() +
		`</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeStacksResponse>`
}

func errorResponse(code, msg string) string {
	return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>` + code +
		`</Code><Message>` + esc(msg) + `</Message></Error><RequestId>r2</RequestId></ErrorResponse>`
}
