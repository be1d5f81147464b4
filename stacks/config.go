// Package stacks holds the stage stack (NotesApi-<stage>) and the typed per-stage configuration.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb"
)

// StageConfig is everything that differs between stages.
type StageConfig struct {
	// Name is the stage: the stack is NotesApi-<Name> and resources are tagged stage=<Name>.
	Name string
	// Account and Region pin the stack's environment; "" means the CLI's (CDK_DEFAULT_ACCOUNT/REGION, read by
	// app.go).
	Account string
	Region  string
	// TerminationProtection refuses `cdk destroy` / stack deletion until turned off.
	TerminationProtection bool
	// Api configures the AuthenticatedNotesApi of the stage.
	Api notesapi.AuthenticatedNotesApiProps
	// Web configures the NotesWebApp of the stage; its Api is the stage's API (set by NewNotesApiStack).
	Web notesweb.NotesWebAppProps
}

// StackName is the CloudFormation stack name of the stage.
func (c StageConfig) StackName() string { return "NotesApi-" + c.Name }

// Stages returns the dev, staging and prod configurations, in that order. Every stage has the construct's
// monitoring (alarms, alarm topic, dashboard; subscribe with the context key alarmEmail.<stage>, see AddStages),
// staging and prod trace their functions with X-Ray, prod backs its table up daily with AWS Backup, and no stage has
// a custom domain (set Api.Domain to add one).
func Stages() []StageConfig {
	return []StageConfig{
		{
			Name: "dev",
			Api: notesapi.AuthenticatedNotesApiProps{
				RemovalPolicy:         awscdk.RemovalPolicy_DESTROY,
				DeletionProtection:    jsii.Bool(false),
				LogRetention:          awslogs.RetentionDays_ONE_WEEK,
				CorsAllowedOrigins:    []string{"http://localhost:5173"},
				AllowUserPasswordAuth: jsii.Bool(true),
				Mfa:                   awscognito.Mfa_OFF,
				FeaturePlan:           awscognito.FeaturePlan_ESSENTIALS,
				ThrottleRateLimit:     jsii.Number(100),
				ThrottleBurstLimit:    jsii.Number(200),
				ApplicationLogLevel:   awslambda.ApplicationLogLevel_DEBUG,
			},
			Web: notesweb.NotesWebAppProps{
				RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
				PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_100,
				LogRetention:  awslogs.RetentionDays_ONE_WEEK,
			},
		},
		{
			Name: "staging",
			Api: notesapi.AuthenticatedNotesApiProps{
				RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
				DeletionProtection:  jsii.Bool(true),
				LogRetention:        awslogs.RetentionDays_ONE_MONTH,
				Mfa:                 awscognito.Mfa_OPTIONAL,
				FeaturePlan:         awscognito.FeaturePlan_ESSENTIALS,
				ThrottleRateLimit:   jsii.Number(50),
				ThrottleBurstLimit:  jsii.Number(100),
				Tracing:             awslambda.Tracing_ACTIVE,
				ApplicationLogLevel: awslambda.ApplicationLogLevel_INFO,
			},
			Web: notesweb.NotesWebAppProps{
				RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
				PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_100,
				LogRetention:  awslogs.RetentionDays_ONE_MONTH,
			},
		},
		{
			Name:                  "prod",
			TerminationProtection: true,
			Api: notesapi.AuthenticatedNotesApiProps{
				RemovalPolicy:        awscdk.RemovalPolicy_RETAIN,
				DeletionProtection:   jsii.Bool(true),
				LogRetention:         awslogs.RetentionDays_ONE_YEAR,
				Mfa:                  awscognito.Mfa_OPTIONAL,
				FeaturePlan:          awscognito.FeaturePlan_PLUS,
				ThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
				ThrottleRateLimit:    jsii.Number(25),
				ThrottleBurstLimit:   jsii.Number(50),
				Tracing:              awslambda.Tracing_ACTIVE,
				ApplicationLogLevel:  awslambda.ApplicationLogLevel_INFO,
				Backup:               &notesapi.BackupProps{},
			},
			Web: notesweb.NotesWebAppProps{
				RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
				PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_ALL,
				LogRetention:  awslogs.RetentionDays_ONE_YEAR,
			},
		},
	}
}
