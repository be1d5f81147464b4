package test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/stacks"
)

// alarmsByName returns the stage's alarms by AlarmName.
func alarmsByName(tpl map[string]any) map[string]resource {
	out := map[string]resource{}
	for _, a := range ofType(tpl, "AWS::CloudWatch::Alarm") {
		name, _ := a.props()["AlarmName"].(string)
		out[name] = a
	}
	return out
}

// metricStat is one metric of an alarm: namespace, name, statistic and dimension names → values.
type metricStat struct {
	Namespace, Name, Stat string
	Dimensions            map[string]any
}

// alarmMetrics returns the alarm's single metric, or the metrics of its math expression (and the expression).
func alarmMetrics(t *testing.T, a resource) (expression string, metrics []metricStat) {
	t.Helper()
	p := a.props()
	dims := func(list any) map[string]any {
		out := map[string]any{}
		for _, d := range asSlice(list) {
			d := d.(map[string]any)
			out[d["Name"].(string)] = d["Value"]
		}
		return out
	}
	if name, ok := p["MetricName"].(string); ok {
		stat, _ := p["Statistic"].(string)
		if ext, ok := p["ExtendedStatistic"].(string); ok {
			stat = ext
		}
		return "", []metricStat{{p["Namespace"].(string), name, stat, dims(p["Dimensions"])}}
	}
	for _, m := range asSlice(p["Metrics"]) {
		m := m.(map[string]any)
		if e, ok := m["Expression"].(string); ok {
			expression = e
			continue
		}
		ms := m["MetricStat"].(map[string]any)
		metric := ms["Metric"].(map[string]any)
		metrics = append(metrics, metricStat{metric["Namespace"].(string), metric["MetricName"].(string), ms["Stat"].(string), dims(metric["Dimensions"])})
	}
	sort.Slice(metrics, func(i, j int) bool {
		return fmt.Sprint(metrics[i]) < fmt.Sprint(metrics[j])
	})
	return expression, metrics
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// TestAlarms pins every alarm of every stage: metric, statistic, threshold, evaluation, missing data, and that it
// notifies the stage's alarm topic on ALARM and on OK.
func TestAlarms(t *testing.T) {
	type want struct {
		expression         string
		metrics            []string // namespace/name/stat
		threshold          float64
		evaluation, toFire float64
	}
	fns := map[string]string{"CreateNote": "POST /notes", "ListNotes": "GET /notes", "GetNote": "GET /notes/{id}",
		"UpdateNote": "PUT /notes/{id}", "DeleteNote": "DELETE /notes/{id}"}
	const sumOfOps = "putitem + query + getitem + updateitem + deleteitem"
	ops := []string{"DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"}
	perOp := func(name string) []string {
		var out []string
		for _, op := range ops {
			out = append(out, "AWS/DynamoDB/"+name+"/Sum/"+op)
		}
		return out
	}
	expected := map[string]want{
		"Api5xxRate":             {"100 * errors / requests", []string{"AWS/ApiGateway/5xx/Sum", "AWS/ApiGateway/Count/Sum"}, 1, 3, 2},
		"ApiLatencyP99":          {"", []string{"AWS/ApiGateway/Latency/p99"}, 2000, 3, 2},
		"TableThrottledRequests": {sumOfOps, perOp("ThrottledRequests"), 1, 1, 1},
		"TableSystemErrors":      {sumOfOps, perOp("SystemErrors"), 1, 1, 1},
		"SignInThrottles":        {"", []string{"AWS/Cognito/SignInThrottles/Sum"}, 1, 1, 1},
	}
	for id := range fns {
		expected[id+"Errors"] = want{"", []string{"AWS/Lambda/Errors/Sum"}, 1, 1, 1}
		expected[id+"Throttles"] = want{"", []string{"AWS/Lambda/Throttles/Sum"}, 1, 1, 1}
		expected[id+"DurationP99"] = want{"", []string{"AWS/Lambda/Duration/p99"}, 8000, 3, 2} // 80% of 10 s
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		topic := only(t, s.json, "AWS::SNS::Topic")
		alarms := alarmsByName(s.json)
		if len(alarms) != len(expected) {
			t.Errorf("%d alarms; want %d", len(alarms), len(expected))
		}
		functions := functionsByRoute(t, s.json)
		for id, w := range expected {
			name := s.cfg.StackName() + "-NotesApi-" + id
			a, ok := alarms[name]
			if !ok {
				t.Errorf("no alarm %s", name)
				continue
			}
			p := a.props()
			if d, _ := p["AlarmDescription"].(string); len(strings.Fields(d)) < 8 {
				t.Errorf("%s description %q; want an explanation", name, d)
			}
			expr, metrics := alarmMetrics(t, a)
			var got []string
			for _, m := range metrics {
				key := m.Namespace + "/" + m.Name + "/" + m.Stat
				if op, ok := m.Dimensions["Operation"]; ok {
					key += "/" + op.(string)
				}
				got = append(got, key)
			}
			sort.Strings(got)
			if expr != w.expression || !cmp.Equal(got, w.metrics) {
				t.Errorf("%s metrics %q %v; want %q %v", name, expr, got, w.expression, w.metrics)
			}
			gotNums := []any{p["Threshold"], p["EvaluationPeriods"], p["DatapointsToAlarm"], p["ComparisonOperator"], p["TreatMissingData"]}
			wantNums := []any{w.threshold, w.evaluation, w.toFire, "GreaterThanOrEqualToThreshold", "notBreaching"}
			if diff := cmp.Diff(wantNums, gotNums); diff != "" {
				t.Errorf("%s threshold, evaluation periods, datapoints, comparison, missing data (-want +got):\n%s", name, diff)
			}
			if metrics[0].Namespace == "AWS/Lambda" {
				fn := functions[fns[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(id, "Errors"), "Throttles"), "DurationP99")]]
				if diff := cmp.Diff(map[string]any{"FunctionName": ref(fn.ID)}, metrics[0].Dimensions); diff != "" {
					t.Errorf("%s dimensions (-want +got):\n%s", name, diff)
				}
			}
			actions := []any{ref(topic.ID)}
			if !cmp.Equal(p["AlarmActions"], actions) || !cmp.Equal(p["OKActions"], actions) {
				t.Errorf("%s AlarmActions %v, OKActions %v; want both %v", name, p["AlarmActions"], p["OKActions"], actions)
			}
			for _, m := range metrics {
				if m.Namespace == "AWS/Cognito" {
					pool := only(t, s.json, "AWS::Cognito::UserPool")
					client := only(t, s.json, "AWS::Cognito::UserPoolClient")
					if diff := cmp.Diff(map[string]any{"UserPool": ref(pool.ID), "UserPoolClient": ref(client.ID)}, m.Dimensions); diff != "" {
						t.Errorf("%s dimensions (-want +got):\n%s", name, diff)
					}
				}
			}
		}
	})
}

// TestAlarmTopicEncryptedAndTLSOnly: the created topic uses a rotating customer managed key CloudWatch may use,
// and its policy denies publishing without TLS.
func TestAlarmTopicEncryptedAndTLSOnly(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		topic := only(t, s.json, "AWS::SNS::Topic")
		keys := ofType(s.json, "AWS::KMS::Key")
		var key resource
		for _, k := range keys {
			if cmp.Equal(topic.props()["KmsMasterKeyId"], getAtt(k.ID, "Arn")) {
				key = k
			}
		}
		if key.ID == "" {
			t.Fatalf("topic KmsMasterKeyId %v is no KMS key of the stack", topic.props()["KmsMasterKeyId"])
		}
		if key.props()["EnableKeyRotation"] != true {
			t.Errorf("key %s EnableKeyRotation = %v; want true", key.ID, key.props()["EnableKeyRotation"])
		}
		found := false
		for _, st := range asSlice(key.props()["KeyPolicy"].(map[string]any)["Statement"]) {
			st := st.(map[string]any)
			if cmp.Equal(st["Principal"], map[string]any{"Service": "cloudwatch.amazonaws.com"}) {
				found = cmp.Equal(st["Action"], []any{"kms:Decrypt", "kms:GenerateDataKey*"})
			}
		}
		if !found {
			t.Errorf("key policy lets CloudWatch not Decrypt and GenerateDataKey*: %v", key.props()["KeyPolicy"])
		}
		policy := only(t, s.json, "AWS::SNS::TopicPolicy")
		tls := false
		for _, st := range asSlice(policy.props()["PolicyDocument"].(map[string]any)["Statement"]) {
			st := st.(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			if st["Effect"] == "Deny" && cmp.Equal(cond, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				tls = true
			}
		}
		if !tls {
			t.Errorf("topic policy does not deny aws:SecureTransport false: %v", policy.props()["PolicyDocument"])
		}
		if n := len(ofType(s.json, "AWS::SNS::Subscription")); n != 0 {
			t.Errorf("%d subscriptions; want none without alarmEmail.%s", n, s.cfg.Name)
		}
	})
}

// dashboardBody renders the dashboard's Fn::Join body with each token shown as <token>.
func dashboardBody(t *testing.T, d resource) string {
	t.Helper()
	join := d.props()["DashboardBody"].(map[string]any)["Fn::Join"].([]any)
	var b strings.Builder
	for _, part := range join[1].([]any) {
		if s, ok := part.(string); ok {
			b.WriteString(s)
		} else {
			fmt.Fprintf(&b, "<%v>", part)
		}
	}
	return b.String()
}

func TestDashboardPerStage(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		d := only(t, s.json, "AWS::CloudWatch::Dashboard")
		if got, want := d.props()["DashboardName"], testRegion+"-"+s.cfg.StackName()+"-NotesApi"; got != want {
			t.Errorf("DashboardName = %v; want %s", got, want)
		}
		body := dashboardBody(t, d)
		for _, want := range []string{`"title":"API requests"`, `"title":"API 4xx / 5xx"`, `"title":"API latency"`,
			`"title":"Function invocations"`, `"title":"Function errors"`, `"title":"Function duration p99"`,
			`"title":"Function concurrency (max)"`, `"title":"Table consumed capacity"`, `"title":"Table throttled requests"`,
			`"title":"Table system errors"`, `"title":"Sign-ins"`, `"title":"Alarms"`,
			`"AWS/ApiGateway","Count"`, `"AWS/ApiGateway","4xx"`, `"AWS/ApiGateway","5xx"`, `"stat":"p50"`, `"stat":"p99"`,
			`"AWS/Lambda","Invocations"`, `"AWS/Lambda","ConcurrentExecutions"`, `"AWS/DynamoDB","ConsumedReadCapacityUnits"`,
			`"AWS/DynamoDB","ConsumedWriteCapacityUnits"`, `"AWS/Cognito","SignInSuccesses"`} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard body lacks %s", want)
			}
		}
		for name, a := range alarmsByName(s.json) {
			if !strings.Contains(body, fmt.Sprintf("<%v>", getAtt(a.ID, "Arn"))) {
				t.Errorf("the alarm status widget lacks %s", name)
			}
		}
	})
}

// TestBackupPlanInProdOnly: prod backs the table up daily at 03:00 UTC, keeps each backup 35 days, in a vault
// that survives the stack; dev and staging have no plan.
func TestBackupPlanInProdOnly(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		plans := ofType(s.json, "AWS::Backup::BackupPlan")
		if s.cfg.Name != "prod" {
			if len(plans) != 0 {
				t.Errorf("%d backup plans; want none outside prod", len(plans))
			}
			return
		}
		plan := only(t, s.json, "AWS::Backup::BackupPlan")
		vault := only(t, s.json, "AWS::Backup::BackupVault")
		rules := asSlice(plan.props()["BackupPlan"].(map[string]any)["BackupPlanRule"])
		want := []any{map[string]any{
			"RuleName":           "Daily",
			"ScheduleExpression": "cron(0 3 * * ? *)",
			"Lifecycle":          map[string]any{"DeleteAfterDays": 35.0},
			"TargetBackupVault":  getAtt(vault.ID, "BackupVaultName"),
		}}
		if diff := cmp.Diff(want, rules); diff != "" {
			t.Errorf("backup rules (-want +got):\n%s", diff)
		}
		if vault.Body["DeletionPolicy"] != "Retain" || vault.Body["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("vault DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", vault.Body["DeletionPolicy"], vault.Body["UpdateReplacePolicy"])
		}
		sel := only(t, s.json, "AWS::Backup::BackupSelection")
		table := only(t, s.json, "AWS::DynamoDB::GlobalTable")
		resources := sel.props()["BackupSelection"].(map[string]any)["Resources"]
		if diff := cmp.Diff([]any{getAtt(table.ID, "Arn")}, resources); diff != "" {
			t.Errorf("backup selection (-want +got):\n%s", diff)
		}
	})
}

// operationsApi synthesizes one construct with the given props in a stack of its own.
func operationsApi(t *testing.T, id string, props *notesapi.AuthenticatedNotesApiProps) (*notesapi.AuthenticatedNotesApi, awscdk.Stack, map[string]any) {
	t.Helper()
	stack := newStack(t, id)
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Api"), props)
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiUrl()})
	return api, stack, toMap(t, assertions.Template_FromStack(stack, nil))
}

func TestCustomDomain(t *testing.T) {
	const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c3d4e-1111-2222-3333-444455556666"
	api, _, tpl := operationsApi(t, "Domain", &notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{
		DomainName: "api.notes.example.org", CertificateArn: cert, HostedZoneId: "Z0123456789ABCDEFGHIJ", HostedZoneName: "notes.example.org",
	}})
	dn := only(t, tpl, "AWS::ApiGatewayV2::DomainName")
	wantDomain := map[string]any{"DomainName": "api.notes.example.org", "DomainNameConfigurations": []any{map[string]any{
		"CertificateArn": cert, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}}}
	if diff := cmp.Diff(wantDomain, dn.props()); diff != "" {
		t.Errorf("domain name (-want +got):\n%s", diff)
	}
	mapping := only(t, tpl, "AWS::ApiGatewayV2::ApiMapping")
	httpApi := only(t, tpl, "AWS::ApiGatewayV2::Api")
	stage := only(t, tpl, "AWS::ApiGatewayV2::Stage")
	if got := mapping.props(); !cmp.Equal(got["ApiId"], ref(httpApi.ID)) || !cmp.Equal(got["DomainName"], ref(dn.ID)) || got["Stage"] != "$default" {
		t.Errorf("API mapping %v; want the API %s, domain %s, stage $default", got, httpApi.ID, dn.ID)
	}
	// The stage is named by a literal, so only DependsOn makes CloudFormation create it before the mapping.
	if deps := asSlice(mapping.Body["DependsOn"]); !slices.Contains(deps, any(stage.ID)) {
		t.Errorf("API mapping DependsOn %v; want the stage %s", deps, stage.ID)
	}
	for _, typ := range []string{"A", "AAAA"} {
		var rec resource
		for _, r := range ofType(tpl, "AWS::Route53::RecordSet") {
			if r.props()["Type"] == typ {
				rec = r
			}
		}
		if rec.ID == "" {
			t.Errorf("no %s record", typ)
			continue
		}
		want := map[string]any{"Name": "api.notes.example.org.", "Type": typ, "HostedZoneId": "Z0123456789ABCDEFGHIJ",
			"AliasTarget": map[string]any{"DNSName": getAtt(dn.ID, "RegionalDomainName"), "HostedZoneId": getAtt(dn.ID, "RegionalHostedZoneId")}}
		if diff := cmp.Diff(want, rec.props()); diff != "" {
			t.Errorf("%s record (-want +got):\n%s", typ, diff)
		}
	}
	outputs := tpl["Outputs"].(map[string]any)
	if got := outputs["ApiUrl"].(map[string]any)["Value"]; got != "https://api.notes.example.org/" {
		t.Errorf("ApiUrl = %v; want https://api.notes.example.org/", got)
	}
	if api.DomainName() == nil {
		t.Error("DomainName() = nil; want the domain")
	}
}

func TestCustomDomainWithoutZoneHasNoRecords(t *testing.T) {
	_, _, tpl := operationsApi(t, "DomainNoZone", &notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{
		DomainName: "api.example.org", CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123",
	}})
	only(t, tpl, "AWS::ApiGatewayV2::DomainName")
	if n := len(ofType(tpl, "AWS::Route53::RecordSet")); n != 0 {
		t.Errorf("%d records; want none without a hosted zone", n)
	}
}

// TestWebAppKeepsExecuteApiOriginWithCustomDomain: the stage stacks' web app reaches the API through its
// execute-api endpoint, which the custom domain leaves enabled, so it works with or without a domain.
func TestWebAppKeepsExecuteApiOriginWithCustomDomain(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		api := only(t, s.json, "AWS::ApiGatewayV2::Api")
		if v, ok := api.props()["DisableExecuteApiEndpoint"]; ok && v != false {
			t.Errorf("DisableExecuteApiEndpoint = %v; the web app's origin needs the endpoint", v)
		}
	})
	_, _, tpl := operationsApi(t, "DomainEndpoint", &notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{
		DomainName: "api.example.org", CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123",
	}})
	if v, ok := only(t, tpl, "AWS::ApiGatewayV2::Api").props()["DisableExecuteApiEndpoint"]; ok && v != false {
		t.Errorf("with a domain, DisableExecuteApiEndpoint = %v; want the endpoint kept", v)
	}
}

func TestMonitoringDisabled(t *testing.T) {
	api, _, tpl := operationsApi(t, "NoMonitoring", &notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{Disabled: true}})
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::SNS::Topic", "AWS::KMS::Key"} {
		if n := len(ofType(tpl, typ)); n != 0 {
			t.Errorf("%d %s; want none with monitoring disabled", n, typ)
		}
	}
	if api.AlarmTopic() != nil || api.Dashboard() != nil || len(api.Alarms()) != 0 {
		t.Error("accessors return monitoring resources with monitoring disabled")
	}
}

func TestMonitoringWithGivenTopicAndThresholds(t *testing.T) {
	stack := newStack(t, "GivenTopic")
	topic := awssns.NewTopic(stack, jsii.String("Ops"), nil)
	api := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Api"), &notesapi.AuthenticatedNotesApiProps{
		Timeout: 20 * time.Second,
		Monitoring: &notesapi.MonitoringProps{AlarmTopic: topic, AlarmNamePrefix: "notes", LatencyP99: 500 * time.Millisecond,
			DurationTimeoutFraction: jsii.Number(0.5), ServerErrorRatePercent: jsii.Number(5), Period: time.Minute},
	})
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))
	if n := len(ofType(tpl, "AWS::SNS::Topic")); n != 1 {
		t.Errorf("%d topics; want only the given one", n)
	}
	alarms := alarmsByName(tpl)
	topicID := *stack.GetLogicalId(topic.Node().DefaultChild().(awscdk.CfnElement))
	for name, threshold := range map[string]float64{"notes-ApiLatencyP99": 500, "notes-GetNoteDurationP99": 10000, "notes-Api5xxRate": 5} {
		a, ok := alarms[name]
		if !ok {
			t.Errorf("no alarm %s", name)
			continue
		}
		if a.props()["Threshold"] != threshold || !cmp.Equal(a.props()["OKActions"], []any{ref(topicID)}) {
			t.Errorf("%s Threshold %v OKActions %v; want %v and the given topic", name, a.props()["Threshold"], a.props()["OKActions"], threshold)
		}
		if p, ok := a.props()["Period"]; ok && p != 60.0 {
			t.Errorf("%s Period = %v; want 60", name, p)
		}
	}
	if api.AlarmTopic() != topic {
		t.Error("AlarmTopic() is not the given topic")
	}
	if got := len(api.AlarmIDs()); got != 20 {
		t.Errorf("AlarmIDs() has %d IDs; want 20", got)
	}
}

func TestAlarmEmailFromContextSubscribes(t *testing.T) {
	app, _ := newApp(t, nil)
	app.Node().SetContext(jsii.String("alarmEmail.prod"), "ops@example.org")
	st := stackOfStage(t, app, "prod")
	tpl := toMap(t, assertions.Template_FromStack(st, nil))
	sub := only(t, tpl, "AWS::SNS::Subscription")
	topic := only(t, tpl, "AWS::SNS::Topic")
	want := map[string]any{"Protocol": "email", "Endpoint": "ops@example.org", "TopicArn": ref(topic.ID)}
	if diff := cmp.Diff(want, sub.props()); diff != "" {
		t.Errorf("subscription (-want +got):\n%s", diff)
	}
}

func TestValidateOperationsProps(t *testing.T) {
	const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"
	tests := []struct {
		name  string
		props notesapi.AuthenticatedNotesApiProps
		err   string
	}{
		{"bad e-mail", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{AlarmEmail: "ops at example"}}, `AlarmEmail "ops at example"`},
		{"e-mail with a given topic", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{AlarmEmail: "a@b.org", AlarmTopic: awssns.Topic_FromTopicArn(newStack(t, "T"), jsii.String("T"), jsii.String("arn:aws:sns:eu-west-1:123456789012:t"))}}, "AlarmEmail needs the created topic"},
		{"fraction of one", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{DurationTimeoutFraction: jsii.Number(1)}}, "DurationTimeoutFraction 1"},
		{"zero rate", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{ServerErrorRatePercent: jsii.Number(0)}}, "ServerErrorRatePercent 0"},
		{"seconds period", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{Period: 30 * time.Second}}, "Period 30s"},
		{"fractional errors", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{FunctionErrors: jsii.Number(0.5)}}, "FunctionErrors 0.5"},
		{"latency over 30 s", notesapi.AuthenticatedNotesApiProps{Monitoring: &notesapi.MonitoringProps{LatencyP99: time.Minute}}, "LatencyP99 1m0s"},
		{"backup of hours", notesapi.AuthenticatedNotesApiProps{Backup: &notesapi.BackupProps{DeleteAfter: 36 * time.Hour}}, "Backup.DeleteAfter 36h0m0s"},
		{"backup hour 24", notesapi.AuthenticatedNotesApiProps{Backup: &notesapi.BackupProps{StartHourUtc: jsii.Number(24)}}, "Backup.StartHourUtc 24"},
		{"domain upper case", notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{DomainName: "API.example.org", CertificateArn: cert}}, `Domain.DomainName "API.example.org"`},
		{"domain without certificate", notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{DomainName: "api.example.org"}}, "Domain.CertificateArn"},
		{"zone id without name", notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{DomainName: "api.example.org", CertificateArn: cert, HostedZoneId: "Z123"}}, "give both or neither"},
		{"domain outside zone", notesapi.AuthenticatedNotesApiProps{Domain: &notesapi.DomainProps{DomainName: "api.example.org", CertificateArn: cert, HostedZoneId: "Z123", HostedZoneName: "other.org"}}, "is not in Domain.HostedZoneName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := notesapi.ValidateProps(&tt.props); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ValidateProps = %v; want an error containing %q", err, tt.err)
			}
		})
	}
}

// stackOfStage adds only the named stage to app, as app.go would, and returns its stack.
func stackOfStage(t *testing.T, app awscdk.App, name string) awscdk.Stack {
	t.Helper()
	for _, cfg := range stacks.Stages() {
		if cfg.Name == name {
			return stacks.AddStages(app, []stacks.StageConfig{cfg}, testAccount, testRegion)[0]
		}
	}
	t.Fatalf("no stage %q", name)
	return nil
}

// TestStableNamesWithoutRegion: in an environment-agnostic stack the stable names join the AWS::Region pseudo
// parameter in at deploy time, so two regions of one account still get distinct CloudFront function names.
func TestStableNamesWithoutRegion(t *testing.T) {
	app, _ := newApp(t, nil)
	prod := stacks.Stages()[2]
	tpl := toMap(t, assertions.Template_FromStack(stacks.NewNotesApiStack(app, prod), nil))
	join := func(name string) map[string]any {
		return map[string]any{"Fn::Join": []any{"-", []any{ref("AWS::Region"), name}}}
	}
	if got := only(t, tpl, "AWS::Backup::BackupVault").props()["BackupVaultName"]; !cmp.Equal(got, join("NotesApi-prod-NotesApi-BackupVault")) {
		t.Errorf("BackupVaultName = %v", got)
	}
	if got := only(t, tpl, "AWS::CloudFront::Function").props()["Name"]; !cmp.Equal(got, join("NotesApi-prod-NotesWeb-SpaFallback")) {
		t.Errorf("CloudFront function Name = %v", got)
	}
}
