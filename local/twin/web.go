package twin

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/cognito"
	"github.com/authnotes/authnotes/local/gateway"
	"github.com/authnotes/authnotes/local/webapp"
)

// DefaultWebAddr is where cmd/twin serves the web app (ARCHITECTURE.md).
const DefaultWebAddr = webapp.DefaultAddr

// listenWeb binds the web app's address first, so Cognito and the API can allow its origin, and gives the stack's
// CloudFront distributions their local domain (what a WebUrl output or a CORS origin built from it resolves to).
func (t *Twin) listenWeb(phys *physical) error {
	if t.opts.WebAddr != "" {
		var err error
		if t.web, err = webapp.Listen(t.opts.WebAddr); err != nil {
			return err
		}
	}
	t.nameWeb(phys, t.stack)
	return nil
}

// nameWeb gives the stack's CloudFront distributions their local domain.
func (t *Twin) nameWeb(phys *physical, st *cfn.Stack) {
	domain := "localhost"
	if t.web != nil {
		domain = "localhost:" + t.web.Port()
	}
	for _, r := range st.Template.OfType("AWS::CloudFront::Distribution") {
		id := strings.ToUpper(shortID(st.Name+"/"+r.LogicalID, 14))
		phys.set(r.LogicalID, r.Type, id, map[string]string{"Id": id, "DomainName": domain})
	}
}

// browserOrigins are the origins whose pages may call Cognito: those the stage's HTTP API allows (CORS), plus the
// web app's own, as in AWS where the app's distribution is among the API's allowed origins.
func (t *Twin) browserOrigins(phys *physical) ([]string, error) {
	var origins []string
	rv := phys.resolver(t.stack)
	for _, api := range t.stack.Template.OfType("AWS::ApiGatewayV2::Api") {
		props, err := rv.Properties(api)
		if err != nil {
			return nil, err
		}
		if c, ok := props["CorsConfiguration"].(map[string]any); ok {
			origins = append(origins, stringList(c["AllowOrigins"])...)
		}
	}
	if t.web != nil {
		origins = append(origins, t.web.Origins()...)
	}
	return origins, nil
}

// allowWebOrigin adds the web app's origins to the API's CORS configuration. A stage without one gets the
// configuration the notes API construct gives a browser client, since locally the app and the API never share an
// origin.
func (t *Twin) allowWebOrigin(cfg *gateway.Config) {
	if t.web == nil {
		return
	}
	if cfg.Cors == nil {
		cfg.Cors = &gateway.Cors{
			AllowMethods:  []string{"GET", "POST", "PUT", "DELETE", "OPTIONS"},
			AllowHeaders:  []string{"authorization", "content-type", "if-match", "if-none-match"},
			ExposeHeaders: []string{"etag", "location"},
			MaxAge:        3600,
		}
	}
	cfg.Cors.AllowOrigins = append(cfg.Cors.AllowOrigins, t.web.Origins()...)
}

// serveWeb serves the build with the /config.json made from the stack outputs out, and sets out's WebUrl to the
// local app (or drops it when the twin serves none). It runs before outputs.json is written, which a client
// waiting for the twin takes as the sign that everything serves.
func (t *Twin) serveWeb(out map[string]string) error {
	if t.web == nil {
		delete(out, "WebUrl")
		return nil
	}
	specs, err := cognito.SpecsFromStack(t.stack)
	if err != nil {
		return err
	}
	cfg, err := webConfig(out, specs, t.idp)
	if err != nil {
		return err
	}
	if err := t.web.Serve(t.opts.WebDir, cfg, origin(cfg.ApiUrl), origin(cfg.CognitoEndpoint)); err != nil {
		return err
	}
	out["WebUrl"] = t.web.URL()
	fmt.Fprintf(t.opts.Log, "twin: web app on %s from %s\n", t.web.URL(), t.opts.WebDir)
	return nil
}

// webConfig is the app's /config.json: the twin's API and Cognito endpoint, and the password policy of the pool
// the stack outputs name.
func webConfig(out map[string]string, specs []cognito.PoolSpec, idp *cognito.Server) (site.Config, error) {
	cfg := site.Config{
		ApiUrl: out["ApiUrl"], Region: out["Region"], UserPoolId: out["UserPoolId"], UserPoolClientId: out["UserPoolClientId"],
		CognitoEndpoint: out["CognitoEndpoint"],
	}
	if idp != nil {
		for _, p := range specs {
			if idp.PoolID(p.LogicalID) != cfg.UserPoolId {
				continue
			}
			pp := p.Config.PasswordPolicy
			cfg.PasswordPolicy = site.PasswordPolicy{
				MinLength: pp.MinimumLength, RequireLowercase: pp.RequireLowercase, RequireUppercase: pp.RequireUppercase,
				RequireNumbers: pp.RequireNumbers, RequireSymbols: pp.RequireSymbols,
			}
			return cfg, nil
		}
	}
	return cfg, fmt.Errorf("the web app needs the stack outputs UserPoolId and UserPoolClientId naming a user pool of the stack (outputs: UserPoolId=%q); the twin serves %d pool(s)", cfg.UserPoolId, len(specs))
}

// origin is the scheme://host[:port] of a URL, as CSP and CORS name it.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
