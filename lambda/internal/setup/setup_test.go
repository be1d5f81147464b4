package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/authnotes/authnotes/lambda/internal/dynamostore"
	"github.com/authnotes/authnotes/lambda/internal/httpapi"
	"github.com/authnotes/authnotes/local/dynalite"
)

func TestLogLevel(t *testing.T) {
	tests := map[string]slog.Level{"": slog.LevelInfo, "INFO": slog.LevelInfo, "debug": slog.LevelDebug, "TRACE": slog.LevelDebug - 4,
		"WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": slog.LevelError + 4}
	for in, want := range tests {
		if got, err := LogLevel(in); err != nil || got != want {
			t.Errorf("LogLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := LogLevel("LOUD"); err == nil || !strings.Contains(err.Error(), "AWS_LAMBDA_LOG_LEVEL") {
		t.Errorf("LogLevel(LOUD) error = %v; want one naming AWS_LAMBDA_LOG_LEVEL", err)
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHandlerRefusesABadEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no table", map[string]string{}, "TABLE_NAME is not set"},
		{"bad log level", map[string]string{"TABLE_NAME": "t", "AWS_LAMBDA_LOG_LEVEL": "LOUD"}, "AWS_LAMBDA_LOG_LEVEL"},
		{"no region", map[string]string{"TABLE_NAME": "t", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}, "AWS_REGION is not set"},
		{"no credentials", map[string]string{"TABLE_NAME": "t", "AWS_REGION": "eu-west-1"}, "AWS_ACCESS_KEY_ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Handler(httpapi.GetNote, envOf(tc.env), new(bytes.Buffer))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Handler() error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// TestHandlerReachesDynamoDBThroughTheEnvironment wires a function exactly as
// main does, with the variables the local twin sets, pointing the client at
// dynalite with AWS_ENDPOINT_URL_DYNAMODB.
func TestHandlerReachesDynamoDBThroughTheEnvironment(t *testing.T) {
	ctx := context.Background()
	srv, err := dynalite.Start(ctx, dynalite.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("this test needs dynalite: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := dynamostore.CreateTable(ctx, client(srv.Endpoint()), "Notes"); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	h, err := Handler(httpapi.CreateNote, envOf(map[string]string{
		"TABLE_NAME": "Notes", "AWS_LAMBDA_LOG_LEVEL": "INFO", "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_ENDPOINT_URL_DYNAMODB": srv.Endpoint(),
	}), &logs)
	if err != nil {
		t.Fatalf("Handler() error = %v", err)
	}
	req := events.APIGatewayV2HTTPRequest{
		RawPath: "/notes",
		Headers: map[string]string{"content-type": "application/json"},
		Body:    `{"content":"stored in dynalite"}`,
		RequestContext: events.APIGatewayV2HTTPRequestContext{Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "user-1"}},
		}},
	}
	resp, err := h.Handle(ctx, req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("Handle() = %d %s, %v; want 201\nlogs: %s", resp.StatusCode, resp.Body, err, &logs)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil || line["status"] != 201.0 {
		t.Errorf("log = %s (%v); want one JSON line with status 201", &logs, err)
	}
	out, err := client(srv.Endpoint()).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("Notes")})
	if err != nil || out.Count != 1 {
		t.Errorf("Scan() = %v, %v; want the one note", out, err)
	}
}

func TestDynamoDBOptions(t *testing.T) {
	base := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	tests := []struct {
		name         string
		extra        map[string]string
		wantEndpoint string
	}{
		{"AWS", nil, ""},
		{"service endpoint", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}, "http://127.0.0.1:8000"},
		{"global endpoint", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566"},
		{"service endpoint wins", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}, "http://127.0.0.1:8000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			maps.Copy(env, base)
			maps.Copy(env, tc.extra)
			opts, err := DynamoDBOptions(envOf(env))
			if err != nil {
				t.Fatalf("DynamoDBOptions() error = %v", err)
			}
			if got := aws.ToString(opts.BaseEndpoint); got != tc.wantEndpoint || opts.Region != "eu-west-1" {
				t.Errorf("DynamoDBOptions() endpoint %q region %q; want %q, eu-west-1", got, opts.Region, tc.wantEndpoint)
			}
			creds, err := opts.Credentials.Retrieve(context.Background())
			if err != nil || creds.AccessKeyID != "AKID" || creds.SessionToken != "token" {
				t.Errorf("credentials = %+v, %v; want the environment's", creds, err)
			}
		})
	}
}

func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}
