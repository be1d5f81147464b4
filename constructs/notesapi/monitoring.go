package notesapi

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/internal/naming"
)

// tableOperations are the DynamoDB operations the handlers call (see routes): the table's throttle and system
// error alarms sum the per-operation metrics of exactly these.
var tableOperations = []awsdynamodb.Operation{awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_QUERY,
	awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_UPDATE_ITEM, awsdynamodb.Operation_DELETE_ITEM}

// operations returns a fresh copy of tableOperations for a jsii call.
func operations() *[]awsdynamodb.Operation {
	ops := slices.Clone(tableOperations)
	return &ops
}

// monitor is the monitoring being built: its scope, name prefix, topic action and alarms.
type monitor struct {
	scope  constructs.Construct
	prefix string
	action awscloudwatchactions.SnsAction
	alarms map[string]awscloudwatch.Alarm
	order  []string
}

// newMonitoring creates the alarm topic (unless one was given), the alarms and the dashboard under "Monitoring".
func (a *AuthenticatedNotesApi) newMonitoring(p *props) {
	m := p.monitoring
	scope := constructs.NewConstruct(a, jsii.String("Monitoring"))
	prefix := m.namePrefix
	if prefix == "" {
		prefix = *awscdk.Stack_Of(a).StackName() + "-" + *a.Node().Id()
	}
	topic := m.topic
	if topic == nil {
		topic = newAlarmTopic(scope, p, prefix)
	}
	a.alarmTopic = topic
	mon := &monitor{scope: scope, prefix: prefix, action: awscloudwatchactions.NewSnsAction(topic), alarms: map[string]awscloudwatch.Alarm{}}
	period := awscdk.Duration_Minutes(jsii.Number(m.period.Minutes()))
	opts := func(statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String(statistic)}
	}

	// The HTTP API publishes its metrics per ApiId (all stages: this API has only $default).
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * errors / requests"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   a.api.MetricServerError(opts("Sum")),
			"requests": a.api.MetricCount(opts("Sum")),
		},
		Label:  jsii.String("5xx rate (%)"),
		Period: period,
	})
	mon.add("Api5xxRate", fmt.Sprintf("At least %v%% of the notes API's requests answered 5xx in 2 of 3 periods of %v: a handler or DynamoDB fails; see the functions' Errors alarms and logs.", m.serverErrorRatePercent, m.period),
		rate, m.serverErrorRatePercent, 3, 2)
	mon.add("ApiLatencyP99", fmt.Sprintf("The notes API's p99 latency reached %v in 2 of 3 periods of %v: slow handlers, cold starts or DynamoDB latency.", m.latencyP99, m.period),
		a.api.MetricLatency(opts("p99")), float64(m.latencyP99.Milliseconds()), 3, 2)

	durationLimit := float64(p.timeout.Milliseconds()) * m.durationTimeoutFraction
	for _, r := range routes {
		fn := a.functions[r.key()]
		mon.add(r.id+"Errors", fmt.Sprintf("%s (%s) failed %v or more invocations in %v: an unexpected error (the handlers answer 4xx/5xx themselves), a crash or a timeout.", r.id, r.key(), m.functionErrors, m.period),
			fn.MetricErrors(opts("Sum")), m.functionErrors, 1, 1)
		mon.add(r.id+"Throttles", fmt.Sprintf("%s (%s) was throttled %v or more times in %v: the account's or function's concurrency limit is reached.", r.id, r.key(), m.functionThrottles, m.period),
			fn.MetricThrottles(opts("Sum")), m.functionThrottles, 1, 1)
		mon.add(r.id+"DurationP99", fmt.Sprintf("%s (%s) p99 duration reached %v%% of its %v timeout in 2 of 3 periods of %v: it is close to timing out.", r.id, r.key(), m.durationTimeoutFraction*100, p.timeout, m.period),
			fn.MetricDuration(opts("p99")), durationLimit, 3, 2)
	}

	mon.add("TableThrottledRequests", fmt.Sprintf("The notes table throttled %v or more requests in %v (on-demand tables throttle past their previous peak doubled, or at the table's or account's limits).", m.tableThrottles, m.period),
		a.table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{Operations: operations(), Period: period}), m.tableThrottles, 1, 1)
	mon.add("TableSystemErrors", fmt.Sprintf("DynamoDB answered %v or more notes table requests with a system error (HTTP 500) in %v.", m.tableSystemErrors, m.period),
		a.table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{Operations: operations(), Period: period}), m.tableSystemErrors, 1, 1)
	mon.add("SignInThrottles", fmt.Sprintf("Cognito throttled %v or more sign-ins of the app client in %v: the user pool's request quota is reached (or someone is hammering sign-in).", m.signInThrottles, m.period),
		a.cognitoMetric("SignInThrottles", opts("Sum")), m.signInThrottles, 1, 1)

	a.alarms = mon.alarms
	a.dashboard = a.newDashboard(mon, period)
}

// newAlarmTopic creates the alarms' SNS topic, encrypted with a customer managed key: CloudWatch cannot publish to
// a topic encrypted with the AWS managed alias/aws/sns key, whose policy it cannot be added to.
func newAlarmTopic(scope constructs.Construct, p *props, prefix string) awssns.ITopic {
	key := awskms.NewKey(scope, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("authnotes: encrypts the alarm topic " + prefix),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     p.removalPolicy,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	topic := awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("authnotes alarms " + prefix),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if p.monitoring.email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.monitoring.email), nil))
	}
	return topic
}

// add creates one alarm named <prefix>-<id>: threshold reached (>=) in datapoints of evaluation periods; no data
// (no traffic) is not a breach; it notifies the topic on ALARM and on OK.
func (mon *monitor) add(id, description string, metric awscloudwatch.IMetric, threshold, evaluation, datapoints float64) {
	alarm := awscloudwatch.NewAlarm(mon.scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(mon.prefix + "-" + id),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(evaluation),
		DatapointsToAlarm:  jsii.Number(datapoints),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(mon.action)
	alarm.AddOkAction(mon.action)
	mon.alarms[id] = alarm
	mon.order = append(mon.order, id)
}

// cognitoMetric is a Cognito user pool metric of this construct's app client.
func (a *AuthenticatedNotesApi) cognitoMetric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String("AWS/Cognito"),
		MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{
			"UserPool":       a.userPool.UserPoolId(),
			"UserPoolClient": a.client.UserPoolClientId(),
		},
		Period:    opts.Period,
		Statistic: opts.Statistic,
	})
}

// newDashboard lays out one dashboard: the API, the functions, the table, sign-ins, then every alarm's state.
func (a *AuthenticatedNotesApi) newDashboard(mon *monitor, period awscdk.Duration) awscloudwatch.Dashboard {
	stat := func(statistic, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String(statistic), Label: jsii.String(label)}
	}
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6)})
	}
	perFunction := func(metric func(key string) awscloudwatch.IMetric) []awscloudwatch.IMetric {
		var out []awscloudwatch.IMetric
		for _, r := range routes {
			out = append(out, metric(r.key()))
		}
		return out
	}
	dashboard := awscloudwatch.NewDashboard(mon.scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		// Dashboards are global to the account: the region keeps two regions' stages apart.
		DashboardName:   jsii.String(naming.Regional(mon.scope, mon.prefix, 255)),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	dashboard.AddWidgets(
		graph("API requests", a.api.MetricCount(stat("Sum", "requests"))),
		graph("API 4xx / 5xx", a.api.MetricClientError(stat("Sum", "4xx")), a.api.MetricServerError(stat("Sum", "5xx"))),
		graph("API latency", a.api.MetricLatency(stat("p50", "p50")), a.api.MetricLatency(stat("p99", "p99"))),
	)
	dashboard.AddWidgets(
		graph("Function invocations", perFunction(func(k string) awscloudwatch.IMetric {
			return a.functions[k].MetricInvocations(stat("Sum", k))
		})...),
		graph("Function errors", perFunction(func(k string) awscloudwatch.IMetric { return a.functions[k].MetricErrors(stat("Sum", k)) })...),
		graph("Function duration p99", perFunction(func(k string) awscloudwatch.IMetric {
			return a.functions[k].MetricDuration(stat("p99", k))
		})...),
	)
	ops := operations()
	dashboard.AddWidgets(
		graph("Function concurrency (max)", perFunction(func(k string) awscloudwatch.IMetric {
			return a.functions[k].Metric(jsii.String("ConcurrentExecutions"), stat("Maximum", k))
		})...),
		graph("Table consumed capacity", a.table.MetricConsumedReadCapacityUnits(stat("Sum", "read units")),
			a.table.MetricConsumedWriteCapacityUnits(stat("Sum", "write units"))),
		// Two graphs: both expressions name their per-operation metrics alike, which one graph cannot hold.
		graph("Table throttled requests",
			a.table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{Operations: ops, Period: period, Label: jsii.String("throttled requests")})),
	)
	alarms := make([]interfacesawscloudwatch.IAlarmRef, 0, len(mon.order))
	for _, id := range mon.order {
		alarms = append(alarms, mon.alarms[id])
	}
	dashboard.AddWidgets(
		graph("Table system errors",
			a.table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{Operations: ops, Period: period, Label: jsii.String("system errors")})),
		graph("Sign-ins", a.cognitoMetric("SignInSuccesses", stat("Sum", "successful sign-ins")),
			a.cognitoMetric("SignInThrottles", stat("Sum", "throttled sign-ins")),
			a.cognitoMetric("TokenRefreshSuccesses", stat("Sum", "token refreshes"))),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(8), Height: jsii.Number(6),
		}),
	)
	return dashboard
}

// AlarmTopic is the SNS topic every alarm notifies (created or given), or nil with monitoring disabled.
func (a *AuthenticatedNotesApi) AlarmTopic() awssns.ITopic { return a.alarmTopic }

// Alarms returns the alarms by ID (a copy), e.g. "Api5xxRate", "CreateNoteErrors", "TableSystemErrors"; empty with
// monitoring disabled.
func (a *AuthenticatedNotesApi) Alarms() map[string]awscloudwatch.Alarm {
	return maps.Clone(a.alarms)
}

// AlarmIDs lists the IDs of Alarms, sorted.
func (a *AuthenticatedNotesApi) AlarmIDs() []string {
	return slices.Sorted(maps.Keys(a.alarms))
}

// Dashboard is the CloudWatch dashboard, or nil with monitoring disabled.
func (a *AuthenticatedNotesApi) Dashboard() awscloudwatch.Dashboard { return a.dashboard }
