package cognito

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/local/cfn"
)

func TestSpecsFromStackReadsTheCDKTemplate(t *testing.T) {
	specs := fixtureSpecs(t)
	want := []PoolSpec{{
		LogicalID: poolLogicalID,
		Config: PoolConfig{
			UsernameAttributes: []string{"email"}, CaseSensitive: false, AutoVerifiedAttributes: []string{"email"}, MFA: "OFF",
			PasswordPolicy: PasswordPolicy{MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
				RequireSymbols: true, TemporaryPasswordValidityDays: 3},
			RecoveryMechanisms: []RecoveryOption{{"verified_email", 1}},
			RequiredAttributes: []string{"email"},
			VerificationEmail:  "Your authnotes verification code is {####}",
			VerificationSMS:    "The verification code to your new account is {####}",
			InviteEmail:        defaultInviteMessage, InviteSMS: defaultInviteMessage,
		},
		Clients: []ClientSpec{{LogicalID: clientLogicalID, Config: ClientConfig{
			ExplicitAuthFlows:   []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			AccessTokenValidity: 60, IDTokenValidity: 60, RefreshTokenValidity: 43200,
			AccessTokenUnit: "minutes", IDTokenUnit: "minutes", RefreshTokenUnit: "minutes",
			PreventUserExistenceErrors: "ENABLED", EnableTokenRevocation: true, AuthSessionValidity: 3,
		}}},
	}}
	if diff := cmp.Diff(want, specs); diff != "" {
		t.Errorf("SpecsFromStack() mismatch (-want +got):\n%s", diff)
	}
}

func TestConfigDefaults(t *testing.T) {
	pool, err := PoolConfigFromProperties(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	wantPool := PoolConfig{
		CaseSensitive: true, MFA: "OFF",
		PasswordPolicy: PasswordPolicy{MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
			RequireSymbols: true, TemporaryPasswordValidityDays: 7},
		RecoveryMechanisms: []RecoveryOption{{"verified_phone_number", 1}, {"verified_email", 2}},
		VerificationEmail:  defaultVerificationMessage, VerificationSMS: defaultVerificationMessage,
		InviteEmail: defaultInviteMessage, InviteSMS: defaultInviteMessage,
	}
	if diff := cmp.Diff(wantPool, pool); diff != "" {
		t.Errorf("PoolConfigFromProperties({}) mismatch (-want +got):\n%s", diff)
	}
	client, err := ClientConfigFromProperties(map[string]any{"AccessTokenValidity": "2", "EnableTokenRevocation": "false"})
	if err != nil {
		t.Fatal(err)
	}
	wantClient := ClientConfig{
		ExplicitAuthFlows:   []string{"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		AccessTokenValidity: 2, IDTokenValidity: 60, RefreshTokenValidity: 30,
		AccessTokenUnit: "hours", IDTokenUnit: "minutes", RefreshTokenUnit: "days",
		PreventUserExistenceErrors: "LEGACY", EnableTokenRevocation: false, AuthSessionValidity: 3,
	}
	if diff := cmp.Diff(wantClient, client); diff != "" {
		t.Errorf("ClientConfigFromProperties() mismatch (-want +got):\n%s", diff)
	}
	if got := client.AccessTTL().String(); got != "2h0m0s" {
		t.Errorf("AccessTTL() = %s; want 2h0m0s", got)
	}
}

// TestLegacyAuthFlows: a client with the old flow names (no ALLOW_ prefix) gets what Cognito gave such clients:
// the named flows plus SRP and refresh.
func TestLegacyAuthFlows(t *testing.T) {
	c, err := ClientConfigFromProperties(map[string]any{"ExplicitAuthFlows": []any{"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	if diff := cmp.Diff(want, c.ExplicitAuthFlows); diff != "" {
		t.Errorf("ExplicitAuthFlows (-want +got):\n%s", diff)
	}
}

// TestCustomAttributesComeFromTheSchema: the schema's attributes that are not standard ones are the pool's custom
// attributes, named with the custom: prefix as the API names them (CloudFormation names them without it).
func TestCustomAttributesComeFromTheSchema(t *testing.T) {
	pool, err := PoolConfigFromProperties(map[string]any{"Schema": []any{
		map[string]any{"Name": "email", "Required": true},
		map[string]any{"Name": "team", "AttributeDataType": "String", "Mutable": true},
		map[string]any{"Name": "custom:level", "AttributeDataType": "Number"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"custom:team", "custom:level"}, pool.CustomAttributes); diff != "" {
		t.Errorf("CustomAttributes (-want +got):\n%s", diff)
	}
}

func TestConfigErrors(t *testing.T) {
	pool := []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"unknown MFA setting", map[string]any{"MfaConfiguration": "SOMETIMES"}, "MfaConfiguration"},
		{"MFA without TOTP", map[string]any{"MfaConfiguration": "ON"}, "EnabledMfas"},
		{"both username and alias attributes", map[string]any{"UsernameAttributes": []any{"email"}, "AliasAttributes": []any{"email"}}, "AliasAttributes"},
		{"minimum length not a number", map[string]any{"Policies": map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": "long"}}}, "MinimumLength"},
		{"minimum length too small", map[string]any{"Policies": map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": 2.0}}}, "MinimumLength"},
		{"unknown recovery", map[string]any{"AccountRecoverySetting": map[string]any{"RecoveryMechanisms": []any{map[string]any{"Name": "carrier_pigeon", "Priority": 1.0}}}}, "carrier_pigeon"},
		{"username attribute list is a string", map[string]any{"UsernameAttributes": "email"}, "UsernameAttributes"},
	}
	for _, tc := range pool {
		t.Run("pool/"+tc.name, func(t *testing.T) {
			_, err := PoolConfigFromProperties(tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PoolConfigFromProperties() error = %v; want one naming %s", err, tc.want)
			}
		})
	}
	client := []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"unknown flow", map[string]any{"ExplicitAuthFlows": []any{"ALLOW_MAGIC"}}, "ALLOW_MAGIC"},
		{"legacy and ALLOW_ flows mixed", map[string]any{"ExplicitAuthFlows": []any{"USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}}, "legacy values (USER_PASSWORD_AUTH)"},
		{"unknown unit", map[string]any{"TokenValidityUnits": map[string]any{"AccessToken": "fortnights"}}, "fortnights"},
		{"access token too long", map[string]any{"AccessTokenValidity": 2.0, "TokenValidityUnits": map[string]any{"AccessToken": "days"}}, "AccessTokenValidity"},
		{"refresh token too short", map[string]any{"RefreshTokenValidity": 10.0, "TokenValidityUnits": map[string]any{"RefreshToken": "minutes"}}, "RefreshTokenValidity"},
		{"prevent user existence errors", map[string]any{"PreventUserExistenceErrors": "YES"}, "PreventUserExistenceErrors"},
		{"boolean as word", map[string]any{"GenerateSecret": "maybe"}, "GenerateSecret"},
	}
	for _, tc := range client {
		t.Run("client/"+tc.name, func(t *testing.T) {
			_, err := ClientConfigFromProperties(tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ClientConfigFromProperties() error = %v; want one naming %s", err, tc.want)
			}
		})
	}
}

func TestSpecsFromStackErrors(t *testing.T) {
	tests := []struct {
		name      string
		resources string
		want      string
	}{
		{"client of an unknown pool", `{"P": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
			"C": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": "eu-west-1_literal"}}}`, "UserPoolId must be a Ref"},
		{"unresolvable property the emulator reads", `{"P": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": {"Ref": "Nowhere"}}}}`, "UserPoolName"},
		{"invalid property", `{"P": {"Type": "AWS::Cognito::UserPool", "Properties": {"MfaConfiguration": "MAYBE"}, "Metadata": {"aws:cdk:path": "S/Pool/Resource"}}}`, "S/Pool/Resource"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := cfn.ParseTemplate([]byte(`{"Resources": ` + tc.resources + `}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = SpecsFromStack(&cfn.Stack{Name: "S", Region: "eu-west-1", Template: tmpl})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SpecsFromStack() error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}
