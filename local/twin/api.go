package twin

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/gateway"
	"github.com/authnotes/authnotes/local/jwtauth"
)

// cognitoIssuer matches the issuer URL of a Cognito user pool.
var cognitoIssuer = regexp.MustCompile(`^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/([A-Za-z0-9-]+_[A-Za-z0-9]+)$`)

// API Gateway's default account-level throttling per region, which applies where a stage sets no limit.
const (
	accountRateLimit  = 10000
	accountBurstLimit = 5000
)

// apiInputs is what apiConfig needs besides the template.
type apiInputs struct {
	rv        *cfn.Resolver
	functions map[string]gateway.Invoker // by function ARN
	// localIssuer maps a pool ID to the local Cognito issuer; "" when the pool is not served locally.
	localIssuer func(poolID string) string
}

// apiConfig builds the gateway's configuration from the HTTP API of the stack: its routes and integrations, JWT
// authorizers, CORS configuration and the $default stage's throttling and access log format.
func apiConfig(st *cfn.Stack, in apiInputs) (gateway.Config, string, error) {
	var cfg gateway.Config
	apis := st.Template.OfType("AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		return cfg, "", fmt.Errorf("stack %s has %d AWS::ApiGatewayV2::Api resources; the twin serves exactly one", st.Name, len(apis))
	}
	api := apis[0]
	apiID := in.rv.Refs[api.LogicalID]
	apiProps, err := in.rv.Properties(api)
	if err != nil {
		return cfg, "", err
	}
	if pt, _ := apiProps["ProtocolType"].(string); pt != "HTTP" {
		return cfg, "", fmt.Errorf("api %s: ProtocolType %q; the twin serves HTTP APIs", api.Path(), pt)
	}
	cfg.APIID = apiID
	if c, ok := apiProps["CorsConfiguration"].(map[string]any); ok {
		cfg.Cors = &gateway.Cors{
			AllowOrigins: stringList(c["AllowOrigins"]), AllowMethods: stringList(c["AllowMethods"]),
			AllowHeaders: stringList(c["AllowHeaders"]), ExposeHeaders: stringList(c["ExposeHeaders"]),
		}
		cfg.Cors.MaxAge, _ = number(c["MaxAge"])
		cfg.Cors.AllowCredentials, _ = c["AllowCredentials"].(bool)
	}

	// Routes name integrations and authorizers by their physical IDs.
	byRef := func(typ string) map[string]cfn.Resource {
		out := map[string]cfn.Resource{}
		for _, r := range st.Template.OfType(typ) {
			out[in.rv.Refs[r.LogicalID]] = r
		}
		return out
	}
	integrations := byRef("AWS::ApiGatewayV2::Integration")
	authorizers := byRef("AWS::ApiGatewayV2::Authorizer")

	cfg.Authorizers = map[string]gateway.Authorizer{}
	for id, a := range authorizers {
		props, err := in.rv.Properties(a)
		if err != nil {
			return cfg, "", err
		}
		if t, _ := props["AuthorizerType"].(string); t != "JWT" {
			return cfg, "", fmt.Errorf("authorizer %s: AuthorizerType %q; the twin supports JWT authorizers", a.Path(), t)
		}
		jc, _ := props["JwtConfiguration"].(map[string]any)
		issuer, _ := jc["Issuer"].(string)
		audiences := stringList(jc["Audience"])
		local := issuer
		if m := cognitoIssuer.FindStringSubmatch(issuer); m != nil {
			if li := in.localIssuer(m[2]); li != "" {
				local = li
			}
		}
		if local == issuer && strings.HasPrefix(issuer, "https://") {
			return cfg, "", fmt.Errorf("authorizer %s: issuer %s is not a user pool of this stack; the twin cannot reach it offline", a.Path(), issuer)
		}
		v, err := jwtauth.NewVerifier(jwtauth.NewJWKS(strings.TrimSuffix(local, "/")+"/.well-known/jwks.json", jwtauth.JWKSOptions{}), jwtauth.Expect{Issuer: local, Audiences: audiences})
		if err != nil {
			return cfg, "", fmt.Errorf("authorizer %s: %w", a.Path(), err)
		}
		cfg.Authorizers[id] = gateway.Authorizer{IdentitySource: stringList(props["IdentitySource"]), Verifier: v}
	}

	for _, r := range st.Template.OfType("AWS::ApiGatewayV2::Route") {
		props, err := in.rv.Properties(r)
		if err != nil {
			return cfg, "", err
		}
		if id, _ := props["ApiId"].(string); id != apiID {
			continue
		}
		route := gateway.Route{Key: fmt.Sprint(props["RouteKey"]), Scopes: stringList(props["AuthorizationScopes"])}
		target, _ := props["Target"].(string)
		integ, ok := integrations[strings.TrimPrefix(target, "integrations/")]
		if !ok {
			return cfg, "", fmt.Errorf("route %s: target %q is not an integration of the stack", r.Path(), target)
		}
		ip, err := in.rv.Properties(integ)
		if err != nil {
			return cfg, "", err
		}
		if t, _ := ip["IntegrationType"].(string); t != "AWS_PROXY" {
			return cfg, "", fmt.Errorf("integration %s: IntegrationType %q; the twin supports Lambda proxy integrations", integ.Path(), t)
		}
		if v, _ := ip["PayloadFormatVersion"].(string); v != "2.0" {
			return cfg, "", fmt.Errorf("integration %s: PayloadFormatVersion %q; the twin speaks payload format 2.0", integ.Path(), v)
		}
		uri, _ := ip["IntegrationUri"].(string)
		fn, ok := in.functions[uri]
		if !ok {
			return cfg, "", fmt.Errorf("integration %s: %s is not a function of the stack", integ.Path(), uri)
		}
		route.Function = fn
		if ms, ok := number(ip["TimeoutInMillis"]); ok {
			route.Timeout = time.Duration(ms) * time.Millisecond
		}
		switch t, _ := props["AuthorizationType"].(string); t {
		case "", "NONE":
		case "JWT":
			route.Authorizer, _ = props["AuthorizerId"].(string)
		default:
			return cfg, "", fmt.Errorf("route %s: AuthorizationType %q; the twin supports NONE and JWT", r.Path(), t)
		}
		cfg.Routes = append(cfg.Routes, route)
	}

	stageName := gateway.DefaultStage
	for _, s := range st.Template.OfType("AWS::ApiGatewayV2::Stage") {
		props, err := in.rv.Properties(s)
		if err != nil {
			return cfg, "", err
		}
		if id, _ := props["ApiId"].(string); id != apiID {
			continue
		}
		stageName, _ = props["StageName"].(string)
		cfg.Stage = stageName
		if rs, ok := props["DefaultRouteSettings"].(map[string]any); ok {
			rate, hasRate := rs["ThrottlingRateLimit"].(float64)
			burst, hasBurst := number(rs["ThrottlingBurstLimit"])
			// A limit the stage leaves out is the account's, not zero (which would refuse every request).
			if !hasRate {
				rate = accountRateLimit
			}
			if !hasBurst {
				burst = accountBurstLimit
			}
			if hasRate || hasBurst {
				cfg.Throttle = &gateway.Throttle{Rate: rate, Burst: burst}
			}
		}
		if al, ok := props["AccessLogSettings"].(map[string]any); ok {
			cfg.AccessLogFormat, _ = al["Format"].(string)
		}
		break
	}
	return cfg, stageName, nil
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}
