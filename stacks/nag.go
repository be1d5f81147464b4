package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/authnotes/authnotes/constructs/notesapi"
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

func orOff(m awscognito.Mfa) awscognito.Mfa {
	if m == "" {
		return awscognito.Mfa_OFF
	}
	return m
}
