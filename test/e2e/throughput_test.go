package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/authnotes/authnotes/local/twin"
)

// unthrottled is a second twin, on its own state directory, started with NoThrottle for load measurements;
// TestMain stops it.
var unthrottled struct {
	once sync.Once
	tw   *twin.Twin
	err  error
}

func startUnthrottled(tb testing.TB) *twin.Twin {
	tb.Helper()
	if testing.Short() {
		tb.Skip("starts the whole twin; skipped with -short")
	}
	unthrottled.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		unthrottled.tw, unthrottled.err = twin.Start(ctx, twin.Options{
			Stage: "dev", RepoDir: repoDir, AssemblyDir: assemblyDir, NoSynth: true,
			StateDir: filepath.Join(filepath.Dir(stateDir), "unthrottled"), NoThrottle: true,
			APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0", Log: twinLog,
		})
	})
	if unthrottled.err != nil {
		tb.Fatalf("start the unthrottled twin: %v\n%s", unthrottled.err, twinLog.String())
	}
	return unthrottled.tw
}

// TestNoThrottleLetsABurstThrough: the dev stage allows bursts of 200; with NoThrottle three times that many
// concurrent requests all reach the authorizer (401 without a token) and none is refused with 429.
func TestNoThrottleLetsABurstThrough(t *testing.T) {
	e := newEnv(t, startUnthrottled(t))
	const n = 600
	var throttled, other atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := e.httpc.Get(e.apiBase + "/notes")
			if err != nil {
				other.Add(1)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				throttled.Add(1)
			case http.StatusUnauthorized:
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if throttled.Load() != 0 || other.Load() != 0 {
		t.Errorf("%d unauthenticated requests with NoThrottle: %d throttled, %d neither 401 nor 429; want all 401", n, throttled.Load(), other.Load())
	}
}

// The end-to-end throughput target: creating notes through the whole twin (gateway, JWT authorizer, Lambda
// runtime, the real handler) should be bounded by the DynamoDB server, not by our code. BenchmarkThroughput
// measures both sides with the same concurrency on the same machine:
//
//	api:      POST /notes through the twin, with a valid access token
//	dynamodb: the same conditional PutItem sent to the twin's DynamoDB (the guard, then dynalite) with the AWS SDK
//
// Run: go test -run '^$' -bench Throughput -benchtime 2000x ./test/e2e
func BenchmarkThroughput(b *testing.B) {
	tw := startUnthrottled(b)
	e := newEnv(b, tw)
	user := fmt.Sprintf("load-%d@example.com", time.Now().UnixNano())
	e.signUp(user)
	token := aws.ToString(e.signIn(user).AccessToken)
	const concurrency = 16
	e.httpc.Transport = &http.Transport{MaxIdleConnsPerHost: concurrency}

	b.Run("api", func(b *testing.B) {
		body := `{"title":"load","content":"` + strings.Repeat("x", 200) + `"}`
		runParallel(b, concurrency, func() error {
			req, err := http.NewRequest(http.MethodPost, e.apiBase+"/notes", strings.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.httpc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("POST /notes = %d; want 201", resp.StatusCode)
			}
			return nil
		})
	})

	b.Run("dynamodb", func(b *testing.B) {
		out := tw.Outputs()
		db := dynamodb.New(dynamodb.Options{
			Region: out["Region"], BaseEndpoint: aws.String(tw.DynamoDBEndpoint()),
			Credentials: credentials.StaticCredentialsProvider{Value: tw.Credentials()},
		})
		cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("noteId"))).Build()
		if err != nil {
			b.Fatal(err)
		}
		content := strings.Repeat("x", 200)
		runParallel(b, concurrency, func() error {
			now := time.Now().UTC().Format(time.RFC3339Nano)
			_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
				TableName: aws.String(out["TableName"]),
				Item: map[string]ddbtypes.AttributeValue{
					"userId":    &ddbtypes.AttributeValueMemberS{Value: "load-direct"},
					"noteId":    &ddbtypes.AttributeValueMemberS{Value: ulid.Make().String()},
					"title":     &ddbtypes.AttributeValueMemberS{Value: "load"},
					"content":   &ddbtypes.AttributeValueMemberS{Value: content},
					"createdAt": &ddbtypes.AttributeValueMemberS{Value: now},
					"updatedAt": &ddbtypes.AttributeValueMemberS{Value: now},
					"version":   &ddbtypes.AttributeValueMemberN{Value: "1"},
				},
				ConditionExpression:       cond.Condition(),
				ExpressionAttributeNames:  cond.Names(),
				ExpressionAttributeValues: cond.Values(),
			})
			return err
		})
	})
}

// runParallel runs op b.N times on exactly `workers` goroutines and reports the rate.
func runParallel(b *testing.B, workers int, op func() error) {
	var next atomic.Int64
	var failed atomic.Pointer[error]
	b.ResetTimer()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}
