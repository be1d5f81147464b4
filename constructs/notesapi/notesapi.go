package notesapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Scope is the OAuth scope every route requires. Only Cognito access tokens carry it, so ID tokens are refused
// even though the HTTP API's JWT authorizer never checks token_use.
const Scope = "aws.cognito.signin.user.admin"

// ModulePath is the Go module that holds the Lambda handlers.
const ModulePath = "github.com/authnotes/authnotes"

// Metadata keys written on every AWS::Lambda::Function, read by the local twin to rebuild and name functions.
const (
	MetadataGoPackage = "authnotes:goPackage"
	MetadataRoute     = "authnotes:route"
)

// route is one API route, its handler package and the only DynamoDB actions it may call.
type route struct {
	method  awsapigatewayv2.HttpMethod
	path    string
	id      string
	pkg     string
	actions []string
}

func (r route) key() string { return string(r.method) + " " + r.path }

// Update and delete may also GetItem: after a refused conditional write the store reads the note to tell 404
// (gone) from 412 (changed), because dynalite ignores ReturnValuesOnConditionCheckFailure and the same code runs
// locally and in AWS (lambda/internal/dynamostore).
var routes = []route{
	{awsapigatewayv2.HttpMethod_POST, "/notes", "CreateNote", ModulePath + "/lambda/createnote", []string{"dynamodb:PutItem"}},
	{awsapigatewayv2.HttpMethod_GET, "/notes", "ListNotes", ModulePath + "/lambda/listnotes", []string{"dynamodb:Query"}},
	{awsapigatewayv2.HttpMethod_GET, "/notes/{id}", "GetNote", ModulePath + "/lambda/getnote", []string{"dynamodb:GetItem"}},
	{awsapigatewayv2.HttpMethod_PUT, "/notes/{id}", "UpdateNote", ModulePath + "/lambda/updatenote", []string{"dynamodb:UpdateItem", "dynamodb:GetItem"}},
	{awsapigatewayv2.HttpMethod_DELETE, "/notes/{id}", "DeleteNote", ModulePath + "/lambda/deletenote", []string{"dynamodb:DeleteItem", "dynamodb:GetItem"}},
}

// AuthenticatedNotesApi is the construct. Its accessors expose everything it created so an app can extend it.
type AuthenticatedNotesApi struct {
	constructs.Construct
	userPool   awscognito.UserPool
	client     awscognito.UserPoolClient
	authorizer awsapigatewayv2authorizers.HttpUserPoolAuthorizer
	api        awsapigatewayv2.HttpApi
	stage      awsapigatewayv2.HttpStage
	accessLogs awslogs.LogGroup
	table      awsdynamodb.TableV2
	functions  map[string]awslambda.Function
	apiURL     *string
	alarmTopic awssns.ITopic
	alarms     map[string]awscloudwatch.Alarm
	dashboard  awscloudwatch.Dashboard
	// backupPlan and backupVault exist with Backup, domainName with Domain.
	backupPlan  awsbackup.BackupPlan
	backupVault awsbackup.BackupVault
	domainName  awsapigatewayv2.DomainName
}

// NewAuthenticatedNotesApi creates the construct under scope. It panics if props are invalid (see ValidateProps)
// or the handlers cannot be located or fingerprinted (for example when `go` is not on PATH).
func NewAuthenticatedNotesApi(scope constructs.Construct, id *string, props *AuthenticatedNotesApiProps) *AuthenticatedNotesApi {
	p, err := resolve(props)
	if err != nil {
		panic(fmt.Errorf("notesapi: %w", err))
	}
	a := &AuthenticatedNotesApi{functions: map[string]awslambda.Function{}}
	// The jsii way to subclass: a itself becomes the Construct, so it can be passed anywhere a scope is expected.
	constructs.NewConstruct_Override(a, scope, id)
	code, err := newCodeSource(a, p.goarch, routes)
	if err != nil {
		panic(fmt.Errorf("notesapi: %w", err))
	}
	a.newUserPool(p)
	a.newTable(p)
	a.newHttpApi(p)
	for _, r := range routes {
		fn := a.newFunction(p, r, code.code(r.pkg))
		a.functions[r.key()] = fn
		a.AddRoute(r.method, r.path, awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(r.id+"Integration"), fn,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0()}))
	}
	a.apiURL = a.stage.Url()
	if p.domain != nil {
		a.newDomain(p.domain)
	}
	if p.backup != nil {
		a.newBackup(p.backup)
	}
	if p.monitoring != nil {
		a.newMonitoring(p)
	}
	return a
}

func (a *AuthenticatedNotesApi) newUserPool(p *props) {
	var secondFactor *awscognito.MfaSecondFactor
	if p.mfa != awscognito.Mfa_OFF {
		secondFactor = &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)}
	}
	var threat awscognito.StandardThreatProtectionMode
	if p.featurePlan == awscognito.FeaturePlan_PLUS {
		threat = p.threatProtection
	}
	a.userPool = awscognito.NewUserPool(a, jsii.String("UserPool"), &awscognito.UserPoolProps{
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		SelfSignUpEnabled:   jsii.Bool(p.selfSignUp),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		UserVerification: &awscognito.UserVerificationConfig{
			EmailStyle:   awscognito.VerificationEmailStyle_CODE,
			EmailSubject: jsii.String("Your authnotes verification code"),
			EmailBody:    jsii.String("Your authnotes verification code is {####}"),
		},
		PasswordPolicy:               p.passwordPolicy,
		AccountRecovery:              awscognito.AccountRecovery_EMAIL_ONLY,
		Mfa:                          p.mfa,
		MfaSecondFactor:              secondFactor,
		FeaturePlan:                  p.featurePlan,
		StandardThreatProtectionMode: threat,
		DeletionProtection:           jsii.Bool(p.deletionProtection),
		RemovalPolicy:                p.removalPolicy,
	})

	var oauth *awscognito.OAuthSettings
	if p.oauth != nil {
		oauth = &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true), ImplicitCodeGrant: jsii.Bool(false)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_COGNITO_ADMIN()},
			CallbackUrls: jsii.Strings(p.oauth.CallbackUrls...),
			LogoutUrls:   jsii.Strings(p.oauth.LogoutUrls...),
		}
	}
	a.client = a.userPool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret:             jsii.Bool(false),
		AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(true), UserPassword: jsii.Bool(p.userPasswordAuth)},
		DisableOAuth:               jsii.Bool(p.oauth == nil),
		OAuth:                      oauth,
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Minutes(jsii.Number(p.accessTokenValidity.Minutes())),
		IdTokenValidity:            awscdk.Duration_Minutes(jsii.Number(p.idTokenValidity.Minutes())),
		RefreshTokenValidity:       awscdk.Duration_Minutes(jsii.Number(p.refreshTokenValidity.Minutes())),
	})
}

func (a *AuthenticatedNotesApi) newTable(p *props) {
	a.table = awsdynamodb.NewTableV2(a, jsii.String("Table"), &awsdynamodb.TablePropsV2{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("userId"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("noteId"), Type: awsdynamodb.AttributeType_STRING},
		Billing:      awsdynamodb.Billing_OnDemand(nil),
		Encryption:   awsdynamodb.TableEncryptionV2_AwsManagedKey(),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(p.deletionProtection),
		RemovalPolicy:      p.removalPolicy,
	})
}

// accessLogFields is the JSON access log record: one object per request, with the caller's sub and why a request
// failed (API Gateway's own error such as "Unauthorized" or "Too Many Requests", the authorizer's reason for a
// refused token, the integration's error and status), so a 401, 429 or 5xx can be explained from the logs alone.
var accessLogFields = map[string]string{
	"requestId":          "$context.requestId",
	"requestTime":        "$context.requestTime",
	"ip":                 "$context.identity.sourceIp",
	"userAgent":          "$context.identity.userAgent",
	"httpMethod":         "$context.httpMethod",
	"routeKey":           "$context.routeKey",
	"path":               "$context.path",
	"status":             "$context.status",
	"protocol":           "$context.protocol",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"sub":                "$context.authorizer.claims.sub",
	"authorizerError":    "$context.authorizer.error",
	"error":              "$context.error.message",
	"integrationError":   "$context.integrationErrorMessage",
	"integrationStatus":  "$context.integrationStatus",
	"integrationLatency": "$context.integrationLatency",
}

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings (pointer receiver: jsii calls back into it).
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (s *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return s.destination }
func (s *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return s.format }

func (a *AuthenticatedNotesApi) newHttpApi(p *props) {
	a.authorizer = awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CognitoAuthorizer"), a.userPool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			// Bind the authorizer to our client; without it CDK silently creates a second client.
			UserPoolClients: &[]awscognito.IUserPoolClient{a.client},
			IdentitySource:  jsii.Strings("$request.header.Authorization"),
		})
	var cors *awsapigatewayv2.CorsPreflightOptions
	if len(p.corsOrigins) > 0 {
		cors = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(p.corsOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_DELETE, awsapigatewayv2.CorsHttpMethod_OPTIONS},
			AllowHeaders:  jsii.Strings("authorization", "content-type", "if-match", "if-none-match"),
			ExposeHeaders: jsii.Strings("etag", "location"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	a.api = awsapigatewayv2.NewHttpApi(a, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		// Unique per construct path (stack included), so two stages or two constructs are told apart in the console.
		ApiName:     awscdk.Names_UniqueResourceName(a, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(128)}),
		Description: jsii.String("authnotes notes API: every route needs a Cognito access token"),
		// The default stage is created below, with throttling and access logs.
		CreateDefaultStage:         jsii.Bool(false),
		DefaultAuthorizer:          a.authorizer,
		DefaultAuthorizationScopes: jsii.Strings(Scope),
		CorsPreflight:              cors,
	})
	a.accessLogs = awslogs.NewLogGroup(a, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     p.logRetention,
		RemovalPolicy: p.removalPolicy,
	})
	format, err := json.Marshal(accessLogFields)
	if err != nil {
		panic(fmt.Errorf("notesapi: impossible: marshal access log format: %w", err))
	}
	a.stage = a.api.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(p.rateLimit), BurstLimit: jsii.Number(p.burstLimit)},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(a.accessLogs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(string(format))),
		},
	})
}

func (a *AuthenticatedNotesApi) newFunction(p *props, r route, code awslambda.Code) awslambda.Function {
	logs := awslogs.NewLogGroup(a, jsii.String(r.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     p.logRetention,
		RemovalPolicy: p.removalPolicy,
	})
	// An own role per function instead of AWSLambdaBasicExecutionRole: it may write only to its log group and
	// call only its route's DynamoDB actions on this table.
	role := awsiam.NewRole(a, jsii.String(r.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("authnotes " + r.key()),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	}))
	a.table.Grant(role, *jsii.Strings(r.actions...)...)
	fn := awslambda.NewFunction(a, jsii.String(r.id), &awslambda.FunctionProps{
		Description:           jsii.String("authnotes " + r.key()),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          p.architecture,
		Handler:               jsii.String("bootstrap"),
		Code:                  code,
		MemorySize:            jsii.Number(p.memorySize),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(p.timeout.Seconds())),
		Environment:           &map[string]*string{"TABLE_NAME": a.table.TableName()},
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: p.logLevel,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              logs,
		Role:                  role,
		Tracing:               p.tracing,
	})
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.AddMetadata(jsii.String(MetadataGoPackage), r.pkg)
	cfn.AddMetadata(jsii.String(MetadataRoute), r.key())
	return fn
}

// AddRoute adds an authenticated route to the API: the same Cognito authorizer and the same required scope as the
// notes routes. It panics on an empty method, a nil integration or a path that does not start with "/" (the HTTP
// API would reject it at deploy time).
func (a *AuthenticatedNotesApi) AddRoute(method awsapigatewayv2.HttpMethod, path string, integration awsapigatewayv2.HttpRouteIntegration) []awsapigatewayv2.HttpRoute {
	if !strings.HasPrefix(path, "/") || integration == nil || method == "" {
		panic(fmt.Errorf("notesapi: AddRoute(%q, %q): want an HTTP method, a path starting with \"/\" and an integration", method, path))
	}
	return *a.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:                jsii.String(path),
		Methods:             &[]awsapigatewayv2.HttpMethod{method},
		Integration:         integration,
		Authorizer:          a.authorizer,
		AuthorizationScopes: jsii.Strings(Scope),
	})
}

// UserPool is the Cognito user pool (email sign-in).
func (a *AuthenticatedNotesApi) UserPool() awscognito.UserPool { return a.userPool }

// UserPoolClient is the public app client (no secret) the authorizer accepts.
func (a *AuthenticatedNotesApi) UserPoolClient() awscognito.UserPoolClient { return a.client }

// Authorizer is the JWT authorizer bound to UserPool and UserPoolClient.
func (a *AuthenticatedNotesApi) Authorizer() awsapigatewayv2authorizers.HttpUserPoolAuthorizer {
	return a.authorizer
}

// HttpApi is the HTTP API.
func (a *AuthenticatedNotesApi) HttpApi() awsapigatewayv2.HttpApi { return a.api }

// Stage is the API's $default stage (throttling, access logs).
func (a *AuthenticatedNotesApi) Stage() awsapigatewayv2.HttpStage { return a.stage }

// AccessLogGroup receives the stage's JSON access logs.
func (a *AuthenticatedNotesApi) AccessLogGroup() awslogs.LogGroup { return a.accessLogs }

// Table is the notes table: partition key userId, sort key noteId.
func (a *AuthenticatedNotesApi) Table() awsdynamodb.TableV2 { return a.table }

// Functions returns the route handlers by route key, e.g. "POST /notes" (a copy; the functions are shared).
func (a *AuthenticatedNotesApi) Functions() map[string]awslambda.Function {
	return maps.Clone(a.functions)
}

// Function returns the handler of routeKey (e.g. "GET /notes/{id}"), or nil if there is no such notes route.
func (a *AuthenticatedNotesApi) Function(routeKey string) awslambda.Function {
	return a.functions[routeKey]
}

// ApiUrl is the API's URL, ending in "/": https://<Domain.DomainName>/ with a custom domain, else the invoke URL
// of the $default stage.
func (a *AuthenticatedNotesApi) ApiUrl() *string { return a.apiURL }
