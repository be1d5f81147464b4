package e2e

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// TestDynamoDBPortIsGuarded replays the attacks of issue 9 against the twin's DynamoDB port: a web page's CORS
// preflight and simple request, unsigned, wrongly signed and foreign-key Scan and PutItem, a rebinding Host. Each is
// refused and none plants a note; a client with the twin's credentials file works.
func TestDynamoDBPortIsGuarded(t *testing.T) {
	tw := stage(t)
	endpoint, table, region := tw.DynamoDBEndpoint(), tw.Outputs()["TableName"], tw.Outputs()["Region"]

	browser := []struct {
		name   string
		method string
		header map[string]string
	}{
		{name: "CORS preflight", method: http.MethodOptions, header: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target,content-type"}},
		{name: "simple request from a page", method: http.MethodPost, header: map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}},
		{name: "rebinding Host", method: http.MethodPost, header: map[string]string{"Host": "rebind.evil.example:8000", "X-Amz-Target": "DynamoDB_20120810.Scan"}},
	}
	for _, tt := range browser {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, endpoint, strings.NewReader(`{"TableName":"`+table+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			req.Host = req.Header.Get("Host")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s = %d %s; want 403", tt.name, resp.StatusCode, body)
			}
			for name := range resp.Header {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("%s: the answer carries %s; want no CORS headers", tt.name, name)
				}
			}
		})
	}

	creds := tw.Credentials()
	clients := []struct {
		name  string
		creds aws.CredentialsProvider
		code  string
	}{
		{name: "unsigned", creds: aws.AnonymousCredentials{}, code: "MissingAuthenticationTokenException"},
		{name: "wrong secret", creds: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, "guessed", ""), code: "InvalidSignatureException"},
		{name: "unknown key", creds: credentials.NewStaticCredentialsProvider("local", "local", ""), code: "UnrecognizedClientException"},
	}
	for _, tt := range clients {
		t.Run(tt.name, func(t *testing.T) {
			db := dynamodb.New(dynamodb.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: tt.creds, RetryMaxAttempts: 1})
			_, scanErr := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
			_, putErr := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
				"userId": &ddbtypes.AttributeValueMemberS{Value: "victim"}, "noteId": &ddbtypes.AttributeValueMemberS{Value: "planted-" + tt.name},
			}})
			for op, err := range map[string]error{"Scan": scanErr, "PutItem": putErr} {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
					t.Errorf("%s %s = %v; want %s", tt.name, op, err, tt.code)
				}
			}
		})
	}

	// What the README tells a developer: the shared-credentials file and its profile, with the SDK's default chain.
	path, profile := tw.CredentialsFile()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedCredentialsFiles([]string{path}),
		config.WithSharedConfigFiles([]string{}), config.WithSharedConfigProfile(profile), config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("Scan with profile %s from %s: %v", profile, path, err)
	}
	for _, item := range out.Items {
		if id, _ := item["noteId"].(*ddbtypes.AttributeValueMemberS); id != nil && strings.HasPrefix(id.Value, "planted-") {
			t.Errorf("a refused PutItem planted %s", id.Value)
		}
	}
}

// TestStateIsPrivate walks the twin's state directory: every folder is 0700 and no file is open to the group or
// others, also after a restart on a state that an older twin left readable by everyone.
func TestStateIsPrivate(t *testing.T) {
	stage(t)
	checkPrivate(t, stateDir)
	for _, name := range []string{"", "outputs.json", "twin.lock", "aws-credentials", "dynamodb", "build"} {
		path := filepath.Join(stateDir, name)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if info.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	restartTwin(t)
	checkPrivate(t, stateDir)
}

func checkPrivate(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		perm := info.Mode().Perm()
		switch {
		case d.IsDir() && perm != 0o700:
			t.Errorf("folder %s has mode %o; want 700", path, perm)
		case perm&0o077 != 0:
			t.Errorf("%s has mode %o; want nothing for the group and others", path, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
