package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb"
)

// suppressNagFindings records, on the exact resources concerned, the AwsSolutions findings that the stage's
// configuration accepts on purpose. Everything else is fixed in the construct's design (own roles without managed
// policies, one DynamoDB action per function, access logs, PITR, strong password policy).
func suppressNagFindings(api *notesapi.AuthenticatedNotesApi, cfg StageConfig) {
	var pool []*cdknag.NagPackSuppression
	if cfg.Api.Mfa != awscognito.Mfa_REQUIRED {
		pool = append(pool, &cdknag.NagPackSuppression{
			Id: jsii.String("AwsSolutions-COG2"),
			Reason: jsii.String("stage " + cfg.Name + " uses MFA " + string(orOff(cfg.Api.Mfa)) +
				": self sign-up from the CLI and SPA must work without an enrolled authenticator; users can add TOTP when MFA is OPTIONAL"),
		})
	}
	if cfg.Api.FeaturePlan != awscognito.FeaturePlan_PLUS {
		pool = append(pool, &cdknag.NagPackSuppression{
			Id: jsii.String("AwsSolutions-COG8"),
			Reason: jsii.String("stage " + cfg.Name + " holds test users only and stays on the Essentials plan to avoid the Plus per-user price; " +
				"prod runs Plus with threat protection ENFORCED"),
		})
	}
	if len(pool) > 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(api.UserPool(), &pool, jsii.Bool(false))
	}
	if cfg.Api.Tracing != "" && cfg.Api.Tracing != awslambda.Tracing_DISABLED {
		xray := []*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, " +
				"so Resource must be *; CDK adds exactly these two actions"),
			AppliesTo: &[]interface{}{"Resource::*"},
		}}
		for _, fn := range api.Functions() {
			cdknag.NagSuppressions_AddResourceSuppressions(fn.Role().Node().FindChild(jsii.String("DefaultPolicy")), &xray, jsii.Bool(false))
		}
	}
}

// suppressBackupNagFindings accepts the AWS managed policy on the backup selection's role.
func suppressBackupNagFindings(api *notesapi.AuthenticatedNotesApi) {
	if api.BackupPlan() == nil {
		return
	}
	role := api.BackupPlan().Node().FindChild(jsii.String("Table")).Node().FindChild(jsii.String("Role"))
	backup := []*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("AWS Backup assumes this role to back the notes table up; AWS documents and maintains " +
			"AWSBackupServiceRolePolicyForBackup as the policy for that job, and follows new backup features in it"),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
	}}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &backup, jsii.Bool(false))
}

func orOff(m awscognito.Mfa) awscognito.Mfa {
	if m == "" {
		return awscognito.Mfa_OFF
	}
	return m
}

// suppressWebNagFindings records the AwsSolutions findings of the stage's web app, each on the exact resource.
// The buckets (private, encrypted, TLS-only, logged), the Origin Access Control, the distribution's logs and the
// deployment's own role (no managed policy) are compliant by design.
func suppressWebNagFindings(stack awscdk.Stack, web *notesweb.NotesWebApp, cfg StageConfig) {
	dist := []*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-CFR1"),
		Reason: jsii.String("the notes app serves its users wherever they are: no country is allowed or denied, so a geo restriction " +
			"would list nothing; sign-in (Cognito) and the API (JWT authorizer) decide who gets in"),
	}}
	if cfg.Web.Domain == nil {
		dist = append(dist, &cdknag.NagPackSuppression{
			Id: jsii.String("AwsSolutions-CFR4"),
			Reason: jsii.String("stage " + cfg.Name + " has no custom domain: with the default *.cloudfront.net certificate CloudFront " +
				"ignores MinimumProtocolVersion and offers TLSv1 to old clients; set Web.Domain (an ACM certificate in us-east-1) " +
				"to enforce TLSv1.2_2021"),
		})
	}
	if cfg.Web.WebAclArn == "" {
		dist = append(dist, &cdknag.NagPackSuppression{
			Id: jsii.String("AwsSolutions-CFR2"),
			Reason: jsii.String("stage " + cfg.Name + " attaches no AWS WAF web ACL (a monthly charge per ACL and per request): the " +
				"distribution serves a static app, and the API behind it is throttled and refuses requests without a valid Cognito " +
				"access token; set Web.WebAclArn to add one"),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(web.Distribution(), &dist, jsii.Bool(false))

	siteBucket := *stack.GetLogicalId(web.Bucket().Node().DefaultChild().(awscdk.CfnElement))
	grants := []*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CDK's BucketDeployment syncs the build into the site bucket (aws s3 sync --delete): it lists, reads, " +
				"writes and deletes any object and aborts failed multipart uploads, so its grant covers every object of this one " +
				"bucket with the s3:GetObject*, GetBucket*, List*, DeleteObject* and Abort* action groups"),
			AppliesTo: bucketReadWriteFindings(siteBucket),
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("the deployment reads the build's zip from the CDK bootstrap asset bucket; object keys are content " +
				"hashes that change with every build, so the read grant covers the bucket's objects"),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:[^:]+:s3:::cdk-[a-z0-9]+-assets-.+\/\*$/`)}},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CDK's BucketDeployment grants cloudfront:CreateInvalidation and GetInvalidation on * (CloudFront " +
				"invalidations have no resource-level scope in that grant); the function only invalidates the distribution ID it is given"),
			AppliesTo: &[]any{"Resource::*"},
		},
	}
	cdknag.NagSuppressions_AddResourceSuppressions(web.Deployment().HandlerRole().Node().FindChild(jsii.String("DefaultPolicy")), &grants, jsii.Bool(false))

	// BucketDeployment's handler is a stack-wide singleton CDK names Custom::CDKBucketDeployment<uuid>.
	runtime := []*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-L1"),
		Reason: jsii.String("the Python runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib (python3.13 in 2.276.0) " +
			"and cannot be set; it moves forward with CDK upgrades"),
	}}
	for _, c := range *stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "Custom::CDKBucketDeployment") {
			cdknag.NagSuppressions_AddResourceSuppressions(c, &runtime, jsii.Bool(false))
		}
	}
}

// bucketReadWriteFindings are the IAM5 findings of CDK's Bucket.grantReadWrite on the bucket with logical ID
// bucketID (its action groups and its objects), plus extra ones.
func bucketReadWriteFindings(bucketID string, extra ...any) *[]any {
	out := append([]any{"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*",
		"Action::s3:Abort*", "Resource::<" + bucketID + ".Arn>/*"}, extra...)
	return &out
}
