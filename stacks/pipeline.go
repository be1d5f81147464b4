package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// PipelineStackName is the CloudFormation stack of the delivery pipeline.
const PipelineStackName = "NotesApi-pipeline"

// Context keys of the pipeline: all three present add the pipeline stack to the app.
const (
	ContextConnectionArn = "pipeline.connectionArn"
	ContextRepository    = "pipeline.repository"
	ContextBranch        = "pipeline.branch"
)

// PipelineConfig is where the pipeline takes the source from.
type PipelineConfig struct {
	// ConnectionArn of an AWS CodeStar connection (CodeConnections) to the Git host, created and authorized in
	// the console beforehand.
	ConnectionArn string
	// Repository is "owner/name" on the Git host.
	Repository string
	// Branch the pipeline builds and releases.
	Branch string
}

var (
	connectionArn = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+$`)
	repository    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	branch        = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// PipelineConfigFromContext reads the pipeline.* context keys. ok is false when none is set (no pipeline); a
// partial or malformed configuration is an error naming the key to fix.
func PipelineConfigFromContext(app awscdk.App) (cfg PipelineConfig, ok bool, err error) {
	get := func(key string) string {
		v, _ := app.Node().TryGetContext(jsii.String(key)).(string)
		return strings.TrimSpace(v)
	}
	cfg = PipelineConfig{ConnectionArn: get(ContextConnectionArn), Repository: get(ContextRepository), Branch: get(ContextBranch)}
	if cfg == (PipelineConfig{}) {
		return cfg, false, nil
	}
	var problems []string
	if !connectionArn.MatchString(cfg.ConnectionArn) {
		problems = append(problems, fmt.Sprintf("%s %q: want a CodeStar connection ARN (arn:aws:codestar-connections:<region>:<account>:connection/<id>)", ContextConnectionArn, cfg.ConnectionArn))
	}
	if !repository.MatchString(cfg.Repository) {
		problems = append(problems, fmt.Sprintf("%s %q: want owner/name", ContextRepository, cfg.Repository))
	}
	if !branch.MatchString(cfg.Branch) || strings.Contains(cfg.Branch, "..") {
		problems = append(problems, fmt.Sprintf("%s %q: want a branch name such as main", ContextBranch, cfg.Branch))
	}
	if len(problems) > 0 {
		return cfg, true, fmt.Errorf("pipeline configuration (set all of -c %s=… -c %s=… -c %s=…): %s",
			ContextConnectionArn, ContextRepository, ContextBranch, strings.Join(problems, "; "))
	}
	return cfg, true, nil
}

// synthFlags are the -c flags that make the pipeline's own synth include the pipeline (self-mutation keeps it).
func (c PipelineConfig) synthFlags() string {
	return fmt.Sprintf("-c %s=%s -c %s=%s -c %s=%s", ContextConnectionArn, c.ConnectionArn, ContextRepository, c.Repository, ContextBranch, c.Branch)
}

// goAndNode installs Node 20 and a Go that fetches the go.mod toolchain (GOTOOLCHAIN=auto, from the module proxy)
// on CodeBuild's standard 7.0 image.
func goAndNode() awscodebuild.BuildSpec {
	return awscodebuild.BuildSpec_FromObject(&map[string]any{
		"env":    map[string]any{"variables": map[string]any{"GOTOOLCHAIN": "auto", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}},
		"phases": map[string]any{"install": map[string]any{"runtime-versions": map[string]any{"golang": "1.23", "nodejs": "20"}}},
	})
}

// NewPipelineStack creates NotesApi-pipeline: a self-mutating CDK pipeline that builds cfg.Branch of
// cfg.Repository with `make synth`, then deploys the stages in order (dev, staging, a manual approval, prod), each
// followed by `notesctl smoke` against the stage just deployed. stages are the stage configs (Stages()); a stage's
// empty Account or Region becomes the pipeline's.
func NewPipelineStack(app awscdk.App, cfg PipelineConfig, stages []StageConfig, account, region string) awscdk.Stack {
	env := &awscdk.Environment{Account: optional(account), Region: optional(region)}
	stack := awscdk.NewStack(app, jsii.String(PipelineStackName), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("authnotes delivery pipeline: " + cfg.Repository + "@" + cfg.Branch + " to dev, staging and prod"),
		Tags:        &map[string]*string{"project": jsii.String(Project), "stage": jsii.String("pipeline")},
	})
	source := pipelines.CodePipelineSource_Connection(jsii.String(cfg.Repository), jsii.String(cfg.Branch),
		&pipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(cfg.ConnectionArn)})
	build := &pipelines.CodeBuildOptions{
		BuildEnvironment: &awscodebuild.BuildEnvironment{BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0()},
		PartialBuildSpec: goAndNode(),
	}
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		// V1: a flat monthly price per active pipeline, cheaper than V2's per-minute actions for a few releases a day.
		PipelineType:      awscodepipeline.PipelineType_V1,
		SelfMutation:      jsii.Bool(true),
		CrossAccountKeys:  jsii.Bool(true),
		EnableKeyRotation: jsii.Bool(true),
		CodeBuildDefaults: build,
		Synth: pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
			Input: source,
			// make synth installs the npm tools (npm ci), builds the web app and writes cdk.out.
			Commands:               jsii.Strings(`make synth SYNTH_FLAGS="` + cfg.synthFlags() + `"`),
			PrimaryOutputDirectory: jsii.String("cdk.out"),
		}),
	})
	for _, sc := range stages {
		if sc.Account == "" {
			sc.Account = account
		}
		if sc.Region == "" {
			sc.Region = region
		}
		stage := awscdk.NewStage(stack, jsii.String(stageID(sc.Name)), &awscdk.StageProps{
			Env: &awscdk.Environment{Account: optional(sc.Account), Region: optional(sc.Region)},
		})
		notes := NewNotesApiStack(stage, sc)
		addNagChecks(stage)
		opts := &pipelines.AddStageOpts{Post: &[]pipelines.Step{smokeStep(source, sc, notes)}}
		if sc.Name == "prod" {
			opts.Pre = &[]pipelines.Step{pipelines.NewManualApprovalStep(jsii.String("PromoteToProd"), &pipelines.ManualApprovalStepProps{
				Comment: jsii.String("staging passed its smoke test: release this commit to prod?"),
			})}
		}
		pipeline.AddStage(stage, opts)
	}
	pipeline.BuildPipeline()
	// CDK Pipelines writes each deploy action's bootstrap role ARN as an Fn::Join with an empty delimiter, which
	// cfn-lint 1.51 flags as E3703 (prefer Fn::Sub): equivalent, generated, and only on this one resource.
	pipeline.Pipeline().Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
		map[string]any{"config": map[string]any{"ignore_checks": []string{"E3703"}}})
	suppressPipelineNagFindings(stack, pipeline)
	for _, sc := range stages {
		suppressSmokeNagFindings(pipeline, stageID(sc.Name))
	}
	return stack
}

// stageID is the pipeline stage's construct ID: "dev" → "Dev".
func stageID(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

// smokeStep runs `notesctl smoke` against the stage's outputs. Its role may only confirm sign-ups (what smoke
// needs besides the public client) on the stage's user pool, picked by the pool's project and stage tags: the
// pool's ID comes from another stack, which the pipeline stack cannot reference.
func smokeStep(source pipelines.CodePipelineSource, sc StageConfig, stack awscdk.Stack) pipelines.Step {
	output := func(name string) awscdk.CfnOutput {
		return stack.Node().FindChild(jsii.String(name)).(awscdk.CfnOutput)
	}
	outputs := fmt.Sprintf(`printf '{"%s":{"ApiUrl":"%%s","UserPoolId":"%%s","UserPoolClientId":"%%s","Region":"%%s"}}' `+
		`"$API_URL" "$USER_POOL_ID" "$USER_POOL_CLIENT_ID" "$STACK_REGION" > smoke-outputs.json`, sc.StackName())
	return pipelines.NewCodeBuildStep(jsii.String("Smoke"), &pipelines.CodeBuildStepProps{
		Input: source,
		EnvFromCfnOutputs: &map[string]awscdk.CfnOutput{
			"API_URL": output("ApiUrl"), "USER_POOL_ID": output("UserPoolId"), "USER_POOL_CLIENT_ID": output("UserPoolClientId"),
			"STACK_REGION": output("Region"),
		},
		Commands: jsii.Strings(outputs, "go run ./cmd/notesctl --outputs smoke-outputs.json smoke"),
		RolePolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("cognito-idp:AdminConfirmSignUp"),
			// Fn::Sub, not the Fn::Join a token in a Go string gives (cfn-lint E3703).
			Resources: &[]*string{awscdk.Fn_Sub(jsii.String(fmt.Sprintf("arn:${AWS::Partition}:cognito-idp:%s:%s:userpool/*",
				orVar(sc.Region, "${AWS::Region}"), orVar(sc.Account, "${AWS::AccountId}"))), nil)},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:ResourceTag/project": Project, "aws:ResourceTag/stage": sc.Name,
			}},
		})},
	})
}

// orVar is s, or the Fn::Sub variable of the pipeline stack's own value when s is empty.
func orVar(s, variable string) string {
	if s == "" {
		return variable
	}
	return s
}

// regionRe and accountRe match a region and an account in cdk-nag's rendering of an ARN: concrete, or the
// pseudo parameter of an environment-agnostic stack.
const (
	regionRe  = `(?:[a-z0-9-]+|<AWS::Region>)`
	accountRe = `(?:[0-9]{12}|<AWS::AccountId>)`
)

// suppressPipelineNagFindings records the AwsSolutions findings of the grants CDK Pipelines generates, on the
// pipeline's constructs only, each finding by its exact action or resource pattern.
func suppressPipelineNagFindings(stack awscdk.Stack, pipeline pipelines.CodePipeline) {
	bucket := pipeline.Pipeline().ArtifactBucket()
	bucketID := *stack.GetLogicalId(bucket.Node().DefaultChild().(awscdk.CfnElement))
	generated := []*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CDK Pipelines grants each action's role read (and the source, synth and pipeline roles write) access " +
				"to the objects of the pipeline's own artifact bucket, with the s3 and kms action groups of Bucket.grantReadWrite " +
				"on that bucket and its KMS key only"),
			AppliesTo: bucketReadWriteFindings(bucketID, "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"),
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CodeBuild projects of the pipeline write their own log streams and test reports: CDK scopes the " +
				"grant to log groups and report groups named after the project, whose streams and reports have generated names"),
			AppliesTo: &[]any{
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:aws:logs:` + regionRe + `:` + accountRe + `:log-group:\/aws\/codebuild\/.*$/`)},
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:aws:codebuild:` + regionRe + `:` + accountRe + `:report-group\/.*$/`)},
			},
		},
	}
	cdknag.NagSuppressions_AddResourceSuppressions(pipeline, &generated, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("the artifact bucket only passes source and cloud assembly zips between pipeline actions, which " +
			"CloudTrail and the pipeline's execution history already record; it is private, KMS-encrypted and TLS-only"),
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(pipeline.Node().FindChild(jsii.String("UpdatePipeline")), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("self-mutation runs cdk deploy of this stack: it assumes the CDK bootstrap roles (role/* limited by " +
			"CDK to roles tagged aws-cdk:bootstrap-role) and reads stack state with cloudformation:DescribeStacks and " +
			"s3:ListBucket, which CDK grants on *"),
		AppliesTo: &[]any{"Resource::*", &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:\*:iam::` + accountRe + `:role\/\*$/`)}},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(pipeline.Node().FindChild(jsii.String("Assets")), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("asset publishing assumes the CDK bootstrap file-publishing role of each target environment; CDK " +
			"grants sts:AssumeRole on the bootstrap roles and the CodeBuild basics on *"),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
}

// suppressSmokeNagFindings accepts the smoke step's user pool wildcard, narrowed by the pool's tags.
func suppressSmokeNagFindings(pipeline pipelines.CodePipeline, stageID string) {
	step := pipeline.Pipeline().Node().FindChild(jsii.String(stageID)).Node().FindChild(jsii.String("Smoke"))
	cdknag.NagSuppressions_AddResourceSuppressions(step, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("the smoke test confirms its throwaway users with cognito-idp:AdminConfirmSignUp; the pool's ID lives in " +
			"the stage stack, which the pipeline stack cannot reference, so the grant names userpool/* of the stage's account " +
			"and region and a condition keeps it to the pool tagged project=authnotes and this stage"),
		AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:<AWS::Partition>:cognito-idp:` + regionRe + `:` + accountRe + `:userpool\/\*$/`)}},
	}}, jsii.Bool(true))
}
