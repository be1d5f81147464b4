package test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const scope = "aws.cognito.signin.user.admin"

// routeTable is the contract of ARCHITECTURE.md: route → Go package, and the only DynamoDB actions it may call
// (as the policy lists them). Update and delete read the note after a refused conditional write to tell 404 from
// 412.
var routeTable = map[string]struct {
	pkg    string
	action any
}{
	"POST /notes":        {"github.com/authnotes/authnotes/lambda/createnote", "dynamodb:PutItem"},
	"GET /notes":         {"github.com/authnotes/authnotes/lambda/listnotes", "dynamodb:Query"},
	"GET /notes/{id}":    {"github.com/authnotes/authnotes/lambda/getnote", "dynamodb:GetItem"},
	"PUT /notes/{id}":    {"github.com/authnotes/authnotes/lambda/updatenote", []any{"dynamodb:GetItem", "dynamodb:UpdateItem"}},
	"DELETE /notes/{id}": {"github.com/authnotes/authnotes/lambda/deletenote", []any{"dynamodb:DeleteItem", "dynamodb:GetItem"}},
}

func TestAuthorizerBoundToThisPoolAndClient(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		pool := only(t, s.json, "AWS::Cognito::UserPool")
		client := only(t, s.json, "AWS::Cognito::UserPoolClient") // a hidden second client would make this fail
		auth := only(t, s.json, "AWS::ApiGatewayV2::Authorizer")
		want := map[string]any{
			"Audience": []any{ref(client.ID)},
			"Issuer":   map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp." + testRegion + ".amazonaws.com/", ref(pool.ID)}}},
		}
		if diff := cmp.Diff(want, auth.props()["JwtConfiguration"]); diff != "" {
			t.Errorf("authorizer JwtConfiguration (-want +got):\n%s", diff)
		}
		if got := auth.props()["AuthorizerType"]; got != "JWT" {
			t.Errorf("AuthorizerType = %v; want JWT", got)
		}
	})
}

func TestEveryRouteRequiresAuthorizerAndScope(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		auth := only(t, s.json, "AWS::ApiGatewayV2::Authorizer")
		var keys []string
		for _, r := range ofType(s.json, "AWS::ApiGatewayV2::Route") {
			p := r.props()
			keys = append(keys, p["RouteKey"].(string))
			got := map[string]any{"type": p["AuthorizationType"], "authorizer": p["AuthorizerId"], "scopes": p["AuthorizationScopes"]}
			want := map[string]any{"type": "JWT", "authorizer": ref(auth.ID), "scopes": []any{scope}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("route %s authorization (-want +got):\n%s", p["RouteKey"], diff)
			}
		}
		sort.Strings(keys)
		want := []string{"DELETE /notes/{id}", "GET /notes", "GET /notes/{id}", "POST /notes", "PUT /notes/{id}"}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("route keys (-want +got):\n%s", diff)
		}
	})
}

// customResourceHandlers are the functions CloudFormation custom resources call (their ServiceToken): CDK's
// BucketDeployment and S3 auto-delete handlers, which serve no route.
func customResourceHandlers(tpl map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, v := range tpl["Resources"].(map[string]any) {
		props, _ := v.(map[string]any)["Properties"].(map[string]any)
		token, _ := props["ServiceToken"].(map[string]any)
		if att, ok := token["Fn::GetAtt"].([]any); ok {
			out[att[0].(string)] = true
		}
	}
	return out
}

// functionsByRoute maps each Lambda function's authnotes:route metadata to the function; every function but the
// custom resource handlers must have one.
func functionsByRoute(t *testing.T, tpl map[string]any) map[string]resource {
	t.Helper()
	out := map[string]resource{}
	handlers := customResourceHandlers(tpl)
	for _, fn := range ofType(tpl, "AWS::Lambda::Function") {
		if handlers[fn.ID] {
			continue
		}
		md, _ := fn.Body["Metadata"].(map[string]any)
		route, _ := md["authnotes:route"].(string)
		if route == "" {
			t.Errorf("function %s has no authnotes:route metadata", fn.ID)
			continue
		}
		out[route] = fn
	}
	return out
}

func TestFunctionsCarryGoPackageAndRouteMetadata(t *testing.T) {
	s := stage(t, "dev")
	got := map[string]string{}
	for route, fn := range functionsByRoute(t, s.json) {
		got[route] = fn.Body["Metadata"].(map[string]any)["authnotes:goPackage"].(string)
	}
	want := map[string]string{}
	for route, r := range routeTable {
		want[route] = r.pkg
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route → goPackage metadata (-want +got):\n%s", diff)
	}
}

func TestFunctionRuntimeArchitectureAndSizing(t *testing.T) {
	s := stage(t, "dev")
	for route, fn := range functionsByRoute(t, s.json) {
		p := fn.props()
		got := map[string]any{"Runtime": p["Runtime"], "Architectures": p["Architectures"], "Handler": p["Handler"],
			"MemorySize": p["MemorySize"], "Timeout": p["Timeout"]}
		want := map[string]any{"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"MemorySize": 256.0, "Timeout": 10.0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", route, diff)
		}
	}
}

func TestFunctionsGetTableNameAndJSONLoggingToOwnLogGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		table := only(t, s.json, "AWS::DynamoDB::GlobalTable")
		wantLevel := map[string]string{"dev": "DEBUG", "staging": "INFO", "prod": "INFO"}[s.cfg.Name]
		seen := map[any]string{}
		for route, fn := range functionsByRoute(t, s.json) {
			p := fn.props()
			if diff := cmp.Diff(map[string]any{"TABLE_NAME": ref(table.ID)}, p["Environment"].(map[string]any)["Variables"]); diff != "" {
				t.Errorf("%s environment (-want +got):\n%s", route, diff)
			}
			lc := p["LoggingConfig"].(map[string]any)
			if lc["LogFormat"] != "JSON" || lc["ApplicationLogLevel"] != wantLevel {
				t.Errorf("%s LoggingConfig = %v; want JSON format, application level %s", route, lc, wantLevel)
			}
			lg, _ := json.Marshal(lc["LogGroup"])
			if other, dup := seen[string(lg)]; dup {
				t.Errorf("%s and %s share log group %s; want one per function", route, other, lg)
			}
			seen[string(lg)] = route
		}
	})
}

// policyStatements returns the statements of every IAM policy attached to the role of fn, keyed by action.
func roleOf(t *testing.T, tpl map[string]any, fn resource) (role resource, statements []map[string]any) {
	t.Helper()
	roleRef := fn.props()["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	for _, r := range ofType(tpl, "AWS::IAM::Role") {
		if r.ID == roleRef {
			role = r
		}
	}
	for _, pol := range ofType(tpl, "AWS::IAM::Policy") {
		for _, rr := range pol.props()["Roles"].([]any) {
			if cmp.Equal(rr, ref(roleRef)) {
				for _, st := range pol.props()["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					statements = append(statements, st.(map[string]any))
				}
			}
		}
	}
	return role, statements
}

func TestFunctionIAMIsLeastPrivilege(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		table := only(t, s.json, "AWS::DynamoDB::GlobalTable")
		tracing := s.cfg.Name != "dev"
		for route, fn := range functionsByRoute(t, s.json) {
			role, statements := roleOf(t, s.json, fn)
			// Only the trust policy: no managed policies, no inline Policies, no permissions boundary.
			wantRole := map[string]any{"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}}}}}
			gotRole := map[string]any{}
			for k, v := range role.props() {
				if k != "Description" && k != "Tags" {
					gotRole[k] = v
				}
			}
			if diff := cmp.Diff(wantRole, gotRole); diff != "" {
				t.Errorf("%s role (-want +got):\n%s", route, diff)
			}
			want := []any{
				map[string]any{"Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Effect": "Allow",
					"Resource": getAtt(fn.props()["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string), "Arn")},
				map[string]any{"Action": routeTable[route].action, "Effect": "Allow", "Resource": getAtt(table.ID, "Arn")},
			}
			if tracing {
				want = append(want, map[string]any{"Action": []any{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}, "Effect": "Allow", "Resource": "*"})
			}
			got := make([]any, len(statements))
			for i, st := range statements {
				got[i] = st
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s policy statements (-want +got):\n%s", route, diff)
			}
		}
		for _, pol := range ofType(s.json, "AWS::IAM::Policy") {
			if roles := pol.props()["Roles"].([]any); len(roles) != 1 {
				t.Errorf("%s is attached to roles %v; want exactly one function's role", pol.ID, roles)
			}
		}
		for _, typ := range []string{"AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group"} {
			if rs := ofType(s.json, typ); len(rs) != 0 {
				t.Errorf("%d resources of type %s; want none", len(rs), typ)
			}
		}
	})
}

func TestTableKeysBillingEncryptionAndPITR(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		p := only(t, s.json, "AWS::DynamoDB::GlobalTable").props()
		got := map[string]any{"keys": p["KeySchema"], "attrs": p["AttributeDefinitions"], "billing": p["BillingMode"],
			"sse": p["SSESpecification"], "pitr": p["Replicas"].([]any)[0].(map[string]any)["PointInTimeRecoverySpecification"]}
		want := map[string]any{
			"keys":    []any{map[string]any{"AttributeName": "userId", "KeyType": "HASH"}, map[string]any{"AttributeName": "noteId", "KeyType": "RANGE"}},
			"attrs":   []any{map[string]any{"AttributeName": "userId", "AttributeType": "S"}, map[string]any{"AttributeName": "noteId", "AttributeType": "S"}},
			"billing": "PAY_PER_REQUEST",
			"sse":     map[string]any{"SSEEnabled": true, "SSEType": "KMS"},
			"pitr":    map[string]any{"PointInTimeRecoveryEnabled": true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})
}

// TestStatefulResourcesProtection: prod and staging retain and protect the pool and the table (and retain the log
// groups); dev destroys them.
func TestStatefulResourcesProtection(t *testing.T) {
	tests := []struct {
		stage, policy string
		protected     bool
	}{
		{"dev", "Delete", false},
		{"staging", "Retain", true},
		{"prod", "Retain", true},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			s := stage(t, tt.stage)
			pool := only(t, s.json, "AWS::Cognito::UserPool")
			table := only(t, s.json, "AWS::DynamoDB::GlobalTable")
			wantPool := map[bool]any{true: "ACTIVE", false: "INACTIVE"}[tt.protected]
			got := map[string]any{
				"pool.DeletionPolicy": pool.Body["DeletionPolicy"], "pool.UpdateReplacePolicy": pool.Body["UpdateReplacePolicy"],
				"pool.DeletionProtection": pool.props()["DeletionProtection"],
				"table.DeletionPolicy":    table.Body["DeletionPolicy"], "table.UpdateReplacePolicy": table.Body["UpdateReplacePolicy"],
				"table.DeletionProtectionEnabled": table.props()["Replicas"].([]any)[0].(map[string]any)["DeletionProtectionEnabled"],
			}
			want := map[string]any{
				"pool.DeletionPolicy": tt.policy, "pool.UpdateReplacePolicy": tt.policy, "pool.DeletionProtection": wantPool,
				"table.DeletionPolicy": tt.policy, "table.UpdateReplacePolicy": tt.policy, "table.DeletionProtectionEnabled": tt.protected,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, lg := range ofType(s.json, "AWS::Logs::LogGroup") {
				if lg.Body["DeletionPolicy"] != tt.policy || lg.Body["UpdateReplacePolicy"] != tt.policy {
					t.Errorf("log group %s DeletionPolicy %v UpdateReplacePolicy %v; want %s", lg.ID, lg.Body["DeletionPolicy"], lg.Body["UpdateReplacePolicy"], tt.policy)
				}
			}
		})
	}
}

func TestTerminationProtectionOnlyInProd(t *testing.T) {
	for _, name := range stageNames {
		if got, want := *stage(t, name).stack.TerminationProtection(), name == "prod"; got != want {
			t.Errorf("%s TerminationProtection = %v; want %v", name, got, want)
		}
	}
}

func TestTracingPerStage(t *testing.T) {
	want := map[string]any{"dev": nil, "staging": map[string]any{"Mode": "Active"}, "prod": map[string]any{"Mode": "Active"}}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for route, fn := range functionsByRoute(t, s.json) {
			if diff := cmp.Diff(want[s.cfg.Name], fn.props()["TracingConfig"]); diff != "" {
				t.Errorf("%s TracingConfig (-want +got):\n%s", route, diff)
			}
		}
	})
}

func TestThrottlingPerStage(t *testing.T) {
	want := map[string]map[string]any{
		"dev":     {"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200.0},
		"staging": {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100.0},
		"prod":    {"ThrottlingRateLimit": 25.0, "ThrottlingBurstLimit": 50.0},
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		st := only(t, s.json, "AWS::ApiGatewayV2::Stage").props()
		if st["StageName"] != "$default" || st["AutoDeploy"] != true {
			t.Errorf("stage %v autoDeploy %v; want $default, true", st["StageName"], st["AutoDeploy"])
		}
		if diff := cmp.Diff(want[s.cfg.Name], st["DefaultRouteSettings"]); diff != "" {
			t.Errorf("throttling (-want +got):\n%s", diff)
		}
	})
}

func TestAccessLogsAreJSONToRetainedLogGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		settings := only(t, s.json, "AWS::ApiGatewayV2::Stage").props()["AccessLogSettings"].(map[string]any)
		var format map[string]string
		if err := json.Unmarshal([]byte(settings["Format"].(string)), &format); err != nil {
			t.Fatalf("access log format is not JSON: %v: %s", err, settings["Format"])
		}
		want := map[string]string{
			"requestId": "$context.requestId", "requestTime": "$context.requestTime", "ip": "$context.identity.sourceIp",
			"userAgent": "$context.identity.userAgent", "httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey",
			"path": "$context.path", "protocol": "$context.protocol", "status": "$context.status",
			"responseLength": "$context.responseLength", "responseLatency": "$context.responseLatency",
			"sub": "$context.authorizer.claims.sub", "authorizerError": "$context.authorizer.error", "error": "$context.error.message",
			"integrationError": "$context.integrationErrorMessage", "integrationStatus": "$context.integrationStatus",
			"integrationLatency": "$context.integrationLatency",
		}
		if diff := cmp.Diff(want, format); diff != "" {
			t.Errorf("access log fields (-want +got):\n%s", diff)
		}
		dest := settings["DestinationArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		lg := s.json["Resources"].(map[string]any)[dest].(map[string]any)
		if lg["Type"] != "AWS::Logs::LogGroup" || lg["Properties"].(map[string]any)["RetentionInDays"] == nil {
			t.Errorf("access log destination %s = %v; want a log group with explicit retention", dest, lg)
		}
	})
}

func TestLogRetentionPerStage(t *testing.T) {
	want := map[string]float64{"dev": 7, "staging": 30, "prod": 365}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		groups := ofType(s.json, "AWS::Logs::LogGroup")
		if len(groups) != 7 {
			t.Errorf("%d log groups; want 7 (API access logs, one per function, the web app's deployment)", len(groups))
		}
		for _, g := range groups {
			if got := g.props()["RetentionInDays"]; got != want[s.cfg.Name] {
				t.Errorf("%s RetentionInDays = %v; want %v", g.ID, got, want[s.cfg.Name])
			}
		}
	})
}

func TestCorsOrigins(t *testing.T) {
	devCors := only(t, stage(t, "dev").json, "AWS::ApiGatewayV2::Api").props()["CorsConfiguration"].(map[string]any)
	want := map[string]any{
		"AllowOrigins":  []any{"http://localhost:5173"},
		"AllowMethods":  []any{"GET", "POST", "PUT", "DELETE", "OPTIONS"},
		"AllowHeaders":  []any{"authorization", "content-type", "if-match", "if-none-match"},
		"ExposeHeaders": []any{"etag", "location"},
		"MaxAge":        3600.0,
	}
	if diff := cmp.Diff(want, devCors); diff != "" {
		t.Errorf("dev CORS (-want +got):\n%s", diff)
	}
	for _, name := range []string{"staging", "prod"} {
		if c, ok := only(t, stage(t, name).json, "AWS::ApiGatewayV2::Api").props()["CorsConfiguration"]; ok {
			t.Errorf("%s CorsConfiguration = %v; want none (no browser origin configured)", name, c)
		}
	}
}

func TestAppClientFlowsAndTokens(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		p := only(t, s.json, "AWS::Cognito::UserPoolClient").props()
		flows := []any{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
		if s.cfg.Name == "dev" {
			flows = []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
		}
		got := map[string]any{}
		// OAuth off: none of the OAuth keys (no CDK https://example.com callback) may appear.
		for _, k := range []string{"ExplicitAuthFlows", "GenerateSecret", "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthFlows",
			"AllowedOAuthScopes", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI", "SupportedIdentityProviders", "PreventUserExistenceErrors", "EnableTokenRevocation", "AccessTokenValidity", "IdTokenValidity",
			"RefreshTokenValidity", "TokenValidityUnits"} {
			if v, ok := p[k]; ok {
				got[k] = v
			}
		}
		want := map[string]any{
			"ExplicitAuthFlows":               flows,
			"GenerateSecret":                  false,
			"AllowedOAuthFlowsUserPoolClient": false,
			"SupportedIdentityProviders":      []any{"COGNITO"},
			"PreventUserExistenceErrors":      "ENABLED",
			"EnableTokenRevocation":           true,
			"AccessTokenValidity":             60.0,
			"IdTokenValidity":                 60.0,
			"RefreshTokenValidity":            43200.0,
			"TokenValidityUnits":              map[string]any{"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("app client (-want +got):\n%s", diff)
		}
	})
}

func TestUserPoolSignInVerificationAndPasswordPolicy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		p := only(t, s.json, "AWS::Cognito::UserPool").props()
		got := map[string]any{}
		for _, k := range []string{"UsernameAttributes", "UsernameConfiguration", "AutoVerifiedAttributes", "AdminCreateUserConfig",
			"VerificationMessageTemplate", "AccountRecoverySetting"} {
			got[k] = p[k]
		}
		got["PasswordPolicy"] = p["Policies"].(map[string]any)["PasswordPolicy"]
		want := map[string]any{
			"UsernameAttributes":     []any{"email"},
			"UsernameConfiguration":  map[string]any{"CaseSensitive": false},
			"AutoVerifiedAttributes": []any{"email"},
			"AdminCreateUserConfig":  map[string]any{"AllowAdminCreateUserOnly": false},
			"VerificationMessageTemplate": map[string]any{"DefaultEmailOption": "CONFIRM_WITH_CODE",
				"EmailMessage": "Your authnotes verification code is {####}", "EmailSubject": "Your authnotes verification code",
				"SmsMessage": "The verification code to your new account is {####}"},
			"AccountRecoverySetting": map[string]any{"RecoveryMechanisms": []any{map[string]any{"Name": "verified_email", "Priority": 1.0}}},
			"PasswordPolicy": map[string]any{"MinimumLength": 12.0, "RequireLowercase": true, "RequireNumbers": true,
				"RequireSymbols": true, "RequireUppercase": true, "TemporaryPasswordValidityDays": 3.0},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("user pool (-want +got):\n%s", diff)
		}
	})
}

func TestUserPoolMfaAndFeaturePlanPerStage(t *testing.T) {
	want := map[string]map[string]any{
		"dev":     {"MfaConfiguration": "OFF", "UserPoolTier": "ESSENTIALS"},
		"staging": {"MfaConfiguration": "OPTIONAL", "EnabledMfas": []any{"SOFTWARE_TOKEN_MFA"}, "UserPoolTier": "ESSENTIALS"},
		"prod": {"MfaConfiguration": "OPTIONAL", "EnabledMfas": []any{"SOFTWARE_TOKEN_MFA"}, "UserPoolTier": "PLUS",
			"UserPoolAddOns": map[string]any{"AdvancedSecurityMode": "ENFORCED"}},
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		p := only(t, s.json, "AWS::Cognito::UserPool").props()
		got := map[string]any{}
		for _, k := range []string{"MfaConfiguration", "EnabledMfas", "UserPoolTier", "UserPoolAddOns"} {
			if v, ok := p[k]; ok {
				got[k] = v
			}
		}
		if diff := cmp.Diff(want[s.cfg.Name], got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestOutputs(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		outputs := s.json["Outputs"].(map[string]any)
		var keys []string
		for k := range outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if diff := cmp.Diff([]string{"ApiUrl", "Region", "TableName", "UserPoolClientId", "UserPoolId", "WebUrl"}, keys); diff != "" {
			t.Fatalf("output keys (-want +got):\n%s", diff)
		}
		value := func(k string) any { return outputs[k].(map[string]any)["Value"] }
		got := map[string]any{"UserPoolId": value("UserPoolId"), "UserPoolClientId": value("UserPoolClientId"),
			"TableName": value("TableName"), "Region": value("Region")}
		want := map[string]any{
			"UserPoolId":       ref(only(t, s.json, "AWS::Cognito::UserPool").ID),
			"UserPoolClientId": ref(only(t, s.json, "AWS::Cognito::UserPoolClient").ID),
			"TableName":        ref(only(t, s.json, "AWS::DynamoDB::GlobalTable").ID),
			"Region":           ref("AWS::Region"),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outputs (-want +got):\n%s", diff)
		}
		api := only(t, s.json, "AWS::ApiGatewayV2::Api")
		wantURL := map[string]any{"Fn::Join": []any{"", []any{"https://", ref(api.ID), ".execute-api." + testRegion + ".", ref("AWS::URLSuffix"), "/"}}}
		if diff := cmp.Diff(wantURL, value("ApiUrl")); diff != "" {
			t.Errorf("ApiUrl (-want +got):\n%s", diff)
		}
	})
}

func TestEveryResourceTaggedWithProjectAndStage(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		if got := *(*s.stack.Tags().TagValues())["stage"]; got != s.cfg.Name {
			t.Errorf("stack tag stage = %q; want %q", got, s.cfg.Name)
		}
		for _, typ := range []string{"AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::ApiGatewayV2::Api",
			"AWS::ApiGatewayV2::Stage", "AWS::Cognito::UserPool", "AWS::DynamoDB::GlobalTable"} {
			for _, r := range ofType(s.json, typ) {
				if strings.HasPrefix(r.ID, "CustomS3AutoDeleteObjectsCustomResourceProvider") {
					// CDK's auto-delete provider (dev) is a raw CfnResource, which Tags.Of cannot reach.
					continue
				}
				raw := r.props()["Tags"]
				switch typ {
				case "AWS::Cognito::UserPool":
					raw = r.props()["UserPoolTags"]
				case "AWS::DynamoDB::GlobalTable":
					raw = r.props()["Replicas"].([]any)[0].(map[string]any)["Tags"]
				}
				b, _ := json.Marshal(raw)
				var tags []map[string]string
				var tagMap map[string]string
				got := map[string]string{}
				if json.Unmarshal(b, &tags) == nil {
					for _, tag := range tags {
						got[tag["Key"]] = tag["Value"]
					}
				} else if json.Unmarshal(b, &tagMap) == nil {
					got = tagMap
				}
				if got["project"] != "authnotes" || got["stage"] != s.cfg.Name {
					t.Errorf("%s tags = %v; want project=authnotes stage=%s", r.ID, got, s.cfg.Name)
				}
			}
		}
	})
}

// TestStatefulLogicalIDsPinned: a refactor that renames these would make CloudFormation replace the pool (all
// users lost), the client (every app reconfigured) or the table (all notes lost).
func TestStatefulLogicalIDsPinned(t *testing.T) {
	want := map[string]string{
		"AWS::Cognito::UserPool":       "NotesApiUserPool928FBE85",
		"AWS::Cognito::UserPoolClient": "NotesApiUserPoolAppClientCE41E21C",
		"AWS::DynamoDB::GlobalTable":   "NotesApiTable57D6663F",
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for typ, id := range want {
			if got := only(t, s.json, typ).ID; got != id {
				t.Errorf("%s logical ID = %s; want %s", typ, got, id)
			}
		}
	})
}

// TestEachRouteInvokesItsOwnFunction: every route targets its own AWS_PROXY integration (payload 2.0) of this API,
// which invokes the function built from the route's package, and only this API may invoke that function.
func TestEachRouteInvokesItsOwnFunction(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		api := only(t, s.json, "AWS::ApiGatewayV2::Api")
		res := s.json["Resources"].(map[string]any)
		fns := functionsByRoute(t, s.json)
		for _, r := range ofType(s.json, "AWS::ApiGatewayV2::Route") {
			key := r.props()["RouteKey"].(string)
			fn, ok := fns[key]
			if !ok {
				t.Errorf("route %s has no function with that authnotes:route", key)
				continue
			}
			target, _ := r.props()["Target"].(map[string]any)["Fn::Join"].([]any)
			integID, _ := target[1].([]any)[1].(map[string]any)["Ref"].(string)
			if target[1].([]any)[0] != "integrations/" || integID == "" {
				t.Errorf("route %s Target = %v; want integrations/<integration>", key, r.props()["Target"])
				continue
			}
			integ := res[integID].(map[string]any)
			got := map[string]any{"Type": integ["Type"], "Properties": integ["Properties"]}
			want := map[string]any{"Type": "AWS::ApiGatewayV2::Integration", "Properties": map[string]any{
				"ApiId": ref(api.ID), "IntegrationType": "AWS_PROXY", "IntegrationUri": getAtt(fn.ID, "Arn"), "PayloadFormatVersion": "2.0"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("route %s integration (-want +got):\n%s", key, diff)
			}
		}
		for _, perm := range ofType(s.json, "AWS::Lambda::Permission") {
			p := perm.props()
			source, _ := json.Marshal(p["SourceArn"])
			wantPrefix := `{"Fn::Join":["",["arn:aws:execute-api:` + testRegion + `:` + testAccount + `:",{"Ref":"` + api.ID + `"},"/*/*/notes`
			if p["Principal"] != "apigateway.amazonaws.com" || p["Action"] != "lambda:InvokeFunction" || !strings.HasPrefix(string(source), wantPrefix) {
				t.Errorf("%s lets %v call %v from %s; want only this API to invoke", perm.ID, p["Principal"], p["Action"], source)
			}
		}
		if n := len(ofType(s.json, "AWS::Lambda::Permission")); n != len(routeTable) {
			t.Errorf("%d Lambda permissions; want one per route (%d)", n, len(routeTable))
		}
	})
}
