// Command authnotes is the CDK app: it synthesizes NotesApi-dev, NotesApi-staging and NotesApi-prod, checked by
// the cdk-nag AwsSolutions rules. It is the only place that reads the process environment.
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/authnotes/authnotes/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	for _, cfg := range stacks.Stages() {
		if cfg.Account == "" {
			cfg.Account = os.Getenv("CDK_DEFAULT_ACCOUNT")
		}
		if cfg.Region == "" {
			cfg.Region = os.Getenv("CDK_DEFAULT_REGION")
		}
		stacks.NewNotesApiStack(app, cfg)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
