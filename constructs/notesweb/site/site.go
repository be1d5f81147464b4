// Package site defines what the host of the notes web app serves besides the app's build: the runtime
// configuration (/config.json) and the security response headers. CloudFront (package notesweb) and the local twin
// both take them from here, so the deployed app and the local one run under the same policy.
//
// It imports nothing from the CDK, so the twin can use it without the CDK bindings.
package site

import (
	"sort"
	"strconv"
	"strings"
)

// ConfigPath is where the app loads its configuration from, relative to the site's root.
const ConfigPath = "/config.json"

// Config is the JSON document served at ConfigPath. One build of the app serves every stage; this document says
// which API and user pool it talks to.
type Config struct {
	// ApiUrl is the notes API's invoke URL, ending in "/".
	ApiUrl string `json:"apiUrl"`
	// Region of the user pool.
	Region string `json:"region"`
	// UserPoolId and UserPoolClientId identify the pool and its public app client (no secret).
	UserPoolId       string `json:"userPoolId"`
	UserPoolClientId string `json:"userPoolClientId"`
	// CognitoEndpoint replaces https://cognito-idp.<region>.amazonaws.com/ (the twin's Cognito endpoint). Empty
	// in AWS.
	CognitoEndpoint string `json:"cognitoEndpoint,omitempty"`
	// PasswordPolicy is the pool's password rules, shown before the user submits a new password.
	PasswordPolicy PasswordPolicy `json:"passwordPolicy"`
}

// PasswordPolicy mirrors the user pool's password policy.
type PasswordPolicy struct {
	MinLength        int  `json:"minLength"`
	RequireLowercase bool `json:"requireLowercase"`
	RequireUppercase bool `json:"requireUppercase"`
	RequireNumbers   bool `json:"requireNumbers"`
	RequireSymbols   bool `json:"requireSymbols"`
}

// Security header values. HSTS is ignored by browsers over plain http (the twin), so sending it locally is harmless.
const (
	StrictTransportSecurityMaxAgeSeconds = 63072000 // two years
	ReferrerPolicy                       = "no-referrer"
	FrameOptions                         = "DENY"
	ContentTypeOptions                   = "nosniff"
)

// ContentSecurityPolicy is the app's CSP: only its own scripts, styles and images, no inline code, no framing, and
// network access only to its own origin and connectSrc (the API and Cognito origins). connectSrc is sorted and
// de-duplicated so the policy is deterministic.
func ContentSecurityPolicy(connectSrc ...string) string {
	srcs := map[string]bool{}
	for _, s := range connectSrc {
		if s = strings.TrimSpace(s); s != "" {
			srcs[s] = true
		}
	}
	connect := []string{"'self'"}
	for s := range srcs {
		connect = append(connect, s)
	}
	sort.Strings(connect[1:])
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"manifest-src 'self'",
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}, "; ")
}

// Headers are the security response headers, by canonical name, for an app whose API and Cognito origins are
// connectSrc.
func Headers(connectSrc ...string) map[string]string {
	return map[string]string{
		"Content-Security-Policy":   ContentSecurityPolicy(connectSrc...),
		"Strict-Transport-Security": "max-age=" + strconv.Itoa(StrictTransportSecurityMaxAgeSeconds) + "; includeSubDomains",
		"X-Content-Type-Options":    ContentTypeOptions,
		"X-Frame-Options":           FrameOptions,
		"Referrer-Policy":           ReferrerPolicy,
	}
}
