// Package notesweb provides NotesWebApp, an L3 construct that hosts the notes web app for an
// AuthenticatedNotesApi: a private, versioned S3 bucket behind a CloudFront distribution (Origin Access Control),
// the built app and a generated /config.json deployed into it, and the security headers of package site.
//
// The distribution also serves the API's paths (ApiPaths) from the HTTP API, so the browser only ever calls its
// own origin and Cognito: the CSP's connect-src is 'self' plus the Cognito endpoint, and the API needs no CORS
// entry for the app. Naming the distribution in the API's CORS and the API in the distribution's CSP would be a
// circular dependency CloudFormation refuses.
//
// Misuse (invalid props, an app that is not built) panics with an error that starts "notesweb:", the way every CDK
// construct reports it while the tree is built; call ValidateProps first to get the props errors as a value.
package notesweb

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/internal/naming"
	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
	"github.com/authnotes/authnotes/constructs/notesweb/site"
)

// ImportPath is this package; the default AssetDir is web/dist in the root of its module.
const ImportPath = notesapi.ModulePath + "/constructs/notesweb"

// BuildHint says how to build the app into the default AssetDir.
const BuildHint = "run `make web` in the repository root (or `npm ci && npm run build` in web/)"

// Cache-Control of every deployed object: browsers revalidate on each load (a 304 from the edge when unchanged),
// CloudFront keeps objects until the next deployment invalidates them all.
const cacheControl = "public, max-age=0, s-maxage=31536000"

// noncurrentVersionDays is how long the site bucket keeps the objects a deployment replaced or pruned, so a bad
// deployment can be rolled back by restoring versions.
const noncurrentVersionDays = 30

//go:embed spa-fallback.js
var spaFallbackCode string

// NotesWebApp is the construct. Its accessors expose everything it created so an app can extend it.
type NotesWebApp struct {
	constructs.Construct
	bucket       awss3.Bucket
	logBucket    awss3.Bucket
	headers      awscloudfront.ResponseHeadersPolicy
	spaFallback  awscloudfront.Function
	distribution awscloudfront.Distribution
	deployment   awss3deployment.BucketDeployment
	deployLogs   awslogs.LogGroup
	webURL       *string
}

// NewNotesWebApp creates the construct under scope. It panics if props are invalid (see ValidateProps) or the app
// is not built in AssetDir.
func NewNotesWebApp(scope constructs.Construct, id *string, props *NotesWebAppProps) *NotesWebApp {
	p, err := resolve(props)
	if err != nil {
		panic(fmt.Errorf("notesweb: %w", err))
	}
	assetDir, err := locateAssetDir(p.assetDir)
	if err != nil {
		panic(fmt.Errorf("notesweb: %w", err))
	}
	policy, err := passwordPolicy(p.api.UserPool())
	if err != nil {
		panic(fmt.Errorf("notesweb: %w", err))
	}
	w := &NotesWebApp{}
	constructs.NewConstruct_Override(w, scope, id)
	w.newBuckets(p)
	w.newDistribution(p)
	w.newDeployment(p, assetDir, site.Config{
		ApiUrl:           *w.webURL,
		Region:           *awscdk.Stack_Of(w).Region(),
		UserPoolId:       *p.api.UserPool().UserPoolId(),
		UserPoolClientId: *p.api.UserPoolClient().UserPoolClientId(),
		PasswordPolicy:   policy,
	})
	return w
}

// locateAssetDir returns the built app's directory: dir, or web/dist in this package's module root.
func locateAssetDir(dir string) (string, error) {
	hint := "build the app into it first"
	if dir == "" {
		pkgs, err := gobuild.Locate(context.Background(), "", ImportPath)
		if err != nil {
			return "", fmt.Errorf("locate the web app's build directory: %w", err)
		}
		dir, hint = filepath.Join(pkgs[0].ModuleDir, "web", "dist"), BuildHint
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	index := filepath.Join(abs, "index.html")
	if _, err := os.Stat(index); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("the web app is not built: %s is missing; %s", index, hint)
	} else if err != nil {
		return "", fmt.Errorf("the web app's build: %w", err)
	}
	return abs, nil
}

// passwordPolicy reads the pool's password policy from its CloudFormation resource, so config.json shows exactly
// the rules Cognito enforces, with Cognito's defaults for what the template leaves out (as the twin reads them).
func passwordPolicy(pool awscognito.UserPool) (site.PasswordPolicy, error) {
	cfn, ok := pool.Node().DefaultChild().(awscognito.CfnUserPool)
	if !ok {
		return site.PasswordPolicy{}, errors.New("impossible: the user pool has no CfnUserPool")
	}
	raw, err := json.Marshal(awscdk.Stack_Of(pool).Resolve(cfn.Policies()))
	if err != nil {
		return site.PasswordPolicy{}, fmt.Errorf("read the user pool's password policy: %w", err)
	}
	// Field names match the resolved L1 properties whatever their case (encoding/json is case-insensitive).
	var policies struct {
		PasswordPolicy *struct {
			MinimumLength                                                      *int
			RequireLowercase, RequireUppercase, RequireNumbers, RequireSymbols bool
		}
	}
	if err := json.Unmarshal(raw, &policies); err != nil {
		return site.PasswordPolicy{}, fmt.Errorf("the user pool's password policy must be literal values to be shown by the app: %w", err)
	}
	pp := policies.PasswordPolicy
	if pp == nil {
		// No policy in the template: Cognito's default.
		return site.PasswordPolicy{MinLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true}, nil
	}
	out := site.PasswordPolicy{MinLength: 8, RequireLowercase: pp.RequireLowercase, RequireUppercase: pp.RequireUppercase,
		RequireNumbers: pp.RequireNumbers, RequireSymbols: pp.RequireSymbols}
	if pp.MinimumLength != nil {
		out.MinLength = *pp.MinimumLength
	}
	return out, nil
}

func (w *NotesWebApp) newBuckets(p *props) {
	destroy := p.removalPolicy == awscdk.RemovalPolicy_DESTROY
	var expire []*awss3.LifecycleRule
	if p.logDays > 0 {
		expire = append(expire, &awss3.LifecycleRule{Expiration: awscdk.Duration_Days(jsii.Number(p.logDays))})
	}
	w.logBucket = awss3.NewBucket(w, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		// CloudFront's standard logs are delivered with an ACL grant, which needs ACLs enabled.
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules:    &expire,
		RemovalPolicy:     p.removalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})
	w.bucket = awss3.NewBucket(w, jsii.String("Site"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: w.logBucket,
		ServerAccessLogsPrefix: jsii.String("s3/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(noncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy:     p.removalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})
}

// headerEnum turns a header value of package site ("no-referrer") into the CDK enum member that renders it
// ("NO_REFERRER").
func headerEnum(value string) string {
	return strings.ToUpper(strings.ReplaceAll(value, "-", "_"))
}

func (w *NotesWebApp) newDistribution(p *props) {
	// The app calls the API on its own origin ('self') and Cognito directly (SRP from the browser).
	cognito := "https://cognito-idp." + *awscdk.Stack_Of(w).Region() + ".amazonaws.com"
	if site.ContentTypeOptions != "nosniff" {
		panic("notesweb: impossible: CloudFront can only send X-Content-Type-Options: nosniff, site says " + site.ContentTypeOptions)
	}
	w.headers = awscloudfront.NewResponseHeadersPolicy(w, jsii.String("SecurityHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("authnotes web app: the security headers of constructs/notesweb/site"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(site.ContentSecurityPolicy(cognito)), Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(site.StrictTransportSecurityMaxAgeSeconds)),
				IncludeSubdomains:   jsii.Bool(true), Override: jsii.Bool(true)},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption(headerEnum(site.FrameOptions)), Override: jsii.Bool(true)},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy(headerEnum(site.ReferrerPolicy)), Override: jsii.Bool(true)},
		},
	})
	w.spaFallback = awscloudfront.NewFunction(w, jsii.String("SpaFallback"), &awscloudfront.FunctionProps{
		// CloudFront function names are per account, across regions: the stack's region and name and the
		// construct's place in the stack keep them apart, and the same inside a pipeline's stage (64 at most).
		FunctionName: jsii.String(naming.Stable(w, "SpaFallback", 64)),
		Code:         awscloudfront.FunctionCode_FromInline(jsii.String(spaFallbackCode)),
		Runtime:      awscloudfront.FunctionRuntime_JS_2_0(),
		Comment:      jsii.String("authnotes web app: app routes get /index.html"),
	})

	var domainNames *[]*string
	var minTLS awscloudfront.SecurityPolicyProtocol
	var certificate awscertificatemanager.ICertificate
	if p.domain != nil {
		domainNames = jsii.Strings(p.domain.DomainName)
		minTLS = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
		certificate = p.domain.Certificate
	}
	var webACL *string
	if p.webACL != "" {
		webACL = jsii.String(p.webACL)
	}
	w.distribution = awscloudfront.NewDistribution(w, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("authnotes web app and notes API"),
		DefaultRootObject: jsii.String("index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			// Fixed origin IDs: CDK's generated ones include the construct path, which a pipeline's stage changes.
			Origin: awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(w.bucket,
				&awscloudfrontorigins.S3BucketOriginWithOACProps{OriginId: jsii.String("site")}),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: w.headers,
			Compress:              jsii.Bool(true),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST, Function: w.spaFallback}},
		},
		DomainNames:            domainNames,
		Certificate:            certificate,
		MinimumProtocolVersion: minTLS,
		HttpVersion:            awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:             p.priceClass,
		WebAclId:               webACL,
		EnableLogging:          jsii.Bool(true),
		LogBucket:              w.logBucket,
		LogFilePrefix:          jsii.String("cloudfront/"),
	})

	// The API's paths go to the HTTP API's execute-api endpoint, uncached, with every viewer header but Host (the
	// endpoint answers 403 to a foreign Host): Authorization reaches the JWT authorizer, If-Match the handlers.
	// The stage's throttling and the authorizer apply as they do to direct calls.
	apiDomain := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), p.api.HttpApi().ApiEndpoint(), nil))
	apiOrigin := awscloudfrontorigins.NewHttpOrigin(apiDomain, &awscloudfrontorigins.HttpOriginProps{
		OriginId:           jsii.String("api"),
		ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
	})
	// Added one by one, in order: CloudFront matches behaviors in the order they are listed.
	for _, path := range p.apiPaths {
		w.distribution.AddBehavior(jsii.String(path), apiOrigin, &awscloudfront.AddBehaviorOptions{
			// HTTPS_ONLY, not a redirect: a redirected POST or PUT would lose its body.
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ResponseHeadersPolicy: w.headers,
			Compress:              jsii.Bool(true),
		})
	}

	host := w.distribution.DistributionDomainName()
	if p.domain != nil {
		host = jsii.String(p.domain.DomainName)
	}
	w.webURL = jsii.String("https://" + *host + "/")
}

func (w *NotesWebApp) newDeployment(p *props, assetDir string, cfg site.Config) {
	// Through JSON, so config.json has exactly site.Config's fields; the tokens in it (pool, client, domain) are
	// resolved by the deployment at deploy time.
	raw, err := json.Marshal(cfg)
	if err != nil {
		panic(fmt.Errorf("notesweb: impossible: marshal config.json: %w", err))
	}
	var config map[string]any
	if err := json.Unmarshal(raw, &config); err != nil {
		panic(fmt.Errorf("notesweb: impossible: unmarshal config.json: %w", err))
	}

	w.deployLogs = awslogs.NewLogGroup(w, jsii.String("DeploymentLogs"), &awslogs.LogGroupProps{
		Retention:     p.logRetention,
		RemovalPolicy: p.removalPolicy,
	})
	// An own role instead of the AWSLambdaBasicExecutionRole CDK would attach: logs only to its log group. The
	// deployment adds the bucket and invalidation grants it needs.
	role := awsiam.NewRole(w, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("authnotes web app deployment: copies the build and config.json into the site bucket"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*w.deployLogs.LogGroupArn()),
	}))
	configKey := strings.TrimPrefix(site.ConfigPath, "/")
	w.deployment = awss3deployment.NewBucketDeployment(w, jsii.String("Deployment"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: w.bucket,
		Sources: &[]awss3deployment.ISource{
			// A config.json in the build (a development leftover) must not replace the generated one.
			awss3deployment.Source_Asset(jsii.String(assetDir), &awss3assets.AssetOptions{Exclude: jsii.Strings(configKey)}),
			awss3deployment.Source_JsonData(jsii.String(configKey), config, nil),
		},
		CacheControl: &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(cacheControl))},
		Prune:        jsii.Bool(true),
		// Every object, index.html and config.json included, is fresh at every edge once the deployment ends.
		Distribution:      w.distribution,
		DistributionPaths: jsii.Strings("/*"),
		Role:              role,
		LogGroup:          w.deployLogs,
	})
}

// Bucket is the private site bucket (the app's build and config.json), readable only by the distribution.
func (w *NotesWebApp) Bucket() awss3.Bucket { return w.bucket }

// LogBucket receives the distribution's standard logs (prefix cloudfront/) and the site bucket's server access
// logs (prefix s3/).
func (w *NotesWebApp) LogBucket() awss3.Bucket { return w.logBucket }

// Distribution is the CloudFront distribution serving the app and the API's paths.
func (w *NotesWebApp) Distribution() awscloudfront.Distribution { return w.distribution }

// ResponseHeadersPolicy carries the security headers of package site, on every behavior.
func (w *NotesWebApp) ResponseHeadersPolicy() awscloudfront.ResponseHeadersPolicy { return w.headers }

// SpaFallback is the viewer-request function that serves /index.html for app routes.
func (w *NotesWebApp) SpaFallback() awscloudfront.Function { return w.spaFallback }

// Deployment copies the build and config.json into Bucket and invalidates the distribution's cache.
func (w *NotesWebApp) Deployment() awss3deployment.BucketDeployment { return w.deployment }

// DeploymentLogGroup receives the deployment function's logs.
func (w *NotesWebApp) DeploymentLogGroup() awslogs.LogGroup { return w.deployLogs }

// WebUrl is the app's URL, https://<domain>/ (the custom domain, or the distribution's), ending in "/". It is
// also the API URL the app uses (config.json's apiUrl).
func (w *NotesWebApp) WebUrl() *string { return w.webURL }
