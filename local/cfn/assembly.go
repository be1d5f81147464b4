// Package cfn reads what `cdk synth` wrote — the cloud assembly (manifest.json, stack templates, asset
// manifests) — and resolves CloudFormation intrinsic functions against local physical values. It is the one
// template reader of the local twin: every other part gets resources and resolved properties from here.
package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Assembly is a cloud assembly directory (usually cdk.out).
type Assembly struct {
	Dir       string
	artifacts map[string]artifact
}

type artifact struct {
	Type         string          `json:"type"`
	Environment  string          `json:"environment"`
	Properties   json.RawMessage `json:"properties"`
	Dependencies []string        `json:"dependencies"`
	DisplayName  string          `json:"displayName"`
}

type stackProperties struct {
	TemplateFile string `json:"templateFile"`
	StackName    string `json:"stackName"`
}

type assetManifestProperties struct {
	File string `json:"file"`
}

// ErrNoAssembly reports a directory without manifest.json: nothing was synthesized there yet.
var ErrNoAssembly = errors.New("no cloud assembly")

// LoadAssembly reads dir/manifest.json.
func LoadAssembly(dir string) (*Assembly, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s (run `make synth` first): %v", ErrNoAssembly, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read cloud assembly: %w", err)
	}
	var m struct {
		Artifacts map[string]artifact `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cloud assembly path: %w", err)
	}
	return &Assembly{Dir: abs, artifacts: m.Artifacts}, nil
}

// StackNames lists the stacks of the assembly, sorted.
func (a *Assembly) StackNames() []string {
	var names []string
	for id, art := range a.artifacts {
		if art.Type == "aws:cloudformation:stack" {
			names = append(names, id)
		}
	}
	sort.Strings(names)
	return names
}

// Stack loads the template and asset manifests of the named stack.
func (a *Assembly) Stack(name string) (*Stack, error) {
	art, ok := a.artifacts[name]
	if !ok || art.Type != "aws:cloudformation:stack" {
		return nil, fmt.Errorf("stack %q not in cloud assembly %s (it has: %s)", name, a.Dir, strings.Join(a.StackNames(), ", "))
	}
	var props stackProperties
	if err := json.Unmarshal(art.Properties, &props); err != nil {
		return nil, fmt.Errorf("stack %s: parse manifest properties: %w", name, err)
	}
	tpl, err := readTemplate(filepath.Join(a.Dir, props.TemplateFile))
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	account, region := parseEnvironment(art.Environment)
	s := &Stack{
		Name:        name,
		Account:     account,
		Region:      region,
		Template:    tpl,
		AssemblyDir: a.Dir,
		assets:      map[string]string{},
	}
	if props.StackName != "" {
		s.Name = props.StackName
	}
	for _, dep := range art.Dependencies {
		da, ok := a.artifacts[dep]
		if !ok || da.Type != "cdk:asset-manifest" {
			continue
		}
		if err := s.readAssetManifest(da); err != nil {
			return nil, fmt.Errorf("stack %s: %w", name, err)
		}
	}
	return s, nil
}

// parseEnvironment splits "aws://ACCOUNT/REGION"; the placeholders of an environment-agnostic stack come back
// empty so the caller picks local defaults.
func parseEnvironment(env string) (account, region string) {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return "", ""
	}
	account, region, _ = strings.Cut(rest, "/")
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region
}

func (s *Stack) readAssetManifest(art artifact) error {
	var p assetManifestProperties
	if err := json.Unmarshal(art.Properties, &p); err != nil {
		return fmt.Errorf("parse asset manifest properties: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(s.AssemblyDir, p.File))
	if err != nil {
		return fmt.Errorf("read asset manifest: %w", err)
	}
	var m struct {
		Files map[string]struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
			Destinations map[string]struct {
				ObjectKey string `json:"objectKey"`
			} `json:"destinations"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("parse asset manifest %s: %w", p.File, err)
	}
	for _, f := range m.Files {
		for _, d := range f.Destinations {
			s.assets[d.ObjectKey] = filepath.Join(s.AssemblyDir, f.Source.Path)
		}
	}
	return nil
}

// Stack is one synthesized stack: its template and where its assets were staged.
type Stack struct {
	Name        string
	Account     string // empty for an environment-agnostic stack
	Region      string // empty for an environment-agnostic stack
	Template    Template
	AssemblyDir string
	assets      map[string]string // S3 object key → staged asset path
}

// AssetDir returns the staged directory of a file asset referenced by a Lambda function's Code property
// ({"S3Bucket": …, "S3Key": "<hash>.zip"}).
func (s *Stack) AssetDir(code any) (string, error) {
	m, ok := code.(map[string]any)
	if !ok {
		return "", fmt.Errorf("code property is %T, want an object with S3Key", code)
	}
	key, ok := m["S3Key"].(string)
	if !ok {
		if _, inline := m["ZipFile"]; inline {
			return "", errors.New("inline ZipFile code is not supported by the twin: use a file asset")
		}
		return "", fmt.Errorf("code property has no literal S3Key (got %v)", m["S3Key"])
	}
	dir, ok := s.assets[key]
	if !ok {
		return "", fmt.Errorf("asset %s is not in the stack's asset manifest (was the stack synthesized with bundling? run `make synth`)", key)
	}
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("asset %s: %w (run `make synth`)", key, err)
	}
	return dir, nil
}
