package notesweb

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb/site"
)

// NotesWebAppProps configures a NotesWebApp. Api is required; every other field is optional, and its zero value
// gives the secure default documented on the field.
type NotesWebAppProps struct {
	// Api is the notes API the app talks to. Its paths (ApiPaths) are served through the distribution, so the
	// browser calls its own origin. Required.
	Api *notesapi.AuthenticatedNotesApi
	// AssetDir is the built app: a directory with index.html at its root (Vite's dist/). Default: web/dist in the
	// root of the module that holds this package (built by `make web`), located with `go list` like the Lambda
	// handlers.
	AssetDir string
	// RemovalPolicy of the site and access-log buckets and the deployment's log group: RETAIN,
	// RETAIN_ON_UPDATE_OR_DELETE or DESTROY. DESTROY also empties the buckets when the stack is deleted (CDK's
	// auto-delete custom resource), without which the deletion of a non-empty bucket fails. Default:
	// awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
	// PriceClass of the distribution. Default: awscloudfront.PriceClass_PRICE_CLASS_100 (North America, Europe,
	// Israel).
	PriceClass awscloudfront.PriceClass
	// Domain serves the app at your own domain with TLS 1.2 or newer (TLSv1.2_2021). Default: nil, the
	// distribution's own *.cloudfront.net name, for which CloudFront does not enforce a minimum TLS version.
	Domain *DomainProps
	// WebAclArn attaches an AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to the distribution. Default: none.
	WebAclArn string
	// ApiPaths are the CloudFront path patterns sent to the API instead of the bucket. The app must not use them
	// for its own routes. Add the paths of routes you add with Api.AddRoute. Default: "/notes" and "/notes/*".
	ApiPaths []string
	// LogRetention of the deployment function's log group and of the access logs (CloudFront and S3 server access
	// logs, expired by a lifecycle rule). Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
}

// DomainProps is a custom domain of the distribution. You create the DNS record (an alias or CNAME to
// Distribution().DistributionDomainName()).
type DomainProps struct {
	// DomainName is the host name the app is served at, e.g. notes.example.org. Required.
	DomainName string
	// Certificate covers DomainName and lives in us-east-1, as CloudFront requires. Required.
	Certificate awscertificatemanager.ICertificate
}

// props is NotesWebAppProps with every default applied.
type props struct {
	api           *notesapi.AuthenticatedNotesApi
	assetDir      string
	removalPolicy awscdk.RemovalPolicy
	priceClass    awscloudfront.PriceClass
	domain        *DomainProps
	webACL        string
	apiPaths      []string
	logRetention  awslogs.RetentionDays
	// logDays is logRetention in days for the log bucket's lifecycle rule; 0 = never expire.
	logDays int
}

// DefaultApiPaths are the notes API's routes as CloudFront path patterns.
var DefaultApiPaths = []string{"/notes", "/notes/*"}

// ValidateProps reports every misuse in p, joined, or nil. NewNotesWebApp panics with the same error, so an app
// that prefers an error value calls ValidateProps first. It does not check that the app is built: the
// constructor does, after locating the default AssetDir.
func ValidateProps(p *NotesWebAppProps) error {
	_, err := resolve(p)
	return err
}

func resolve(in *NotesWebAppProps) (*props, error) {
	if in == nil {
		in = &NotesWebAppProps{}
	}
	p := &props{
		api:           in.Api,
		assetDir:      in.AssetDir,
		removalPolicy: in.RemovalPolicy,
		priceClass:    in.PriceClass,
		domain:        in.Domain,
		webACL:        in.WebAclArn,
		apiPaths:      in.ApiPaths,
		logRetention:  in.LogRetention,
	}
	if p.removalPolicy == "" {
		p.removalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if p.priceClass == "" {
		p.priceClass = awscloudfront.PriceClass_PRICE_CLASS_100
	}
	if p.apiPaths == nil {
		p.apiPaths = DefaultApiPaths
	}
	if p.logRetention == "" {
		p.logRetention = awslogs.RetentionDays_ONE_MONTH
	}

	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.api == nil {
		add("Api is required: the AuthenticatedNotesApi the app talks to")
	}
	switch p.removalPolicy {
	case awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_DESTROY, awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE:
	default:
		add("RemovalPolicy %s: must be RETAIN, RETAIN_ON_UPDATE_OR_DELETE or DESTROY", p.removalPolicy)
	}
	switch p.priceClass {
	case awscloudfront.PriceClass_PRICE_CLASS_100, awscloudfront.PriceClass_PRICE_CLASS_200, awscloudfront.PriceClass_PRICE_CLASS_ALL:
	default:
		add("PriceClass %s: must be PRICE_CLASS_100, PRICE_CLASS_200 or PRICE_CLASS_ALL", p.priceClass)
	}
	if d := p.domain; d != nil {
		if err := checkHostName(d.DomainName); err != nil {
			add("Domain.DomainName: %w", err)
		}
		if d.Certificate == nil {
			add("Domain.Certificate is required: an ACM certificate in us-east-1 for %q", d.DomainName)
		} else if arn := *d.Certificate.CertificateArn(); !*awscdk.Token_IsUnresolved(jsii.String(arn)) {
			if parts := strings.Split(arn, ":"); len(parts) < 6 || parts[0] != "arn" || parts[3] != "us-east-1" {
				add("Domain.Certificate %q: CloudFront only uses ACM certificates from us-east-1", arn)
			}
		}
	}
	if p.webACL != "" && !*awscdk.Token_IsUnresolved(jsii.String(p.webACL)) && !strings.HasPrefix(p.webACL, "arn:") {
		add("WebAclArn %q: want the ARN of a WAFv2 web ACL with scope CLOUDFRONT", p.webACL)
	}
	if len(p.apiPaths) == 0 {
		add("ApiPaths: at least one path pattern is required, or nil for the default %q", DefaultApiPaths)
	}
	for i, pattern := range p.apiPaths {
		if err := checkApiPath(pattern); err != nil {
			add("ApiPaths: %w", err)
		}
		if slices.Contains(p.apiPaths[:i], pattern) {
			add("ApiPaths: %q is listed twice", pattern)
		}
	}
	days, ok := retentionDays[p.logRetention]
	if !ok {
		add("LogRetention %s: not a CloudWatch Logs retention", p.logRetention)
	}
	p.logDays = days
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid NotesWebAppProps: %w", errors.Join(errs...))
	}
	return p, nil
}

// checkHostName accepts a DNS name such as notes.example.org: no scheme, port, path or wildcard.
func checkHostName(name string) error {
	if name == "" {
		return errors.New("empty; want a host name such as notes.example.org")
	}
	if strings.ContainsAny(name, "/:*") || net.ParseIP(name) != nil || !strings.Contains(name, ".") || len(name) > 253 {
		return fmt.Errorf("%q: want a host name such as notes.example.org (no scheme, port, path or wildcard)", name)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.IndexFunc(label, func(r rune) bool {
				return !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) >= 0 {
			return fmt.Errorf("%q: label %q is not a valid DNS label", name, label)
		}
	}
	return nil
}

// checkApiPath accepts a CloudFront path pattern that leaves the app's own files to the bucket.
func checkApiPath(pattern string) error {
	switch {
	case !strings.HasPrefix(pattern, "/"):
		return fmt.Errorf("%q: a path pattern starts with \"/\"", pattern)
	case pattern == "/" || pattern == "/*" || pattern == "/index.html" || pattern == site.ConfigPath:
		return fmt.Errorf("%q would send the app's own files to the API", pattern)
	case len(pattern) > 255:
		return fmt.Errorf("%q: CloudFront path patterns are at most 255 characters", pattern)
	}
	return nil
}

// retentionDays is each CloudWatch Logs retention in days, for the access log bucket's lifecycle rule; INFINITE
// keeps the logs (0: no expiration).
var retentionDays = map[awslogs.RetentionDays]int{
	awslogs.RetentionDays_ONE_DAY: 1, awslogs.RetentionDays_THREE_DAYS: 3, awslogs.RetentionDays_FIVE_DAYS: 5,
	awslogs.RetentionDays_ONE_WEEK: 7, awslogs.RetentionDays_TWO_WEEKS: 14, awslogs.RetentionDays_ONE_MONTH: 30,
	awslogs.RetentionDays_TWO_MONTHS: 60, awslogs.RetentionDays_THREE_MONTHS: 90, awslogs.RetentionDays_FOUR_MONTHS: 120,
	awslogs.RetentionDays_FIVE_MONTHS: 150, awslogs.RetentionDays_SIX_MONTHS: 180, awslogs.RetentionDays_ONE_YEAR: 365,
	awslogs.RetentionDays_THIRTEEN_MONTHS: 400, awslogs.RetentionDays_EIGHTEEN_MONTHS: 545, awslogs.RetentionDays_TWO_YEARS: 731,
	awslogs.RetentionDays_THREE_YEARS: 1096, awslogs.RetentionDays_FIVE_YEARS: 1827, awslogs.RetentionDays_SIX_YEARS: 2192,
	awslogs.RetentionDays_SEVEN_YEARS: 2557, awslogs.RetentionDays_EIGHT_YEARS: 2922, awslogs.RetentionDays_NINE_YEARS: 3288,
	awslogs.RetentionDays_TEN_YEARS: 3653, awslogs.RetentionDays_INFINITE: 0,
}
