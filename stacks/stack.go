package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb"
)

// Project is the value of the project tag on every stack and resource.
const Project = "authnotes"

// NewNotesApiStack creates, under scope (the app, or a pipeline's stage), the stack NotesApi-<cfg.Name> with one AuthenticatedNotesApi (construct ID
// "NotesApi"), one NotesWebApp (construct ID "NotesWeb") serving the web app and, on the same origin, the API, and
// the outputs ApiUrl, UserPoolId, UserPoolClientId, TableName, Region and WebUrl.
func NewNotesApiStack(scope constructs.Construct, cfg StageConfig) awscdk.Stack {
	tags := map[string]*string{"project": jsii.String(Project), "stage": jsii.String(cfg.Name)}
	var env *awscdk.Environment
	if cfg.Account != "" || cfg.Region != "" {
		env = &awscdk.Environment{Account: optional(cfg.Account), Region: optional(cfg.Region)}
	}
	stack := awscdk.NewStack(scope, jsii.String(cfg.StackName()), &awscdk.StackProps{
		// Explicit, so the same name holds inside a pipeline stage (which would prefix it).
		StackName:             jsii.String(cfg.StackName()),
		Env:                   env,
		Description:           jsii.String("authnotes notes API, stage " + cfg.Name),
		TerminationProtection: jsii.Bool(cfg.TerminationProtection),
		Tags:                  &tags,
	})
	for k, v := range tags {
		awscdk.Tags_Of(stack).Add(jsii.String(k), v, nil)
	}
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("NotesApi"), &cfg.Api)
	output := func(name string, value *string, description string) {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("ApiUrl", api.ApiUrl(), "invoke URL of the notes API (ends in /)")
	output("UserPoolId", api.UserPool().UserPoolId(), "Cognito user pool ID")
	output("UserPoolClientId", api.UserPoolClient().UserPoolClientId(), "public app client ID (no secret)")
	output("TableName", api.Table().TableName(), "DynamoDB notes table")
	output("Region", awscdk.Aws_REGION(), "region of the stack")
	webProps := cfg.Web
	webProps.Api = api
	web := notesweb.NewNotesWebApp(stack, jsii.String("NotesWeb"), &webProps)
	output("WebUrl", web.WebUrl(), "URL of the notes web app (CloudFront; ends in /)")
	suppressNagFindings(api, cfg)
	suppressBackupNagFindings(api)
	suppressWebNagFindings(stack, web, cfg)
	return stack
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
