// Command authnotes is the CDK app: it synthesizes NotesApi-dev, NotesApi-staging and NotesApi-prod, checked by
// the cdk-nag AwsSolutions rules. It is the only place that reads the process environment.
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stacks.AddStages(app, stacks.Stages(), os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"))
	app.Synth(nil)
}
