package target_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/fakecfn"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/target"
)

const outputsJSON = `{"ApiUrl":"https://abc.execute-api.eu-west-1.amazonaws.com/","UserPoolId":"eu-west-1_AbCdEfGhI","UserPoolClientId":"abcdefghijklmnopqrstuvwxyz","TableName":"NotesApi-dev-Table","Region":"eu-west-1"}`

var awsTarget = target.Target{
	ApiURL: "https://abc.execute-api.eu-west-1.amazonaws.com/", UserPoolID: "eu-west-1_AbCdEfGhI",
	UserPoolClientID: "abcdefghijklmnopqrstuvwxyz", TableName: "NotesApi-dev-Table", Region: "eu-west-1",
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, ".local")
	write(t, filepath.Join(local, "dev", "outputs.json"),
		`{"ApiUrl":"http://127.0.0.1:3000/","UserPoolId":"us-east-1_AbCdEfGhI","UserPoolClientId":"c1","TableName":"T","Region":"us-east-1","CognitoEndpoint":"http://127.0.0.1:9229"}`)
	write(t, filepath.Join(local, "bad", "outputs.json"), `{"ApiUrl":"http://127.0.0.1:3000/"}`)
	write(t, filepath.Join(local, "nocognito", "outputs.json"), outputsJSON)
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}

	found, err := target.FindLocalDir(sub)
	if err != nil || found != local {
		t.Fatalf("FindLocalDir(%s) = %q, %v; want %q", sub, found, err, local)
	}
	if _, err := target.FindLocalDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "make local") {
		t.Errorf("FindLocalDir(empty) = %v; want an error naming `make local`", err)
	}

	got, err := target.Local(local, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := target.Target{Key: "local-dev", ApiURL: "http://127.0.0.1:3000/", UserPoolID: "us-east-1_AbCdEfGhI",
		UserPoolClientID: "c1", TableName: "T", Region: "us-east-1", CognitoEndpoint: "http://127.0.0.1:9229"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Local(dev) mismatch (-want +got):\n%s", diff)
	}
	if !got.Local() {
		t.Error("Local().Local() = false; want true")
	}

	for stage, wantErr := range map[string]string{
		"staging":   "make local STAGE=staging",
		"bad":       "no output UserPoolId, UserPoolClientId",
		"nocognito": "no CognitoEndpoint",
	} {
		if _, err := target.Local(local, stage); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Local(%s) = %v; want an error containing %q", stage, err, wantErr)
		}
	}
	stageDir := filepath.Join(local, "dev")
	wantErr := stageDir + " is the state folder of one stage: pass its parent, --local-dir " + local + " (and --stage dev)"
	if _, err := target.Local(stageDir, "dev"); err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("Local(%s, dev) = %v; want %q", stageDir, err, wantErr)
	}
}

func TestOutputsFile(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one.json")
	write(t, one, `{"NotesApi-dev":`+outputsJSON+`}`)
	two := filepath.Join(dir, "two.json")
	write(t, two, `{"NotesApi-dev":`+outputsJSON+`,"NotesApi-prod":`+strings.ReplaceAll(outputsJSON, "eu-west-1", "eu-north-1")+`}`)
	empty := filepath.Join(dir, "empty.json")
	write(t, empty, `{}`)
	broken := filepath.Join(dir, "broken.json")
	write(t, broken, `["NotesApi-dev"]`)
	noRegion := filepath.Join(dir, "noregion.json")
	write(t, noRegion, `{"NotesApi-dev":`+strings.Replace(outputsJSON, `,"Region":"eu-west-1"`, "", 1)+`}`)

	wantDev := awsTarget
	wantDev.Key = "stack-NotesApi-dev-eu-west-1"
	wantProd := target.Target{Key: "stack-NotesApi-prod-eu-north-1", ApiURL: "https://abc.execute-api.eu-north-1.amazonaws.com/",
		UserPoolID: "eu-north-1_AbCdEfGhI", UserPoolClientID: awsTarget.UserPoolClientID, TableName: awsTarget.TableName, Region: "eu-north-1"}
	tests := []struct {
		name, path, stack string
		want              target.Target
		wantErr           string
	}{
		{name: "single stack picked without --stack", path: one, want: wantDev},
		{name: "named stack", path: two, stack: "NotesApi-prod", want: wantProd},
		{name: "region from the pool id", path: noRegion, want: wantDev},
		{name: "several stacks need --stack", path: two, wantErr: "several stacks (NotesApi-dev, NotesApi-prod): pick one with --stack"},
		{name: "missing stack", path: one, stack: "NotesApi-x", wantErr: "has no stack NotesApi-x (it has: NotesApi-dev)"},
		{name: "empty file", path: empty, wantErr: "has no stack"},
		{name: "not an outputs file", path: broken, wantErr: "is not a `cdk deploy --outputs-file` file"},
		{name: "missing file", path: filepath.Join(dir, "nope.json"), wantErr: "nope.json does not exist: `make deploy STAGE=<stage>` writes cdk-outputs-<stage>.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := target.OutputsFile(tt.path, tt.stack)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("OutputsFile() = %v; want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("OutputsFile() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeCloudFormation is an SDK client talking to a fake endpoint that knows NotesApi-dev only.
func fakeCloudFormation(t *testing.T) *cloudformation.Client {
	t.Helper()
	endpoint := fakecfn.Start(t, map[string]map[string]string{"NotesApi-dev": {
		"ApiUrl": awsTarget.ApiURL, "UserPoolId": awsTarget.UserPoolID, "UserPoolClientId": awsTarget.UserPoolClientID,
		"TableName": awsTarget.TableName, "Region": awsTarget.Region,
	}})
	return cloudformation.New(cloudformation.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func TestStack(t *testing.T) {
	cfn := fakeCloudFormation(t)
	ctx := context.Background()

	got, err := target.Stack(ctx, cfn, "NotesApi-dev", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := awsTarget
	want.Key = "stack-NotesApi-dev-eu-west-1"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stack(NotesApi-dev) mismatch (-want +got):\n%s", diff)
	}
	if got.Local() {
		t.Error("Stack().Local() = true; want false")
	}

	for stack, wantErr := range map[string]string{
		"NotesApi-x":      "stack NotesApi-x not found in region eu-west-1",
		"NotesApi-denied": "not authorized",
	} {
		if _, err := target.Stack(ctx, cfn, stack, "eu-west-1"); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Stack(%s) = %v; want an error containing %q", stack, err, wantErr)
		}
	}
}
