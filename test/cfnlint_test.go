package test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cfnLint runs cfn-lint (configured by the repository's .cfnlintrc.yaml) on the given templates and fails the test
// on any finding: errors, and the warnings the configuration does not ignore by name.
func cfnLint(t *testing.T, templates ...string) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint is not on PATH: install it with `pip install cfn-lint==1.51.*` (Python 3.9+) and run the tests again")
	}
	args := append([]string{"--config-file", filepath.Join(repoRoot, ".cfnlintrc.yaml"), "--regions", testRegion, "--format", "parseable", "--"}, templates...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run cfn-lint: %v\n%s", err, out)
	}
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("cfn-lint %s: %v\n%s", strings.Join(templates, " "), err, out)
	}
}

// TestCfnLintStageTemplates lints every synthesized stage template.
func TestCfnLintStageTemplates(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		cfnLint(t, filepath.Join(s.out, s.cfg.StackName()+".template.json"))
	})
}
