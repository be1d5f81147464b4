package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/authnotes/authnotes/local/twin"
)

// watchEdits is how many edits a watch benchmark makes; it reports their median.
const watchEdits = 7

// BenchmarkWatchHandlerEdit measures the edit loop: from saving a handler file to the first response with the new
// behaviour, the median of watchEdits edits on a twin in watch mode (a copy of the module, warm build cache), with
// the twin's own split of each reload: detect (debounce and fingerprints), build (go build), swap (start, warm and
// switch). "one-handler" edits lambda/getnote (one function), "shared-package" lambda/internal/httpapi (all five).
//
//	go test -run '^$' -bench WatchHandlerEdit ./test/e2e
func BenchmarkWatchHandlerEdit(b *testing.B) {
	repo, reloads, e, token := watchBench(b, "bench-watch@example.com")
	missing := func() (*http.Response, string) {
		req, _ := http.NewRequest("GET", e.apiBase+"/notes/01ARZ3NDEKTSV4RRFFQ69G5FAV", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := e.httpc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var body strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, body.String()
	}

	getnote := filepath.Join(repo, "lambda", "getnote", "main.go")
	edit(b, getnote, "\tlambda.Start(h.Handle)\n", "\tlambda.Start(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {\n\t\tresp, err := h.Handle(ctx, req)\n\t\tresp.Headers[\"X-Edit\"] = \"edit-0\"\n\t\treturn resp, err\n\t})\n")
	edit(b, getnote, "import (\n", "import (\n\t\"context\"\n\n\t\"github.com/aws/aws-lambda-go/events\"\n")
	errorsGo := filepath.Join(repo, "lambda", "internal", "httpapi", "errors.go")
	edit(b, errorsGo, `"note not found"`, `"note not found edit-0"`)
	// The first reload of the copy builds in a new directory; the measured edits come after it.
	waitFor(b, "the first reload", func() bool {
		resp, body := missing()
		return resp.Header.Get("X-Edit") == "edit-0" && strings.Contains(body, "edit-0")
	})
	drain(reloads)

	for _, c := range []struct {
		name, file, marker string
		seen               func(resp *http.Response, body, marker string) bool
	}{
		{"one-handler", getnote, `"edit-%d"`, func(resp *http.Response, _, m string) bool { return resp.Header.Get("X-Edit") == strings.Trim(m, `"`) }},
		{"shared-package", errorsGo, `"note not found edit-%d"`, func(_ *http.Response, body, m string) bool { return strings.Contains(body, strings.Trim(m, `"`)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total, detect, build, swap []time.Duration
			for range b.N {
				for i := 1; i <= watchEdits; i++ {
					old, next := fmt.Sprintf(c.marker, i-1), fmt.Sprintf(c.marker, i)
					began := time.Now()
					edit(b, c.file, old, next)
					waitFor(b, "the edit to answer", func() bool {
						resp, body := missing()
						return c.seen(resp, body, next)
					})
					total = append(total, time.Since(began))
					r := <-reloads
					detect, build, swap = append(detect, r.Detect), append(build, r.Build), append(swap, r.Swap)
					drain(reloads)
				}
				// The next round starts from edit-0 again.
				edit(b, c.file, fmt.Sprintf(c.marker, watchEdits), fmt.Sprintf(c.marker, 0))
				waitFor(b, "the reset edit to answer", func() bool {
					resp, body := missing()
					return c.seen(resp, body, fmt.Sprintf(c.marker, 0))
				})
				drain(reloads)
			}
			b.ReportMetric(median(total).Seconds(), "s/first-response-p50")
			b.ReportMetric(median(detect).Seconds(), "s/detect-p50")
			b.ReportMetric(median(build).Seconds(), "s/build-p50")
			b.ReportMetric(median(swap).Seconds(), "s/swap-p50")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkWatchInfraEdit measures an infrastructure edit: from saving stacks/stack.go with a route added through
// the construct's AddRoute to the route answering, against the synth's own time (one synth per edit).
//
//	go test -run '^$' -bench WatchInfraEdit ./test/e2e
func BenchmarkWatchInfraEdit(b *testing.B) {
	const edits = 3
	repo, reloads, e, token := watchBench(b, "bench-infra@example.com")
	stack := filepath.Join(repo, "stacks", "stack.go")
	edit(b, stack, "import (\n", "import (\n\t\"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2\"\n\t\"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations\"\n")
	anchor := "\tapi := notesapi.NewAuthenticatedNotesApi(stack, jsii.String(\"NotesApi\"), &cfg.Api)\n"
	var total, synth []time.Duration
	for range b.N {
		for i := range edits {
			path := fmt.Sprintf("/recent%d", i)
			route := fmt.Sprintf("\tapi.AddRoute(awsapigatewayv2.HttpMethod_GET, %q, awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(\"Recent%dIntegration\"), api.Function(\"GET /notes\"), nil))\n", path, i)
			began := time.Now()
			edit(b, stack, anchor, anchor+route)
			waitFor(b, "the added route", func() bool {
				return e.call("GET", path, token, "").status == http.StatusOK
			})
			total = append(total, time.Since(began))
			for r := range reloads {
				if r.Stack {
					synth = append(synth, r.Synth)
					break
				}
			}
		}
	}
	b.ReportMetric(median(total).Seconds(), "s/route-answers-p50")
	b.ReportMetric(median(synth).Seconds(), "s/synth-p50")
	b.ReportMetric(0, "ns/op")
}

// watchBench starts a twin in watch mode on a copy of the module with a signed-in user; reloads hears of each
// reload.
func watchBench(b *testing.B, email string) (repo string, reloads chan twin.Reload, e *env, token string) {
	b.Helper()
	if testing.Short() {
		b.Skip("starts the whole twin; skipped with -short")
	}
	repo = copyModule(b)
	reloads = make(chan twin.Reload, 16)
	tw := startWatching(b, repo, &syncBuffer{}, func(r twin.Reload) { reloads <- r })
	e = newEnv(b, tw)
	e.signUp(email)
	return repo, reloads, e, aws.ToString(e.signIn(email).AccessToken)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func drain(ch chan twin.Reload) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
