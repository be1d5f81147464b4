// Package target resolves where notesctl talks to: the local twin, a `cdk deploy --outputs-file` file, or a
// deployed CloudFormation stack. All three produce the same Target, so every command runs the same code path.
package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// Target is a resolved stack: its outputs, plus where its Cognito endpoint is.
type Target struct {
	// Key names the target in the token cache: "local-dev", "stack-NotesApi-dev-eu-west-1", ….
	Key              string `json:"-"`
	ApiURL           string `json:"ApiUrl"`
	UserPoolID       string `json:"UserPoolId"`
	UserPoolClientID string `json:"UserPoolClientId"`
	TableName        string `json:"TableName"`
	Region           string `json:"Region"`
	// CognitoEndpoint is the local twin's Cognito endpoint; empty on AWS (the SDK's regional endpoint is used).
	CognitoEndpoint string `json:"CognitoEndpoint,omitempty"`
}

// Local reports whether the target is the local twin (its Cognito endpoint is the emulator).
func (t Target) Local() bool { return t.CognitoEndpoint != "" }

// fromOutputs fills a Target from a stack's output map and checks the outputs notesctl needs are there.
func fromOutputs(key, where string, out map[string]string) (Target, error) {
	t := Target{
		Key: key, ApiURL: out["ApiUrl"], UserPoolID: out["UserPoolId"], UserPoolClientID: out["UserPoolClientId"],
		TableName: out["TableName"], Region: out["Region"], CognitoEndpoint: out["CognitoEndpoint"],
	}
	var missing []string
	for _, k := range []struct{ name, v string }{
		{"ApiUrl", t.ApiURL}, {"UserPoolId", t.UserPoolID}, {"UserPoolClientId", t.UserPoolClientID},
	} {
		if k.v == "" {
			missing = append(missing, k.name)
		}
	}
	if len(missing) > 0 {
		return Target{}, fmt.Errorf("%s has no output %s: redeploy (or restart the twin) from this checkout", where, strings.Join(missing, ", "))
	}
	if t.Region == "" {
		// A pool ID is "<region>_<id>": the region is recoverable when an older stack lacks the Region output.
		t.Region, _, _ = strings.Cut(t.UserPoolID, "_")
	}
	return t, nil
}

// FindLocalDir returns the nearest ".local" directory from dir upwards, so notesctl works from any folder of the
// checkout that runs the twin.
func FindLocalDir(dir string) (string, error) {
	start := dir
	for {
		p := filepath.Join(dir, ".local")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no .local directory in %s or above: start the twin with `make local` in the checkout (or pass --local-dir)", start)
		}
		dir = parent
	}
}

// Local reads the twin's outputs, <localDir>/<stage>/outputs.json.
func Local(localDir, stage string) (Target, error) {
	p := filepath.Join(localDir, stage, "outputs.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		// --local-dir .local/dev is an easy slip for --local-dir .local: say so rather than ask to start the twin.
		if _, serr := os.Stat(filepath.Join(localDir, "outputs.json")); serr == nil {
			return Target{}, fmt.Errorf("%s is the state folder of one stage: pass its parent, --local-dir %s (and --stage %s)", localDir, filepath.Dir(localDir), filepath.Base(localDir))
		}
		return Target{}, fmt.Errorf("%s does not exist: start the twin with `make local STAGE=%s` and wait for it to print its endpoints", p, stage)
	}
	if err != nil {
		return Target{}, fmt.Errorf("read local outputs: %w", err)
	}
	var out map[string]string
	if err := json.Unmarshal(b, &out); err != nil {
		return Target{}, fmt.Errorf("%s is not a JSON object of outputs: %w", p, err)
	}
	t, err := fromOutputs("local-"+stage, p, out)
	if err != nil {
		return Target{}, err
	}
	if t.CognitoEndpoint == "" {
		return Target{}, fmt.Errorf("%s has no CognitoEndpoint: it was not written by the twin", p)
	}
	return t, nil
}

// OutputsFile reads a `cdk deploy --outputs-file` file ({"NotesApi-dev": {"ApiUrl": …}}). stack may be empty when
// the file holds exactly one stack.
func OutputsFile(path, stack string) (Target, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Target{}, fmt.Errorf("outputs file %s does not exist: `make deploy STAGE=<stage>` writes cdk-outputs-<stage>.json in the checkout", path)
	}
	if err != nil {
		return Target{}, fmt.Errorf("read outputs file: %w", err)
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(b, &stacks); err != nil {
		return Target{}, fmt.Errorf("outputs file %s is not a `cdk deploy --outputs-file` file: %w", path, err)
	}
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	switch {
	case stack == "" && len(names) == 1:
		stack = names[0]
	case stack == "" && len(names) == 0:
		return Target{}, fmt.Errorf("outputs file %s has no stack: deploy with `make deploy STAGE=<stage>`, which writes it", path)
	case stack == "":
		return Target{}, fmt.Errorf("outputs file %s has several stacks (%s): pick one with --stack", path, strings.Join(names, ", "))
	}
	out, ok := stacks[stack]
	if !ok {
		return Target{}, fmt.Errorf("outputs file %s has no stack %s (it has: %s)", path, stack, strings.Join(names, ", "))
	}
	t, err := fromOutputs("", fmt.Sprintf("stack %s in %s", stack, path), out)
	if err != nil {
		return Target{}, err
	}
	t.CognitoEndpoint = "" // a deploy's outputs never point at the emulator
	t.Key = "stack-" + stack + "-" + t.Region
	return t, nil
}

// DescribeStacksAPI is the part of the CloudFormation client Stack needs.
type DescribeStacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var stackMissing = regexp.MustCompile(`(?i)does not exist`)

// Stack reads a deployed stack's outputs from CloudFormation.
func Stack(ctx context.Context, cfn DescribeStacksAPI, stack, region string) (Target, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stack})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && stackMissing.MatchString(apiErr.ErrorMessage()) {
		return Target{}, fmt.Errorf("stack %s not found in region %s: deploy it with `make deploy STAGE=<stage>` or pass the right --region", stack, region)
	}
	var timeout net.Error
	if errors.As(err, &timeout) && timeout.Timeout() {
		return Target{}, fmt.Errorf("describe stack %s in region %s: CloudFormation did not answer in time (%w): check your network, or raise --timeout", stack, region, err)
	}
	if err != nil {
		return Target{}, fmt.Errorf("describe stack %s in region %s (do your AWS credentials allow cloudformation:DescribeStacks? try `aws sts get-caller-identity`): %w", stack, region, err)
	}
	if len(out.Stacks) == 0 {
		return Target{}, fmt.Errorf("stack %s not found in region %s: deploy it with `make deploy STAGE=<stage>` or pass the right --region", stack, region)
	}
	s := out.Stacks[0]
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		if o.OutputKey != nil && o.OutputValue != nil {
			outputs[*o.OutputKey] = *o.OutputValue
		}
	}
	t, err := fromOutputs("", fmt.Sprintf("stack %s (%s) in region %s", stack, s.StackStatus, region), outputs)
	if err != nil {
		return Target{}, err
	}
	t.CognitoEndpoint = ""
	if t.Region == "" {
		t.Region = region
	}
	t.Key = "stack-" + stack + "-" + region
	return t, nil
}
