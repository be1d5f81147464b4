package cfn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadDemo(t *testing.T) *Stack {
	t.Helper()
	a, err := LoadAssembly("testdata/assembly")
	if err != nil {
		t.Fatalf("LoadAssembly = %v", err)
	}
	s, err := a.Stack("Demo")
	if err != nil {
		t.Fatalf("Stack(Demo) = %v", err)
	}
	return s
}

func demoResolver(s *Stack) *Resolver {
	return &Resolver{
		Template:  s.Template,
		Region:    "us-east-1",
		Account:   "000000000000",
		StackName: s.Name,
		Refs:      map[string]string{"Pool": "us-east-1_abcDEF123", "Table": "Demo-Table"},
		Attrs:     map[string]map[string]string{"Table": {"Arn": "arn:aws:dynamodb:us-east-1:000000000000:table/Demo-Table"}},
	}
}

func TestLoadAssembly(t *testing.T) {
	a, err := LoadAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Demo"}, a.StackNames()); diff != "" {
		t.Errorf("StackNames() mismatch (-want +got):\n%s", diff)
	}
	s, err := a.Stack("Demo")
	if err != nil {
		t.Fatal(err)
	}
	if s.Account != "" || s.Region != "" {
		t.Errorf("environment-agnostic stack: Account, Region = %q, %q; want empty", s.Account, s.Region)
	}
	if got := len(s.Template.Resources); got != 3 {
		t.Errorf("resources = %d; want 3", got)
	}
	fn := s.Template.Resources["Fn"]
	if got := fn.Path(); got != "Demo/Api/Fn/Resource" {
		t.Errorf("Path() = %q; want Demo/Api/Fn/Resource", got)
	}
	if got := fn.MetadataString("authnotes:goPackage"); got != "example.com/fn" {
		t.Errorf("MetadataString(goPackage) = %q", got)
	}
	if diff := cmp.Diff([]string{"Table"}, fn.DependsOn); diff != "" {
		t.Errorf("DependsOn mismatch (-want +got):\n%s", diff)
	}
	if got := s.Template.OfType("AWS::Lambda::Function"); len(got) != 1 || got[0].LogicalID != "Fn" {
		t.Errorf("OfType(Function) = %v", got)
	}
}

func TestLoadAssemblyErrors(t *testing.T) {
	_, err := LoadAssembly(t.TempDir())
	if !errors.Is(err, ErrNoAssembly) || !strings.Contains(err.Error(), "make synth") {
		t.Errorf("LoadAssembly(empty dir) = %v; want ErrNoAssembly naming make synth", err)
	}
	a, err := LoadAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Stack("Nope"); err == nil || !strings.Contains(err.Error(), "Demo") {
		t.Errorf("Stack(Nope) = %v; want an error listing the stacks", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "manifest.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAssembly(bad); err == nil {
		t.Error("LoadAssembly(malformed manifest) = nil error")
	}
}

func TestAssetDir(t *testing.T) {
	s := loadDemo(t)
	dir, err := s.AssetDir(s.Template.Resources["Fn"].Properties["Code"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		t.Errorf("AssetDir = %s without bootstrap: %v", dir, err)
	}
	for _, code := range []any{
		"not an object",
		map[string]any{"ZipFile": "exports.handler = 1"},
		map[string]any{"S3Key": "missing.zip"},
	} {
		if _, err := s.AssetDir(code); err == nil {
			t.Errorf("AssetDir(%v) = nil error", code)
		}
	}
}

func TestProperties(t *testing.T) {
	s := loadDemo(t)
	got, err := demoResolver(s).Properties(s.Template.Resources["Fn"])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Code": map[string]any{
			"S3Bucket": "cdk-hnb659fds-assets-000000000000-us-east-1",
			"S3Key":    "abc123.zip",
		},
		"MemorySize": float64(256),
		"Environment": map[string]any{"Variables": map[string]any{
			"TABLE_NAME": "Demo-Table",
			"TABLE_ARN":  "arn:aws:dynamodb:us-east-1:000000000000:table/Demo-Table",
			"ISSUER":     "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abcDEF123",
			"POOL_NAME":  "abcDEF123",
			"SUB":        "us-east-1_abcDEF123-Demo-arn:aws:dynamodb:us-east-1:000000000000:table/Demo-Table-${Literal}",
			"MODE":       "dev",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Properties(Fn) mismatch (-want +got):\n%s", diff)
	}
}

func TestOutputs(t *testing.T) {
	s := loadDemo(t)
	got, err := demoResolver(s).Outputs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TableName": "Demo-Table",
		"Issuer":    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abcDEF123",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Outputs() mismatch (-want +got):\n%s", diff)
	}
}

func TestResolveConditionsAndParameters(t *testing.T) {
	s := loadDemo(t)
	rv := demoResolver(s)
	rv.Region = "eu-west-1"
	tests := []struct {
		in   any
		want any
	}{
		{map[string]any{"Fn::If": []any{"IsProd", "prod", "dev"}}, "prod"},
		{map[string]any{"Ref": "BootstrapVersion"}, "/cdk-bootstrap/hnb659fds/version"},
		{map[string]any{"Fn::Not": []any{map[string]any{"Condition": "IsProd"}}}, false},
		{map[string]any{"Fn::And": []any{true, map[string]any{"Condition": "IsProd"}}}, true},
		{map[string]any{"Fn::Or": []any{false, false}}, false},
		{map[string]any{"Ref": "AWS::Partition"}, "aws"},
		{map[string]any{"Fn::GetAtt": "Table.Arn"}, "arn:aws:dynamodb:us-east-1:000000000000:table/Demo-Table"},
		{[]any{"a", map[string]any{"Ref": "AWS::NoValue"}, "b"}, []any{"a", "b"}},
		{map[string]any{"Fn::Join": []any{",", []any{"x", float64(2), true}}}, "x,2,true"},
	}
	for _, tt := range tests {
		got, err := rv.Resolve(tt.in)
		if err != nil {
			t.Errorf("Resolve(%v) = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Resolve(%v) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestResolveErrorsNameTheResourceAndProperty(t *testing.T) {
	s := loadDemo(t)
	tests := []struct {
		name  string
		props map[string]any
		want  []string
	}{
		{"unknown intrinsic", map[string]any{"X": map[string]any{"Fn::ImportValue": "shared"}}, []string{"Demo/Api/Fn/Resource", "property X.Fn::ImportValue", "unsupported intrinsic function"}},
		{"resource without local value", map[string]any{"Env": map[string]any{"A": map[string]any{"Ref": "Fn"}}}, []string{"property Env.A.Ref", "Ref Fn", "no local value"}},
		{"missing resource", map[string]any{"A": map[string]any{"Ref": "Ghost"}}, []string{"Ref Ghost", "no such resource"}},
		{"missing attribute", map[string]any{"A": map[string]any{"Fn::GetAtt": []any{"Pool", "ProviderURL"}}}, []string{"Fn::GetAtt Pool.ProviderURL", "Demo/Api/UserPool/Resource"}},
		{"sub with unknown var", map[string]any{"A": map[string]any{"Fn::Sub": "${Ghost}"}}, []string{"Ref Ghost"}},
		{"select out of range", map[string]any{"A": map[string]any{"Fn::Select": []any{float64(5), []any{"a"}}}}, []string{"out of range"}},
		{"join of a map", map[string]any{"A": map[string]any{"Fn::Join": []any{"", "notalist"}}}, []string{"want a list"}},
		{"undefined condition", map[string]any{"A": map[string]any{"Fn::If": []any{"Nope", "a", "b"}}}, []string{"condition Nope is not defined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Template.Resources["Fn"]
			r.Properties = tt.props
			_, err := demoResolver(s).Properties(r)
			if err == nil {
				t.Fatalf("Properties(%v) = nil error", tt.props)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Properties(%v) = %q; want it to mention %q", tt.props, err, w)
				}
			}
		})
	}
	_, err := demoResolver(s).Resolve(map[string]any{"Fn::GetAZs": ""})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Resolve(Fn::GetAZs) = %v; want ErrUnsupported", err)
	}
}
