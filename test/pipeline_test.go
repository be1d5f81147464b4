package test

import (
	"fmt"
	"github.com/google/go-cmp/cmp"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/authnotes/authnotes/stacks"
)

const (
	testConnectionArn = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	testRepository    = "authnotes/authnotes"
	testBranch        = "main"
)

// pipelineContext is the context that adds the pipeline.
func pipelineContext() map[string]any {
	return map[string]any{stacks.ContextConnectionArn: testConnectionArn, stacks.ContextRepository: testRepository, stacks.ContextBranch: testBranch}
}

// pipelineApp is the app as app.go builds it with the pipeline context: the three stages and NotesApi-pipeline.
type pipelineApp struct {
	stack    awscdk.Stack
	json     map[string]any
	out      string
	inStages map[string]awscdk.Stack // the stage stacks inside the pipeline's stages, by stage name
}

var (
	pipelineOnce  sync.Once
	pipelineBuilt *pipelineApp
)

func pipeline(t *testing.T) *pipelineApp {
	t.Helper()
	pipelineOnce.Do(func() {
		out, err := os.MkdirTemp(tmpRoot, "cdk.out-pipeline-")
		if err != nil {
			t.Fatal(err)
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: projectContext(t, mergeContext(
			map[string]any{"aws:cdk:bundling-stacks": []string{}}, pipelineContext()))})
		stacks.AddStages(app, stacks.Stages(), testAccount, testRegion)
		cfg, ok, err := stacks.PipelineConfigFromContext(app)
		if err != nil || !ok {
			t.Fatalf("PipelineConfigFromContext = %v, %v; want the test configuration", ok, err)
		}
		st := stacks.NewPipelineStack(app, cfg, stacks.Stages(), testAccount, testRegion)
		p := &pipelineApp{stack: st, out: out, inStages: map[string]awscdk.Stack{}}
		p.json = toMap(t, assertions.Template_FromStack(st, nil))
		for _, name := range stageNames {
			stage := st.Node().FindChild(jsii.String(strings.ToUpper(name[:1]) + name[1:]))
			p.inStages[name] = stage.Node().FindChild(jsii.String("NotesApi-" + name)).(awscdk.Stack)
		}
		pipelineBuilt = p
	})
	if pipelineBuilt == nil {
		t.Fatal("the pipeline app failed to build in an earlier test")
	}
	return pipelineBuilt
}

func mergeContext(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestPipelineNagClean(t *testing.T) {
	p := pipeline(t)
	all := map[string]awscdk.Stack{"pipeline": p.stack}
	for k, v := range p.inStages {
		all[k] = v
	}
	for name, st := range all {
		annotations := assertions.Annotations_FromStack(st)
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
		for _, e := range *annotations.FindError(jsii.String("*"), nag) {
			t.Errorf("%s: error %s: %v", name, *e.Id, e.Entry.Data)
		}
		for _, w := range *annotations.FindWarning(jsii.String("*"), nag) {
			t.Errorf("%s: warning %s: %v", name, *w.Id, w.Entry.Data)
		}
	}
}

// TestPipelineStageStacksAreNagChecked: the cdk-nag checks reach the stage stacks inside the pipeline's stages
// (an app's aspects stop at a nested Stage): cdk-nag starts a report, AwsSolutions-<Stage>-<stack>-NagReport.csv,
// for every stack it checks, so TestPipelineNagClean's silence means something.
func TestPipelineStageStacksAreNagChecked(t *testing.T) {
	p := pipeline(t)
	for _, name := range stageNames {
		path := filepath.Join(p.out, "AwsSolutions-"+strings.ToUpper(name[:1])+name[1:]+"-NotesApi-"+name+"-NagReport.csv")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%v: cdk-nag did not check the pipeline's %s stack", err, name)
		}
	}
}

// pipelineStages returns the CodePipeline's stages: name → actions (name, category, run order).
func pipelineStages(t *testing.T, tpl map[string]any) (order []string, actions map[string][]map[string]any) {
	t.Helper()
	cp := only(t, tpl, "AWS::CodePipeline::Pipeline")
	actions = map[string][]map[string]any{}
	for _, s := range asSlice(cp.props()["Stages"]) {
		s := s.(map[string]any)
		name := s["Name"].(string)
		order = append(order, name)
		for _, a := range asSlice(s["Actions"]) {
			actions[name] = append(actions[name], a.(map[string]any))
		}
	}
	return order, actions
}

func TestPipelineStagesInOrderWithApprovalAndSmoke(t *testing.T) {
	p := pipeline(t)
	order, actions := pipelineStages(t, p.json)
	if diff := cmp.Diff([]string{"Source", "Build", "UpdatePipeline", "Assets", "Dev", "Staging", "Prod"}, order); diff != "" {
		t.Errorf("pipeline stages (-want +got):\n%s", diff)
	}
	for _, stage := range []string{"Dev", "Staging", "Prod"} {
		byName := map[string]map[string]any{}
		maxDeploy := 0.0
		for _, a := range actions[stage] {
			byName[a["Name"].(string)] = a
			if a["ActionTypeId"].(map[string]any)["Provider"] == "CloudFormation" && a["RunOrder"].(float64) > maxDeploy {
				maxDeploy = a["RunOrder"].(float64)
			}
		}
		smoke, ok := byName["Smoke"]
		if !ok {
			t.Errorf("stage %s has no Smoke action: %v", stage, byName)
			continue
		}
		if smoke["ActionTypeId"].(map[string]any)["Provider"] != "CodeBuild" || smoke["RunOrder"].(float64) <= maxDeploy {
			t.Errorf("stage %s Smoke %v; want a CodeBuild action after the deployment (run order > %v)", stage, smoke, maxDeploy)
		}
		approval, ok := byName["PromoteToProd"]
		if stage != "Prod" {
			if ok {
				t.Errorf("stage %s has the prod approval", stage)
			}
			continue
		}
		if !ok || approval["ActionTypeId"].(map[string]any)["Category"] != "Approval" || approval["RunOrder"].(float64) != 1 {
			t.Errorf("Prod PromoteToProd %v; want a manual approval that runs first", approval)
		}
	}
}

// buildSpecs returns the CodeBuild projects' build specs by logical ID.
func buildSpecs(t *testing.T, tpl map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range ofType(tpl, "AWS::CodeBuild::Project") {
		spec, _ := p.props()["Source"].(map[string]any)["BuildSpec"].(string)
		out[p.ID] = spec
	}
	return out
}

func TestPipelineSynthsWithMakeAndSelfMutates(t *testing.T) {
	p := pipeline(t)
	var synth, smoke, mutate int
	for id, spec := range buildSpecs(t, p.json) {
		switch {
		case strings.Contains(id, "Synth"):
			synth++
			for _, want := range []string{`"golang": "1.23"`, `"nodejs": "20"`, `"GOTOOLCHAIN": "auto"`,
				`make synth SYNTH_FLAGS=\"-c pipeline.connectionArn=` + testConnectionArn + ` -c pipeline.repository=` + testRepository + ` -c pipeline.branch=` + testBranch + `\"`,
				`"base-directory": "cdk.out"`} {
				if !strings.Contains(spec, want) {
					t.Errorf("synth build spec lacks %s:\n%s", want, spec)
				}
			}
		case strings.Contains(id, "Smoke"):
			smoke++
			for _, want := range []string{"go run ./cmd/notesctl --outputs smoke-outputs.json smoke", `"golang": "1.23"`} {
				if !strings.Contains(spec, want) {
					t.Errorf("%s build spec lacks %s:\n%s", id, want, spec)
				}
			}
		case strings.Contains(id, "SelfMutation"):
			mutate++
			if !strings.Contains(spec, "cdk -a . deploy") || !strings.Contains(spec, stacks.PipelineStackName) {
				t.Errorf("self-mutation build spec does not deploy %s:\n%s", stacks.PipelineStackName, spec)
			}
		}
	}
	if synth != 1 || smoke != 3 || mutate != 1 {
		t.Errorf("%d synth, %d smoke, %d self-mutation projects; want 1, 3, 1", synth, smoke, mutate)
	}
	cp := only(t, p.json, "AWS::CodePipeline::Pipeline")
	src := asSlice(asSlice(cp.props()["Stages"])[0].(map[string]any)["Actions"])[0].(map[string]any)
	want := map[string]any{"ConnectionArn": testConnectionArn, "FullRepositoryId": testRepository, "BranchName": testBranch}
	got := map[string]any{}
	for k := range want {
		got[k] = src["Configuration"].(map[string]any)[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("source action (-want +got):\n%s", diff)
	}
}

// TestSmokeRoleMayOnlyConfirmSignUpsOfItsStage: besides CodeBuild's basics, the smoke step's role may call
// AdminConfirmSignUp, only on the user pool tagged with its stage.
func TestSmokeRoleMayOnlyConfirmSignUpsOfItsStage(t *testing.T) {
	p := pipeline(t)
	found := map[string]bool{}
	for _, pol := range ofType(p.json, "AWS::IAM::Policy") {
		for _, st := range asSlice(pol.props()["PolicyDocument"].(map[string]any)["Statement"]) {
			st := st.(map[string]any)
			if fmt.Sprint(st["Action"]) != "cognito-idp:AdminConfirmSignUp" {
				if strings.Contains(fmt.Sprint(st["Action"]), "cognito") {
					t.Errorf("%s grants %v", pol.ID, st["Action"])
				}
				continue
			}
			cond := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
			stage := cond["aws:ResourceTag/stage"].(string)
			found[stage] = true
			if cond["aws:ResourceTag/project"] != stacks.Project || !strings.Contains(pol.ID, "Smoke") || !strings.Contains(strings.ToLower(pol.ID), stage) {
				t.Errorf("%s: AdminConfirmSignUp with %v", pol.ID, cond)
			}
		}
	}
	if len(found) != 3 {
		t.Errorf("AdminConfirmSignUp granted for stages %v; want dev, staging and prod", found)
	}
}

// TestStageStacksInsidePipelineKeepTheirNames: the pipeline deploys the same stacks make deploy does.
func TestStageStacksInsidePipelineKeepTheirNames(t *testing.T) {
	p := pipeline(t)
	for name, st := range p.inStages {
		if got := *st.StackName(); got != "NotesApi-"+name {
			t.Errorf("stage %s stack name %s; want NotesApi-%s", name, got, name)
		}
	}
}

func TestCfnLintPipelineTemplate(t *testing.T) {
	p := pipeline(t)
	cfnLint(t, filepath.Join(p.out, stacks.PipelineStackName+".template.json"))
}

// TestPipelineGoldenTemplate compares NotesApi-pipeline with testdata/NotesApi-pipeline.template.json (asset hashes
// normalized); regenerate with go test ./test -run TestPipelineGoldenTemplate -update.
func TestPipelineGoldenTemplate(t *testing.T) {
	compareGolden(t, filepath.Join("testdata", stacks.PipelineStackName+".template.json"), normalize(pipeline(t).json))
}

func TestPipelineConfigFromContext(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		ok      bool
		err     string
	}{
		{"none: no pipeline", nil, false, ""},
		{"all three", pipelineContext(), true, ""},
		{"branch missing", map[string]any{stacks.ContextConnectionArn: testConnectionArn, stacks.ContextRepository: testRepository}, true, `pipeline.branch "": want a branch name`},
		{"not a connection", mergeContext(pipelineContext(), map[string]any{stacks.ContextConnectionArn: "arn:aws:s3:::bucket"}), true, "want a CodeStar connection ARN"},
		{"repository without owner", mergeContext(pipelineContext(), map[string]any{stacks.ContextRepository: "authnotes"}), true, "want owner/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.context})
			_, ok, err := stacks.PipelineConfigFromContext(app)
			if ok != tt.ok || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("PipelineConfigFromContext = %v, %v; want %v and an error containing %q", ok, err, tt.ok, tt.err)
			}
		})
	}
}

// TestPipelineNagCleanWithoutAccount: an environment-agnostic synth (no CDK_DEFAULT_ACCOUNT, as on a machine without
// AWS credentials) renders the account as a pseudo parameter; the suppressions match that too.
func TestPipelineNagCleanWithoutAccount(t *testing.T) {
	app, _ := newApp(t, nil)
	st := stacks.NewPipelineStack(app, stacks.PipelineConfig{ConnectionArn: testConnectionArn, Repository: testRepository, Branch: testBranch},
		stacks.Stages()[:1], "", "us-east-1")
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(nil), nil)
	annotations := assertions.Annotations_FromStack(st)
	for _, e := range *annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))) {
		t.Errorf("error %s: %v", *e.Id, e.Entry.Data)
	}
}

// withoutPathDependent drops what legitimately depends on the construct path: aws:cdk:path and aws:asset:path
// metadata, and the aws-cdk:cr-owned:<hash of the path> tag BucketDeployment puts on the site bucket.
func withoutPathDependent(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "aws:cdk:path" || k == "aws:asset:path" {
				continue
			}
			out[k] = withoutPathDependent(e)
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && strings.HasPrefix(fmt.Sprint(m["Key"]), "aws-cdk:cr-owned:") {
				continue
			}
			out = append(out, withoutPathDependent(e))
		}
		return out
	}
	return v
}

// TestStageTemplatesSameInsidePipeline: the pipeline deploys exactly what make deploy would (the same names,
// CloudFront origin IDs and function name), so moving a stage to the pipeline changes nothing in it.
func TestStageTemplatesSameInsidePipeline(t *testing.T) {
	p := pipeline(t)
	forEachStage(t, func(t *testing.T, s *synthesized) {
		inside := toMap(t, assertions.Template_FromStack(p.inStages[s.cfg.Name], nil))
		if diff := cmp.Diff(withoutPathDependent(s.json), withoutPathDependent(inside)); diff != "" {
			t.Errorf("NotesApi-%s inside the pipeline differs (-app +pipeline):\n%s", s.cfg.Name, diff)
		}
	})
}
