package notesapi

import (
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
)

// MonitoringProps configures the alarms, their SNS topic and the dashboard. Every threshold has a default chosen
// for this API (docs/operations.md explains each); an alarm fires when its threshold is reached (>=).
type MonitoringProps struct {
	// Disabled turns monitoring off: no alarms, no topic, no dashboard. Default: false.
	Disabled bool
	// AlarmTopic receives every alarm's ALARM and OK notifications. Default: a topic the construct creates,
	// encrypted with a customer managed KMS key (rotation on) and refusing non-TLS publishers.
	AlarmTopic awssns.ITopic
	// AlarmEmail subscribes an e-mail address to the created topic (the recipient confirms by e-mail). Only with
	// the created topic. Default: "", no subscription.
	AlarmEmail string
	// AlarmNamePrefix starts every alarm's name; the dashboard is named "<region>-<prefix>" (dashboards are
	// global to the account). Default: "<stack name>-<construct id>", e.g. "NotesApi-prod-NotesApi".
	AlarmNamePrefix string
	// Period of every alarm's metric. Default: 5 minutes.
	Period time.Duration
	// ServerErrorRatePercent alarms on the HTTP API's 5xx responses as a percentage of all requests, in 2 of 3
	// periods. Default: 1 (percent).
	ServerErrorRatePercent *float64
	// LatencyP99 alarms on the HTTP API's p99 latency, in 2 of 3 periods. Default: 2 seconds.
	LatencyP99 time.Duration
	// DurationTimeoutFraction alarms on a function's p99 duration reaching this fraction of its Timeout, in 2 of 3
	// periods. Between 0 and 1 exclusive of 0. Default: 0.8.
	DurationTimeoutFraction *float64
	// FunctionErrors alarms on a function's errors (invocations that failed, not 4xx answers) in one period.
	// Default: 1.
	FunctionErrors *float64
	// FunctionThrottles alarms on a function's throttled invocations in one period. Default: 1.
	FunctionThrottles *float64
	// TableThrottledRequests alarms on the table's throttled requests (all operations the functions use) in one
	// period. Default: 1.
	TableThrottledRequests *float64
	// TableSystemErrors alarms on the table's system errors (HTTP 500 from DynamoDB) in one period. Default: 1.
	TableSystemErrors *float64
	// SignInThrottles alarms on Cognito throttling sign-ins of the app client in one period. Default: 1.
	SignInThrottles *float64
}

// monitoringProps is MonitoringProps with every default applied.
type monitoringProps struct {
	topic                   awssns.ITopic
	email                   string
	namePrefix              string
	period                  time.Duration
	serverErrorRatePercent  float64
	latencyP99              time.Duration
	durationTimeoutFraction float64
	functionErrors          float64
	functionThrottles       float64
	tableThrottles          float64
	tableSystemErrors       float64
	signInThrottles         float64
}

// BackupProps configures the AWS Backup plan of the table.
type BackupProps struct {
	// DeleteAfter is how long each daily backup is kept, whole days from 1 to 36500. Default: 35 days.
	DeleteAfter time.Duration
	// StartHourUtc is the hour (0-23, UTC) the daily backup window starts. Default: 3.
	StartHourUtc *float64
}

type backupProps struct {
	deleteAfter  time.Duration
	startHourUtc float64
}

// DomainProps serves the API on a custom domain (a regional API Gateway domain name).
type DomainProps struct {
	// DomainName, e.g. "api.notes.example.org". Required.
	DomainName string
	// CertificateArn of an issued ACM certificate for DomainName in the stack's region. Required.
	CertificateArn string
	// HostedZoneId and HostedZoneName of the Route 53 public hosted zone that holds DomainName: with both, the
	// construct adds A and AAAA alias records. Default: "", no records (create the DNS entry yourself).
	HostedZoneId   string
	HostedZoneName string
}

var (
	// hostname is a lower-case DNS name with at least two labels.
	hostname = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	acmArn   = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$`)
	zoneID   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
)

func resolveMonitoring(in *MonitoringProps, timeout time.Duration, add func(string, ...any)) *monitoringProps {
	if in == nil {
		in = &MonitoringProps{}
	}
	if in.Disabled {
		return nil
	}
	m := &monitoringProps{
		topic:                   in.AlarmTopic,
		email:                   in.AlarmEmail,
		namePrefix:              in.AlarmNamePrefix,
		period:                  durationOr(in.Period, 5*time.Minute),
		serverErrorRatePercent:  floatOr(in.ServerErrorRatePercent, 1),
		latencyP99:              durationOr(in.LatencyP99, 2*time.Second),
		durationTimeoutFraction: floatOr(in.DurationTimeoutFraction, 0.8),
		functionErrors:          floatOr(in.FunctionErrors, 1),
		functionThrottles:       floatOr(in.FunctionThrottles, 1),
		tableThrottles:          floatOr(in.TableThrottledRequests, 1),
		tableSystemErrors:       floatOr(in.TableSystemErrors, 1),
		signInThrottles:         floatOr(in.SignInThrottles, 1),
	}
	if m.email != "" {
		if a, err := mail.ParseAddress(m.email); err != nil || a.Address != m.email {
			add("Monitoring.AlarmEmail %q: want a plain address such as ops@example.org", m.email)
		}
		if m.topic != nil {
			add("Monitoring.AlarmEmail needs the created topic: subscribe the address to your AlarmTopic yourself")
		}
	}
	if p := m.period; p < time.Minute || p%time.Minute != 0 || p > 24*time.Hour {
		add("Monitoring.Period %v: must be whole minutes between 1m and 24h", p)
	}
	if v := m.serverErrorRatePercent; v <= 0 || v > 100 {
		add("Monitoring.ServerErrorRatePercent %v: must be above 0 and at most 100", v)
	}
	if v := m.latencyP99; v < time.Millisecond || v > 30*time.Second {
		add("Monitoring.LatencyP99 %v: must be between 1ms and 30s (the HTTP API gives up after 30 s)", v)
	}
	if v := m.durationTimeoutFraction; v <= 0 || v >= 1 {
		add("Monitoring.DurationTimeoutFraction %v: must be above 0 and below 1 (a fraction of the functions' Timeout %v)", v, timeout)
	}
	for name, v := range map[string]float64{"FunctionErrors": m.functionErrors, "FunctionThrottles": m.functionThrottles,
		"TableThrottledRequests": m.tableThrottles, "TableSystemErrors": m.tableSystemErrors, "SignInThrottles": m.signInThrottles} {
		if v < 1 {
			add("Monitoring.%s %v: must be at least 1", name, v)
		}
	}
	return m
}

func resolveBackup(in *BackupProps, add func(string, ...any)) *backupProps {
	if in == nil {
		return nil
	}
	b := &backupProps{deleteAfter: durationOr(in.DeleteAfter, 35*24*time.Hour), startHourUtc: floatOr(in.StartHourUtc, 3)}
	if d := b.deleteAfter; d < 24*time.Hour || d > 36500*24*time.Hour || d%(24*time.Hour) != 0 {
		add("Backup.DeleteAfter %v: must be whole days between 1 and 36500", d)
	}
	if h := b.startHourUtc; h < 0 || h > 23 || h != float64(int(h)) {
		add("Backup.StartHourUtc %v: must be a whole hour from 0 to 23", h)
	}
	return b
}

func checkDomain(d *DomainProps, add func(string, ...any)) {
	if !hostname.MatchString(d.DomainName) {
		add("Domain.DomainName %q: want a lower-case DNS name such as api.notes.example.org", d.DomainName)
	}
	if !acmArn.MatchString(d.CertificateArn) {
		add("Domain.CertificateArn %q: want an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)", d.CertificateArn)
	}
	if (d.HostedZoneId == "") != (d.HostedZoneName == "") {
		add("Domain.HostedZoneId and Domain.HostedZoneName: give both or neither")
		return
	}
	if d.HostedZoneId == "" {
		return
	}
	if !zoneID.MatchString(d.HostedZoneId) {
		add("Domain.HostedZoneId %q: want a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ", d.HostedZoneId)
	}
	zone := strings.TrimSuffix(d.HostedZoneName, ".")
	if d.DomainName != zone && !strings.HasSuffix(d.DomainName, "."+zone) {
		add("Domain.DomainName %q is not in Domain.HostedZoneName %q", d.DomainName, d.HostedZoneName)
	}
}
