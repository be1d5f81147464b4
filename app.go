// Command authnotes is the CDK app: it synthesizes NotesApi-dev, NotesApi-staging and NotesApi-prod (and, with the
// pipeline.* context keys, NotesApi-pipeline), checked by the cdk-nag AwsSolutions rules. It is the only place that reads the process environment.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	stacks.AddStages(app, stacks.Stages(), account, region)
	// The delivery pipeline only when its context is given (make synth SYNTH_FLAGS="-c pipeline.connectionArn=…").
	pipeline, ok, err := stacks.PipelineConfigFromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "authnotes:", err)
		os.Exit(2)
	}
	if ok {
		stacks.NewPipelineStack(app, pipeline, stacks.Stages(), account, region)
	}
	app.Synth(nil)
}
