package twin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/authnotes/authnotes/local/cfn"
)

// writeAssembly writes a cloud assembly with one stack "S" whose functions use the given assets; an asset named in
// bundled gets a bootstrap file.
func writeAssembly(t *testing.T, functions map[string]map[string]any, assets []string, bundled map[string]bool) *cfn.Stack {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.json", map[string]any{"version": "48.0.0", "artifacts": map[string]any{
		"S.assets": map[string]any{"type": "cdk:asset-manifest", "properties": map[string]any{"file": "S.assets.json"}},
		"S": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
			"properties": map[string]any{"templateFile": "S.template.json"}, "dependencies": []string{"S.assets"}},
	}})
	files := map[string]any{}
	for _, a := range assets {
		files[a] = map[string]any{
			"source":       map[string]any{"path": "asset." + a, "packaging": "zip"},
			"destinations": map[string]any{"d": map[string]any{"bucketName": "b", "objectKey": a + ".zip"}},
		}
		if err := os.MkdirAll(filepath.Join(dir, "asset."+a), 0o755); err != nil {
			t.Fatal(err)
		}
		if bundled[a] {
			if err := os.WriteFile(filepath.Join(dir, "asset."+a, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("S.assets.json", map[string]any{"version": "48.0.0", "files": files, "dockerImages": map[string]any{}})
	write("S.template.json", map[string]any{"Resources": functions})
	asm, err := cfn.LoadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := asm.Stack("S")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestLocateBootstrap(t *testing.T) {
	host, other := "x86_64", "arm64"
	if runtime.GOARCH == "arm64" {
		host, other = other, host
	}
	fn := func(arch, asset string, pkg string) map[string]any {
		meta := map[string]any{"aws:cdk:path": "S/Fn/Resource"}
		if pkg != "" {
			meta[metaGoPackage] = pkg
		}
		return map[string]any{"Type": "AWS::Lambda::Function", "Metadata": meta, "Properties": map[string]any{
			"Architectures": []any{arch}, "Code": map[string]any{"S3Bucket": "b", "S3Key": asset + ".zip"},
		}}
	}
	tests := []struct {
		name      string
		fn        map[string]any
		wantAsset bool
		wantWhy   string
		wantErr   string
	}{
		{name: "host architecture, bundled", fn: fn(host, "bundled", "example.com/fn"), wantAsset: true},
		{name: "other architecture", fn: fn(other, "bundled", "example.com/fn"), wantWhy: "is built for " + other},
		{name: "not bundled", fn: fn(host, "source", "example.com/fn"), wantWhy: "has no bootstrap"},
		{name: "unknown asset", fn: fn(host, "missing", "example.com/fn"), wantWhy: "not in the stack's asset manifest"},
		{name: "other architecture without package", fn: fn(other, "bundled", ""), wantErr: "has no authnotes:goPackage metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := writeAssembly(t, map[string]map[string]any{"Fn": tt.fn}, []string{"bundled", "source"}, map[string]bool{"bundled": true})
			res := st.Template.Resources["Fn"]
			s := &functionSpec{res: res, props: res.Properties, goPackage: res.MetadataString(metaGoPackage)}
			err := s.locate(st)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("locate() = %v; want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.assetDir != ""; got != tt.wantAsset {
				t.Errorf("uses the asset = %v (%q); want %v", got, s.assetDir, tt.wantAsset)
			}
			if !strings.Contains(s.why, tt.wantWhy) || (tt.wantWhy == "") != (s.why == "") {
				t.Errorf("why = %q; want %q", s.why, tt.wantWhy)
			}
		})
	}
}
