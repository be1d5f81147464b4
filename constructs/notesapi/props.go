package notesapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
)

// AuthenticatedNotesApiProps configures an AuthenticatedNotesApi. Every field is optional; the zero value (or a
// nil *AuthenticatedNotesApiProps) gives the secure defaults documented on each field.
type AuthenticatedNotesApiProps struct {
	// SelfSignUpEnabled lets anyone create an account with the public client (SignUp + ConfirmSignUp).
	// Default: true.
	SelfSignUpEnabled *bool
	// PasswordPolicy of the user pool. Default: at least 12 characters with upper case, lower case, digit and
	// symbol; temporary passwords valid for 3 days. MinLength must be 6 to 99; PasswordHistorySize needs Essentials
	// or Plus.
	PasswordPolicy *awscognito.PasswordPolicy
	// Mfa is OFF, OPTIONAL or REQUIRED; the second factor is always TOTP (authenticator apps), never SMS.
	// Default: awscognito.Mfa_OFF.
	Mfa awscognito.Mfa
	// FeaturePlan of the user pool. PLUS turns on threat protection in enforced mode. Default:
	// awscognito.FeaturePlan_ESSENTIALS.
	FeaturePlan awscognito.FeaturePlan
	// ThreatProtectionMode overrides the threat protection mode; only valid with FeaturePlan PLUS. Default:
	// FULL_FUNCTION (AdvancedSecurityMode ENFORCED) on PLUS, none otherwise.
	ThreatProtectionMode awscognito.StandardThreatProtectionMode
	// DeletionProtection protects the user pool and the table from deletion. Must be false with a DESTROY
	// removal policy. Default: true.
	DeletionProtection *bool
	// RemovalPolicy of the user pool, the table and the log groups: RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY
	// (none of them supports SNAPSHOT). Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
	// AllowUserPasswordAuth adds the USER_PASSWORD_AUTH flow (password sent over TLS instead of SRP) for tooling.
	// Default: false (USER_SRP_AUTH and REFRESH_TOKEN_AUTH only).
	AllowUserPasswordAuth *bool
	// OAuth turns on the hosted UI's authorization code grant (use PKCE: the client has no secret) with real
	// callback and logout URLs. Default: nil, OAuth off.
	OAuth *OAuthProps
	// AccessTokenValidity, whole minutes between 5 minutes and 1 day, at most RefreshTokenValidity. Default: 60
	// minutes.
	AccessTokenValidity time.Duration
	// IdTokenValidity, whole minutes between 5 minutes and 1 day, at most RefreshTokenValidity. Default: 60 minutes.
	IdTokenValidity time.Duration
	// RefreshTokenValidity, between 60 minutes and 3650 days. Default: 30 days.
	RefreshTokenValidity time.Duration
	// CorsAllowedOrigins are the browser origins (scheme://host[:port]) allowed by the CORS preflight; "*" only
	// when given explicitly and alone. Default: none, no CORS configuration.
	CorsAllowedOrigins []string
	// ThrottleRateLimit is the default stage's steady-state requests per second. Default: 100.
	ThrottleRateLimit *float64
	// ThrottleBurstLimit is the default stage's burst. Default: 200.
	ThrottleBurstLimit *float64
	// LogRetention of the functions' and the access log groups. Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
	// Architecture of the functions, arm64 or x86_64. Default: awslambda.Architecture_ARM_64().
	Architecture awslambda.Architecture
	// MemorySize of each function in whole MB, 128 to 10240. Default: 256.
	MemorySize *float64
	// Timeout of each function, 1 to 30 seconds (the HTTP API gives up after 30 s). Default: 10 seconds.
	Timeout time.Duration
	// Tracing of the functions (X-Ray). Default: awslambda.Tracing_DISABLED. HTTP APIs (API Gateway v2) have no
	// X-Ray tracing, so the traces start at the functions.
	Tracing awslambda.Tracing
	// ApplicationLogLevel of the functions' JSON logs (the handlers read it from AWS_LAMBDA_LOG_LEVEL).
	// Default: awslambda.ApplicationLogLevel_INFO.
	ApplicationLogLevel awslambda.ApplicationLogLevel
	// Monitoring configures the CloudWatch alarms, their SNS topic and the dashboard. Default: on, with the
	// defaults of MonitoringProps.
	Monitoring *MonitoringProps
	// Backup adds an AWS Backup plan for the table. Default: nil, no backup plan (the table still has
	// point-in-time recovery for 35 days).
	Backup *BackupProps
	// Domain serves the API on a custom domain name. Default: nil, only the execute-api URL.
	Domain *DomainProps
}

// OAuthProps configures the authorization code grant of the app client.
type OAuthProps struct {
	// CallbackUrls receive the code after sign-in: https URLs, or http://localhost for development. Required.
	CallbackUrls []string
	// LogoutUrls are allowed redirects after sign-out, same rules as CallbackUrls. Default: none.
	LogoutUrls []string
}

// props is AuthenticatedNotesApiProps with every default applied.
type props struct {
	selfSignUp           bool
	passwordPolicy       *awscognito.PasswordPolicy
	mfa                  awscognito.Mfa
	featurePlan          awscognito.FeaturePlan
	threatProtection     awscognito.StandardThreatProtectionMode
	deletionProtection   bool
	removalPolicy        awscdk.RemovalPolicy
	userPasswordAuth     bool
	oauth                *OAuthProps
	accessTokenValidity  time.Duration
	idTokenValidity      time.Duration
	refreshTokenValidity time.Duration
	corsOrigins          []string
	rateLimit            float64
	burstLimit           float64
	logRetention         awslogs.RetentionDays
	architecture         awslambda.Architecture
	goarch               string
	memorySize           float64
	timeout              time.Duration
	tracing              awslambda.Tracing
	logLevel             awslambda.ApplicationLogLevel
	monitoring           *monitoringProps
	backup               *backupProps
	domain               *DomainProps
}

// ValidateProps reports every misuse in p, joined, or nil. NewAuthenticatedNotesApi panics with the same error,
// so an app that prefers an error value calls ValidateProps first.
func ValidateProps(p *AuthenticatedNotesApiProps) error {
	_, err := resolve(p)
	return err
}

func resolve(in *AuthenticatedNotesApiProps) (*props, error) {
	if in == nil {
		in = &AuthenticatedNotesApiProps{}
	}
	p := &props{
		selfSignUp:           boolOr(in.SelfSignUpEnabled, true),
		passwordPolicy:       in.PasswordPolicy,
		mfa:                  in.Mfa,
		featurePlan:          in.FeaturePlan,
		threatProtection:     in.ThreatProtectionMode,
		deletionProtection:   boolOr(in.DeletionProtection, true),
		removalPolicy:        in.RemovalPolicy,
		userPasswordAuth:     boolOr(in.AllowUserPasswordAuth, false),
		oauth:                in.OAuth,
		accessTokenValidity:  durationOr(in.AccessTokenValidity, time.Hour),
		idTokenValidity:      durationOr(in.IdTokenValidity, time.Hour),
		refreshTokenValidity: durationOr(in.RefreshTokenValidity, 30*24*time.Hour),
		corsOrigins:          in.CorsAllowedOrigins,
		rateLimit:            floatOr(in.ThrottleRateLimit, 100),
		burstLimit:           floatOr(in.ThrottleBurstLimit, 200),
		logRetention:         in.LogRetention,
		architecture:         in.Architecture,
		memorySize:           floatOr(in.MemorySize, 256),
		timeout:              durationOr(in.Timeout, 10*time.Second),
		tracing:              in.Tracing,
		logLevel:             in.ApplicationLogLevel,
		domain:               in.Domain,
	}
	if p.passwordPolicy == nil {
		p.passwordPolicy = &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireUppercase:     jsii.Bool(true),
			RequireLowercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		}
	}
	if p.mfa == "" {
		p.mfa = awscognito.Mfa_OFF
	}
	if p.featurePlan == "" {
		p.featurePlan = awscognito.FeaturePlan_ESSENTIALS
	}
	if p.removalPolicy == "" {
		p.removalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if p.logRetention == "" {
		p.logRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.architecture == nil {
		p.architecture = awslambda.Architecture_ARM_64()
	}
	if p.tracing == "" {
		p.tracing = awslambda.Tracing_DISABLED
	}
	if p.logLevel == "" {
		p.logLevel = awslambda.ApplicationLogLevel_INFO
	}

	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.threatProtection != "" && p.featurePlan != awscognito.FeaturePlan_PLUS {
		add("ThreatProtectionMode %s needs FeaturePlan PLUS, got %s", p.threatProtection, p.featurePlan)
	}
	if p.threatProtection == "" && p.featurePlan == awscognito.FeaturePlan_PLUS {
		p.threatProtection = awscognito.StandardThreatProtectionMode_FULL_FUNCTION
	}
	switch p.removalPolicy {
	case awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_DESTROY, awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE:
	default:
		// SNAPSHOT is not supported by user pools, global tables or log groups.
		add("RemovalPolicy %s: must be RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY", p.removalPolicy)
	}
	if p.deletionProtection && p.removalPolicy == awscdk.RemovalPolicy_DESTROY {
		add("DeletionProtection must be false with RemovalPolicy DESTROY (the stack could never be deleted)")
	}
	if p.oauth != nil {
		if len(p.oauth.CallbackUrls) == 0 {
			add("OAuth.CallbackUrls: at least one URL is required when OAuth is configured")
		}
		for _, u := range p.oauth.CallbackUrls {
			if err := checkRedirectURL(u); err != nil {
				add("OAuth.CallbackUrls: %w", err)
			}
		}
		for _, u := range p.oauth.LogoutUrls {
			if err := checkRedirectURL(u); err != nil {
				add("OAuth.LogoutUrls: %w", err)
			}
		}
	}
	if v := p.accessTokenValidity; v < 5*time.Minute || v > 24*time.Hour || v%time.Minute != 0 {
		add("AccessTokenValidity %v: must be whole minutes between 5m and 24h", v)
	}
	if v := p.idTokenValidity; v < 5*time.Minute || v > 24*time.Hour || v%time.Minute != 0 {
		add("IdTokenValidity %v: must be whole minutes between 5m and 24h", v)
	}
	if v := p.refreshTokenValidity; v < time.Hour || v > 3650*24*time.Hour || v%time.Minute != 0 {
		add("RefreshTokenValidity %v: must be whole minutes between 60m and 3650 days", v)
	}
	// Cognito refuses access and ID tokens that outlive the refresh token that renews them.
	if p.accessTokenValidity > p.refreshTokenValidity {
		add("AccessTokenValidity %v: must not exceed RefreshTokenValidity %v", p.accessTokenValidity, p.refreshTokenValidity)
	}
	if p.idTokenValidity > p.refreshTokenValidity {
		add("IdTokenValidity %v: must not exceed RefreshTokenValidity %v", p.idTokenValidity, p.refreshTokenValidity)
	}
	if pp := in.PasswordPolicy; pp != nil {
		if pp.MinLength != nil && (*pp.MinLength < 6 || *pp.MinLength > 99 || *pp.MinLength != float64(int64(*pp.MinLength))) {
			add("PasswordPolicy.MinLength %v: must be a whole number between 6 and 99", *pp.MinLength)
		}
		if pp.PasswordHistorySize != nil && p.featurePlan == awscognito.FeaturePlan_LITE {
			add("PasswordPolicy.PasswordHistorySize needs FeaturePlan ESSENTIALS or PLUS, got LITE")
		}
	}
	for _, o := range p.corsOrigins {
		if err := checkOrigin(o, len(p.corsOrigins)); err != nil {
			add("CorsAllowedOrigins: %w", err)
		}
	}
	if p.rateLimit <= 0 {
		add("ThrottleRateLimit %v: must be positive", p.rateLimit)
	}
	if p.burstLimit < 1 || p.burstLimit != float64(int64(p.burstLimit)) {
		add("ThrottleBurstLimit %v: must be a positive whole number", p.burstLimit)
	}
	if p.memorySize < 128 || p.memorySize > 10240 || p.memorySize != float64(int64(p.memorySize)) {
		add("MemorySize %v: must be whole MB between 128 and 10240", p.memorySize)
	}
	if p.timeout < time.Second || p.timeout > 30*time.Second || p.timeout%time.Second != 0 {
		add("Timeout %v: must be whole seconds between 1s and 30s (the HTTP API integration limit)", p.timeout)
	}
	goarch, err := gobuild.GOARCH(*p.architecture.Name())
	if err != nil {
		add("Architecture: %w", err)
	}
	p.goarch = goarch
	p.monitoring = resolveMonitoring(in.Monitoring, p.timeout, add)
	p.backup = resolveBackup(in.Backup, add)
	if p.domain != nil {
		checkDomain(p.domain, add)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid AuthenticatedNotesApiProps: %w", errors.Join(errs...))
	}
	return p, nil
}

// checkOrigin accepts "*" alone or scheme://host[:port] with nothing after it, as browsers send Origin.
func checkOrigin(o string, count int) error {
	if o == "*" {
		if count > 1 {
			return errors.New(`"*" must be the only origin`)
		}
		return nil
	}
	if strings.TrimSpace(o) == "" {
		return errors.New("empty origin")
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("origin %q: want scheme://host[:port], e.g. https://notes.example.org", o)
	}
	return nil
}

// checkRedirectURL accepts https URLs and http://localhost, and refuses CDK's https://example.com placeholder.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	host := u.Hostname()
	switch {
	case host == "example.com":
		return fmt.Errorf("%q is a placeholder; give the app's real URL", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1"):
		return nil
	}
	return fmt.Errorf("%q: must be https (http only for localhost)", s)
}

func boolOr(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}

func floatOr(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

func durationOr(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}
