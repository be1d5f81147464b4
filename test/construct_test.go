package test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
)

func TestValidateProps(t *testing.T) {
	tests := []struct {
		name  string
		props *notesapi.AuthenticatedNotesApiProps
		err   string // "" = valid
	}{
		{"nil props take the defaults", nil, ""},
		{"zero props take the defaults", &notesapi.AuthenticatedNotesApiProps{}, ""},
		{"explicit star origin", &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{"*"}}, ""},
		{"localhost origin with port", &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{"http://localhost:5173"}}, ""},
		{"empty CORS origin", &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{""}}, "CorsAllowedOrigins: empty origin"},
		{"star among other origins", &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{"*", "https://a.org"}}, `"*" must be the only origin`},
		{"origin with a path", &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{"https://a.org/app"}}, `origin "https://a.org/app"`},
		{"threat protection on Essentials", &notesapi.AuthenticatedNotesApiProps{ThreatProtectionMode: awscognito.StandardThreatProtectionMode_AUDIT_ONLY},
			"ThreatProtectionMode AUDIT_ONLY needs FeaturePlan PLUS, got ESSENTIALS"},
		{"deletion protection with DESTROY", &notesapi.AuthenticatedNotesApiProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY},
			"DeletionProtection must be false with RemovalPolicy DESTROY"},
		{"snapshot removal policy", &notesapi.AuthenticatedNotesApiProps{RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT},
			"RemovalPolicy SNAPSHOT: must be RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY"},
		{"OAuth without callback", &notesapi.AuthenticatedNotesApiProps{OAuth: &notesapi.OAuthProps{}}, "OAuth.CallbackUrls: at least one URL"},
		{"OAuth with CDK's placeholder", &notesapi.AuthenticatedNotesApiProps{OAuth: &notesapi.OAuthProps{CallbackUrls: []string{"https://example.com"}}}, "is a placeholder"},
		{"OAuth over plain http", &notesapi.AuthenticatedNotesApiProps{OAuth: &notesapi.OAuthProps{CallbackUrls: []string{"http://notes.org/cb"}}}, "must be https"},
		{"OAuth logout URL checked", &notesapi.AuthenticatedNotesApiProps{OAuth: &notesapi.OAuthProps{CallbackUrls: []string{"https://n.org/cb"}, LogoutUrls: []string{"ftp://n.org"}}}, "OAuth.LogoutUrls"},
		{"access token too short", &notesapi.AuthenticatedNotesApiProps{AccessTokenValidity: time.Minute}, "AccessTokenValidity 1m0s"},
		{"id token too long", &notesapi.AuthenticatedNotesApiProps{IdTokenValidity: 48 * time.Hour}, "IdTokenValidity 48h0m0s"},
		{"refresh token too short", &notesapi.AuthenticatedNotesApiProps{RefreshTokenValidity: 30 * time.Minute}, "RefreshTokenValidity 30m0s"},
		{"access token outlives the refresh token", &notesapi.AuthenticatedNotesApiProps{AccessTokenValidity: 3 * time.Hour, RefreshTokenValidity: 2 * time.Hour},
			"AccessTokenValidity 3h0m0s: must not exceed RefreshTokenValidity 2h0m0s"},
		{"id token outlives the refresh token", &notesapi.AuthenticatedNotesApiProps{IdTokenValidity: 24 * time.Hour, RefreshTokenValidity: time.Hour},
			"IdTokenValidity 24h0m0s: must not exceed RefreshTokenValidity 1h0m0s"},
		{"password shorter than Cognito allows", &notesapi.AuthenticatedNotesApiProps{PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(4)}},
			"PasswordPolicy.MinLength 4"},
		{"password history on Lite", &notesapi.AuthenticatedNotesApiProps{FeaturePlan: awscognito.FeaturePlan_LITE,
			PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(12), PasswordHistorySize: jsii.Number(5)}},
			"PasswordPolicy.PasswordHistorySize needs FeaturePlan ESSENTIALS or PLUS, got LITE"},
		{"timeout beyond the HTTP API limit", &notesapi.AuthenticatedNotesApiProps{Timeout: time.Minute}, "Timeout 1m0s"},
		{"memory too small", &notesapi.AuthenticatedNotesApiProps{MemorySize: jsii.Number(64)}, "MemorySize 64"},
		{"unsupported architecture", &notesapi.AuthenticatedNotesApiProps{Architecture: awslambda.Architecture_Custom(jsii.String("s390x"), nil)},
			`Architecture: unsupported Lambda architecture "s390x"`},
		{"fractional memory", &notesapi.AuthenticatedNotesApiProps{MemorySize: jsii.Number(256.5)}, "MemorySize 256.5"},
		{"zero rate", &notesapi.AuthenticatedNotesApiProps{ThrottleRateLimit: jsii.Number(0)}, "ThrottleRateLimit 0"},
		{"fractional burst", &notesapi.AuthenticatedNotesApiProps{ThrottleBurstLimit: jsii.Number(1.5)}, "ThrottleBurstLimit 1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notesapi.ValidateProps(tt.props)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("ValidateProps = %v; want nil", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ValidateProps = %v; want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestValidatePropsReportsEveryProblem(t *testing.T) {
	err := notesapi.ValidateProps(&notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{""}, MemorySize: jsii.Number(1)})
	if err == nil || !strings.Contains(err.Error(), "CorsAllowedOrigins") || !strings.Contains(err.Error(), "MemorySize") {
		t.Fatalf("ValidateProps(two problems) = %v; want both named", err)
	}
}

// newStack returns a stack in a fresh app that skips bundling.
func newStack(t *testing.T, id string) awscdk.Stack {
	t.Helper()
	app, _ := newApp(t, nil)
	return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)},
	})
}

// panicMessage runs f and returns what it panicked with, or "".
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestConstructorPanicsOnInvalidProps(t *testing.T) {
	stack := newStack(t, "Invalid")
	msg := panicMessage(func() {
		notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Api"), &notesapi.AuthenticatedNotesApiProps{CorsAllowedOrigins: []string{""}})
	})
	if !strings.HasPrefix(msg, "notesapi: invalid AuthenticatedNotesApiProps") || !strings.Contains(msg, "empty origin") {
		t.Fatalf("NewAuthenticatedNotesApi(invalid) panicked with %q; want the validation error", msg)
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("stack has %d children after the failed constructor; want 0 (validate before creating anything)", n)
	}
}

func TestConstructTwiceInOneStack(t *testing.T) {
	stack := newStack(t, "Twice")
	a := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("NotesA"), &notesapi.AuthenticatedNotesApiProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY, DeletionProtection: jsii.Bool(false)})
	b := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("NotesB"), nil)
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))
	counts := map[string]int{}
	for _, typ := range []string{"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::ApiGatewayV2::Api",
		"AWS::ApiGatewayV2::Authorizer", "AWS::ApiGatewayV2::Route", "AWS::DynamoDB::GlobalTable", "AWS::Lambda::Function"} {
		counts[typ] = len(ofType(tpl, typ))
	}
	want := map[string]int{"AWS::Cognito::UserPool": 2, "AWS::Cognito::UserPoolClient": 2, "AWS::ApiGatewayV2::Api": 2,
		"AWS::ApiGatewayV2::Authorizer": 2, "AWS::ApiGatewayV2::Route": 10, "AWS::DynamoDB::GlobalTable": 2, "AWS::Lambda::Function": 10}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("resource counts (-want +got):\n%s", diff)
	}
	// Each authorizer trusts only the client of the pool it takes its issuer from.
	res := tpl["Resources"].(map[string]any)
	for _, auth := range ofType(tpl, "AWS::ApiGatewayV2::Authorizer") {
		jwt := auth.props()["JwtConfiguration"].(map[string]any)
		poolRef := jwt["Issuer"].(map[string]any)["Fn::Join"].([]any)[1].([]any)[1]
		aud := jwt["Audience"].([]any)
		if len(aud) != 1 {
			t.Fatalf("%s audience %v; want one client", auth.ID, aud)
		}
		client := res[aud[0].(map[string]any)["Ref"].(string)].(map[string]any)
		if got := client["Properties"].(map[string]any)["UserPoolId"]; !cmp.Equal(got, poolRef) {
			t.Errorf("%s: audience client belongs to %v, issuer is pool %v", auth.ID, got, poolRef)
		}
	}
	for _, api := range []*notesapi.AuthenticatedNotesApi{a, b} {
		if got := *api.UserPoolClient().Node().Scope().Node().Path(); got != *api.UserPool().Node().Path() {
			t.Errorf("%s: UserPoolClient is under %s; want under its UserPool", *api.Node().Id(), got)
		}
	}
	names := map[any]bool{}
	for _, api := range ofType(tpl, "AWS::ApiGatewayV2::Api") {
		names[api.props()["Name"]] = true
	}
	if len(names) != 2 {
		t.Errorf("API names %v; want two distinct names", names)
	}
}

func TestConsumerAppWithCustomPropsAndExtraRoute(t *testing.T) {
	stack := newStack(t, "Consumer")
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), &notesapi.AuthenticatedNotesApiProps{
		SelfSignUpEnabled:     jsii.Bool(false),
		Mfa:                   awscognito.Mfa_REQUIRED,
		FeaturePlan:           awscognito.FeaturePlan_PLUS,
		ThreatProtectionMode:  awscognito.StandardThreatProtectionMode_AUDIT_ONLY,
		RemovalPolicy:         awscdk.RemovalPolicy_DESTROY,
		DeletionProtection:    jsii.Bool(false),
		OAuth:                 &notesapi.OAuthProps{CallbackUrls: []string{"https://notes.example.org/callback"}, LogoutUrls: []string{"https://notes.example.org/"}},
		AccessTokenValidity:   15 * time.Minute,
		IdTokenValidity:       15 * time.Minute,
		RefreshTokenValidity:  7 * 24 * time.Hour,
		CorsAllowedOrigins:    []string{"https://notes.example.org"},
		ThrottleRateLimit:     jsii.Number(5),
		ThrottleBurstLimit:    jsii.Number(10),
		LogRetention:          awslogs.RetentionDays_TWO_WEEKS,
		Architecture:          awslambda.Architecture_X86_64(),
		MemorySize:            jsii.Number(512),
		Timeout:               20 * time.Second,
		Tracing:               awslambda.Tracing_ACTIVE,
		ApplicationLogLevel:   awslambda.ApplicationLogLevel_WARN,
		AllowUserPasswordAuth: jsii.Bool(false),
	})
	history := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("History"), api.Function("GET /notes/{id}"), nil)
	added := api.AddRoute(awsapigatewayv2.HttpMethod_GET, "/notes/{id}/history", history)
	if len(added) != 1 {
		t.Fatalf("AddRoute returned %d routes; want 1", len(added))
	}
	awscdk.NewCfnOutput(stack, jsii.String("Url"), &awscdk.CfnOutputProps{Value: api.ApiUrl()})
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))

	auth := only(t, tpl, "AWS::ApiGatewayV2::Authorizer")
	var extra map[string]any
	for _, r := range ofType(tpl, "AWS::ApiGatewayV2::Route") {
		if r.props()["RouteKey"] == "GET /notes/{id}/history" {
			extra = r.props()
		}
	}
	if extra == nil {
		t.Fatal("no route GET /notes/{id}/history in the template")
	}
	gotAuth := map[string]any{"type": extra["AuthorizationType"], "authorizer": extra["AuthorizerId"], "scopes": extra["AuthorizationScopes"]}
	if diff := cmp.Diff(map[string]any{"type": "JWT", "authorizer": ref(auth.ID), "scopes": []any{scope}}, gotAuth); diff != "" {
		t.Errorf("added route authorization (-want +got):\n%s", diff)
	}

	pool := only(t, tpl, "AWS::Cognito::UserPool").props()
	client := only(t, tpl, "AWS::Cognito::UserPoolClient").props()
	fn := ofType(tpl, "AWS::Lambda::Function")[0].props()
	got := map[string]any{
		"pool.mfa": pool["MfaConfiguration"], "pool.mfas": pool["EnabledMfas"], "pool.addons": pool["UserPoolAddOns"],
		"pool.adminOnly":   pool["AdminCreateUserConfig"],
		"client.flows":     client["AllowedOAuthFlows"],
		"client.oauth":     client["AllowedOAuthFlowsUserPoolClient"],
		"client.scopes":    client["AllowedOAuthScopes"],
		"client.callbacks": client["CallbackURLs"],
		"client.logout":    client["LogoutURLs"],
		"client.auth":      client["ExplicitAuthFlows"],
		"client.access":    client["AccessTokenValidity"], "client.refresh": client["RefreshTokenValidity"],
		"cors":      only(t, tpl, "AWS::ApiGatewayV2::Api").props()["CorsConfiguration"].(map[string]any)["AllowOrigins"],
		"throttle":  only(t, tpl, "AWS::ApiGatewayV2::Stage").props()["DefaultRouteSettings"],
		"fn.arch":   fn["Architectures"],
		"fn.memory": fn["MemorySize"], "fn.timeout": fn["Timeout"], "fn.tracing": fn["TracingConfig"],
		"fn.level":  fn["LoggingConfig"].(map[string]any)["ApplicationLogLevel"],
		"retention": ofType(tpl, "AWS::Logs::LogGroup")[0].props()["RetentionInDays"],
	}
	want := map[string]any{
		"pool.mfa": "ON", "pool.mfas": []any{"SOFTWARE_TOKEN_MFA"}, "pool.addons": map[string]any{"AdvancedSecurityMode": "AUDIT"},
		"pool.adminOnly":   map[string]any{"AllowAdminCreateUserOnly": true},
		"client.flows":     []any{"code"},
		"client.oauth":     true,
		"client.scopes":    []any{"openid", "email", "aws.cognito.signin.user.admin"},
		"client.callbacks": []any{"https://notes.example.org/callback"},
		"client.logout":    []any{"https://notes.example.org/"},
		"client.auth":      []any{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"client.access":    15.0, "client.refresh": 10080.0,
		"cors":      []any{"https://notes.example.org"},
		"throttle":  map[string]any{"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 10.0},
		"fn.arch":   []any{"x86_64"},
		"fn.memory": 512.0, "fn.timeout": 20.0, "fn.tracing": map[string]any{"Mode": "Active"},
		"fn.level":  "WARN",
		"retention": 14.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom props in the template (-want +got):\n%s", diff)
	}
}

func TestAccessorsExposeWhatTheConstructMade(t *testing.T) {
	stack := newStack(t, "Accessors")
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil)
	var keys []string
	for k, fn := range api.Functions() {
		keys = append(keys, k)
		if fn != api.Function(k) {
			t.Errorf("Functions()[%q] and Function(%q) differ", k, k)
		}
	}
	if diff := cmp.Diff([]string{"DELETE /notes/{id}", "GET /notes", "GET /notes/{id}", "POST /notes", "PUT /notes/{id}"}, sorted(keys)); diff != "" {
		t.Errorf("Functions() keys (-want +got):\n%s", diff)
	}
	if api.Function("PATCH /notes") != nil {
		t.Error("Function(unknown route) is not nil")
	}
	delete(api.Functions(), "POST /notes")
	if api.Function("POST /notes") == nil {
		t.Error("deleting from the Functions() map changed the construct")
	}
	for name, v := range map[string]any{"UserPool": api.UserPool(), "UserPoolClient": api.UserPoolClient(), "HttpApi": api.HttpApi(),
		"Authorizer": api.Authorizer(), "Table": api.Table(), "Stage": api.Stage(), "AccessLogGroup": api.AccessLogGroup(), "ApiUrl": api.ApiUrl()} {
		if v == nil {
			t.Errorf("%s() is nil", name)
		}
	}
	if got := *api.Node().Id(); got != "Notes" {
		t.Errorf("construct id = %q; want Notes", got)
	}
}

func TestAddRouteRejectsMisuse(t *testing.T) {
	stack := newStack(t, "BadRoute")
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil)
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("X"), api.Function("GET /notes"), nil)
	tests := []struct {
		name        string
		method      awsapigatewayv2.HttpMethod
		path        string
		integration awsapigatewayv2.HttpRouteIntegration
	}{
		{"relative path", awsapigatewayv2.HttpMethod_GET, "notes/x", integration},
		{"no method", "", "/notes/x", integration},
		{"no integration", awsapigatewayv2.HttpMethod_GET, "/notes/x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := panicMessage(func() { api.AddRoute(tt.method, tt.path, tt.integration) })
			if !strings.HasPrefix(msg, "notesapi: AddRoute") || !strings.Contains(msg, `want an HTTP method, a path starting with "/" and an integration`) {
				t.Fatalf("AddRoute(%q, %q, %v) panicked with %q; want the AddRoute usage error", tt.method, tt.path, tt.integration, msg)
			}
		})
	}
	if n := len(ofType(toMap(t, assertions.Template_FromStack(stack, nil)), "AWS::ApiGatewayV2::Route")); n != 5 {
		t.Errorf("%d routes after the refused AddRoute calls; want the 5 notes routes", n)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
