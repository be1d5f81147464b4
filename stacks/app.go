package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddStages adds one stack per config to app, filling an empty Account or Region with the defaults, and applies
// the cdk-nag AwsSolutions checks to the whole app as an aspect. app.go and the tests build the app with it.
func AddStages(app awscdk.App, configs []StageConfig, defaultAccount, defaultRegion string) []awscdk.Stack {
	out := make([]awscdk.Stack, 0, len(configs))
	for _, cfg := range configs {
		if cfg.Account == "" {
			cfg.Account = defaultAccount
		}
		if cfg.Region == "" {
			cfg.Region = defaultRegion
		}
		out = append(out, NewNotesApiStack(app, cfg))
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return out
}
