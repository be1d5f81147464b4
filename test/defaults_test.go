package test

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/stacks"
)

// TestNilPropsGiveDocumentedDefaults checks the defaults the README's props table promises.
func TestNilPropsGiveDocumentedDefaults(t *testing.T) {
	stack := newStack(t, "Defaults")
	notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil)
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))
	pool := only(t, tpl, "AWS::Cognito::UserPool")
	table := only(t, tpl, "AWS::DynamoDB::GlobalTable")
	apiProps := only(t, tpl, "AWS::ApiGatewayV2::Api").props()
	_, cors := apiProps["CorsConfiguration"]
	client := only(t, tpl, "AWS::Cognito::UserPoolClient").props()
	got := map[string]any{
		"pool.policy": pool.Body["DeletionPolicy"], "pool.protection": pool.props()["DeletionProtection"],
		"pool.mfa": pool.props()["MfaConfiguration"], "pool.tier": pool.props()["UserPoolTier"],
		"pool.selfSignUp":  pool.props()["AdminCreateUserConfig"],
		"table.policy":     table.Body["DeletionPolicy"],
		"table.protection": table.props()["Replicas"].([]any)[0].(map[string]any)["DeletionProtectionEnabled"],
		"cors":             cors,
		"client.flows":     client["ExplicitAuthFlows"],
		"throttle":         only(t, tpl, "AWS::ApiGatewayV2::Stage").props()["DefaultRouteSettings"],
	}
	want := map[string]any{
		"pool.policy": "Retain", "pool.protection": "ACTIVE", "pool.mfa": "OFF", "pool.tier": "ESSENTIALS",
		"pool.selfSignUp": map[string]any{"AllowAdminCreateUserOnly": false},
		"table.policy":    "Retain", "table.protection": true,
		"cors":         false,
		"client.flows": []any{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"throttle":     map[string]any{"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pool, table, API defaults (-want +got):\n%s", diff)
	}
	for _, fn := range ofType(tpl, "AWS::Lambda::Function") {
		p := fn.props()
		_, tracing := p["TracingConfig"]
		got := map[string]any{"arch": p["Architectures"], "memory": p["MemorySize"], "timeout": p["Timeout"],
			"level": p["LoggingConfig"].(map[string]any)["ApplicationLogLevel"], "tracing": tracing}
		want := map[string]any{"arch": []any{"arm64"}, "memory": 256.0, "timeout": 10.0, "level": "INFO", "tracing": false}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s defaults (-want +got):\n%s", fn.ID, diff)
		}
	}
	for _, lg := range ofType(tpl, "AWS::Logs::LogGroup") {
		if got := lg.props()["RetentionInDays"]; got != 30.0 {
			t.Errorf("%s RetentionInDays = %v; want 30", lg.ID, got)
		}
	}
}

// TestStacksNotBundledAreNotBuilt: `cdk synth NotesApi-dev` must not build the other stages' handlers.
func TestStacksNotBundledAreNotBuilt(t *testing.T) {
	app, out := newApp(t, []string{"NotesApi-other"})
	cfg := stacks.Stages()[0]
	cfg.Account, cfg.Region = testAccount, testRegion
	stacks.NewNotesApiStack(app, cfg)
	app.Synth(nil)
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "bootstrap" {
			t.Errorf("%s was built although NotesApi-dev is not being bundled", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStageEnvironmentDefaultsAndOverrides: a stage without Account/Region takes the CLI's; a pinned one keeps its
// own; with no defaults at all the stack is environment-agnostic and still synthesizes.
func TestStageEnvironmentDefaultsAndOverrides(t *testing.T) {
	app, _ := newApp(t, nil)
	configs := stacks.Stages()[:2]
	configs[1].Account, configs[1].Region = "210987654321", "us-west-2"
	built := stacks.AddStages(app, configs, testAccount, testRegion)
	got := [][2]string{{*built[0].Account(), *built[0].Region()}, {*built[1].Account(), *built[1].Region()}}
	if diff := cmp.Diff([][2]string{{testAccount, testRegion}, {"210987654321", "us-west-2"}}, got); diff != "" {
		t.Errorf("stack environments (-want +got):\n%s", diff)
	}

	agnosticApp, _ := newApp(t, nil)
	agnostic := stacks.AddStages(agnosticApp, stacks.Stages()[:1], "", "")[0]
	if !*awscdk.Token_IsUnresolved(agnostic.Region()) {
		t.Errorf("Region() = %s; want the AWS::Region token for an environment-agnostic stack", *agnostic.Region())
	}
	tpl := toMap(t, assertions.Template_FromStack(agnostic, nil))
	if n := len(functionsByRoute(t, tpl)); n != 5 {
		t.Errorf("environment-agnostic stack has %d route functions; want 5", n)
	}
}
