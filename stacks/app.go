package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/authnotes/authnotes/constructs/notesapi"
)

// AddStages adds one stack per config to app, filling an empty Account or Region with the defaults, and applies
// the cdk-nag AwsSolutions checks to the whole app as an aspect. app.go and the tests build the app with it.
// The context key alarmEmail.<stage> (cdk synth -c alarmEmail.prod=ops@example.org) subscribes an address to the
// stage's alarm topic.
// AlarmEmailContextKey prefixes the stage name in the context key of the alarm e-mail subscription.
const AlarmEmailContextKey = "alarmEmail."

// monitoringOf returns a copy of the stage's monitoring props (the zero value when the config leaves them out).
func monitoringOf(cfg StageConfig) notesapi.MonitoringProps {
	if cfg.Api.Monitoring == nil {
		return notesapi.MonitoringProps{}
	}
	return *cfg.Api.Monitoring
}

func AddStages(app awscdk.App, configs []StageConfig, defaultAccount, defaultRegion string) []awscdk.Stack {
	out := make([]awscdk.Stack, 0, len(configs))
	for _, cfg := range configs {
		if cfg.Account == "" {
			cfg.Account = defaultAccount
		}
		if cfg.Region == "" {
			cfg.Region = defaultRegion
		}
		if email, ok := app.Node().TryGetContext(jsii.String(AlarmEmailContextKey + cfg.Name)).(string); ok && email != "" {
			m := monitoringOf(cfg)
			m.AlarmEmail = email
			cfg.Api.Monitoring = &m
		}
		out = append(out, NewNotesApiStack(app, cfg))
	}
	addNagChecks(app)
	return out
}

// addNagChecks applies the cdk-nag AwsSolutions checks to scope as an aspect. An app's aspects stop at a nested
// Stage, so each pipeline stage gets its own.
func addNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}
