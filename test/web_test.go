package test

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
)

// bucketPolicy returns the statements of the policy of bucket b.
func bucketPolicy(t *testing.T, tpl map[string]any, b resource) []any {
	t.Helper()
	for _, p := range ofType(tpl, "AWS::S3::BucketPolicy") {
		if cmp.Equal(p.props()["Bucket"], ref(b.ID)) {
			return p.props()["PolicyDocument"].(map[string]any)["Statement"].([]any)
		}
	}
	t.Fatalf("no bucket policy for %s", b.ID)
	return nil
}

func bucketAndObjects(id string) []any {
	return []any{getAtt(id, "Arn"), map[string]any{"Fn::Join": []any{"", []any{getAtt(id, "Arn"), "/*"}}}}
}

func TestWebBucketsArePrivateEncryptedAndLogged(t *testing.T) {
	logDays := map[string]float64{"dev": 7, "staging": 30, "prod": 365}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		blockAll := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		sse := map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}}
		pick := func(b resource, keys ...string) map[string]any {
			out := map[string]any{}
			for _, k := range keys {
				if v, ok := b.props()[k]; ok {
					out[k] = v
				}
			}
			return out
		}
		keys := []string{"PublicAccessBlockConfiguration", "BucketEncryption", "VersioningConfiguration", "OwnershipControls",
			"LoggingConfiguration", "LifecycleConfiguration", "AccessControl", "WebsiteConfiguration"}
		wantSite := map[string]any{
			"PublicAccessBlockConfiguration": blockAll, "BucketEncryption": sse,
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"OwnershipControls":       map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"LoggingConfiguration":    map[string]any{"DestinationBucketName": ref(w.logs.ID), "LogFilePrefix": "s3/"},
			"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{"Status": "Enabled",
				"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": 30.0},
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1.0}}}},
		}
		if diff := cmp.Diff(wantSite, pick(w.site, keys...)); diff != "" {
			t.Errorf("site bucket (-want +got):\n%s", diff)
		}
		// CloudFront's standard logs need ACLs (BucketOwnerPreferred); S3's server access logs come through the bucket
		// policy, not the legacy LogDeliveryWrite ACL.
		wantLogs := map[string]any{
			"PublicAccessBlockConfiguration": blockAll, "BucketEncryption": sse,
			"OwnershipControls":      map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerPreferred"}}},
			"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{"Status": "Enabled", "ExpirationInDays": logDays[s.cfg.Name]}}},
		}
		if diff := cmp.Diff(wantLogs, pick(w.logs, keys...)); diff != "" {
			t.Errorf("log bucket (-want +got):\n%s", diff)
		}
	})
}

func TestWebBucketsRefuseInsecureTransport(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		for _, b := range []resource{w.site, w.logs} {
			var denies []any
			for _, st := range bucketPolicy(t, s.json, b) {
				if st.(map[string]any)["Effect"] == "Deny" {
					denies = append(denies, st)
				}
			}
			want := []any{
				map[string]any{"Action": "s3:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Resource": bucketAndObjects(b.ID),
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
				map[string]any{"Action": "s3:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Resource": bucketAndObjects(b.ID),
					"Condition": map[string]any{"NumericLessThan": map[string]any{"s3:TlsVersion": 1.2}}},
			}
			if diff := cmp.Diff(want, denies); diff != "" {
				t.Errorf("%s deny statements (-want +got):\n%s", b.ID, diff)
			}
		}
	})
}

// TestWebSiteReadableOnlyThroughTheDistribution: the distribution reads the site bucket with Origin Access Control
// (signed requests, no legacy identity), and the bucket policy lets only that distribution read objects.
func TestWebSiteReadableOnlyThroughTheDistribution(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		var allows []any
		for _, st := range bucketPolicy(t, s.json, w.site) {
			m := st.(map[string]any)
			principal, _ := json.Marshal(m["Principal"])
			// In dev, CDK's auto-delete function may empty the bucket on stack deletion (TestWebRemovalPolicyPerStage).
			if m["Effect"] == "Allow" && !strings.Contains(string(principal), "CustomS3AutoDeleteObjectsCustomResourceProviderRole") {
				allows = append(allows, st)
			}
		}
		distArn := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":cloudfront::", ref("AWS::AccountId"), ":distribution/", ref(w.dist.ID)}}}
		want := []any{map[string]any{"Action": "s3:GetObject", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudfront.amazonaws.com"},
			"Resource":  map[string]any{"Fn::Join": []any{"", []any{getAtt(w.site.ID, "Arn"), "/*"}}},
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": distArn}}}}
		if diff := cmp.Diff(want, allows); diff != "" {
			t.Errorf("site bucket allow statements (-want +got):\n%s", diff)
		}
		var s3Origin map[string]any
		for _, o := range w.config()["Origins"].([]any) {
			if cmp.Equal(o.(map[string]any)["DomainName"], getAtt(w.site.ID, "RegionalDomainName")) {
				s3Origin = o.(map[string]any)
			}
		}
		got := map[string]any{"oac": s3Origin["OriginAccessControlId"], "s3": s3Origin["S3OriginConfig"], "config": w.oac.props()["OriginAccessControlConfig"].(map[string]any)["SigningBehavior"]}
		wantOrigin := map[string]any{"oac": getAtt(w.oac.ID, "Id"), "s3": map[string]any{"OriginAccessIdentity": ""}, "config": "always"}
		if diff := cmp.Diff(wantOrigin, got); diff != "" {
			t.Errorf("S3 origin (-want +got):\n%s", diff)
		}
		if p := w.oac.props()["OriginAccessControlConfig"].(map[string]any); p["OriginAccessControlOriginType"] != "s3" || p["SigningProtocol"] != "sigv4" {
			t.Errorf("origin access control %v; want an s3 OAC signing with sigv4", p)
		}
	})
}

// TestWebRemovalPolicyPerStage: dev deletes (and first empties) the buckets; staging and prod retain them.
func TestWebRemovalPolicyPerStage(t *testing.T) {
	want := map[string]struct {
		policy     string
		autoDelete int
	}{"dev": {"Delete", 2}, "staging": {"Retain", 0}, "prod": {"Retain", 0}}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		for _, b := range []resource{w.site, w.logs} {
			if b.Body["DeletionPolicy"] != want[s.cfg.Name].policy || b.Body["UpdateReplacePolicy"] != want[s.cfg.Name].policy {
				t.Errorf("%s DeletionPolicy %v UpdateReplacePolicy %v; want %s", b.ID, b.Body["DeletionPolicy"], b.Body["UpdateReplacePolicy"], want[s.cfg.Name].policy)
			}
		}
		emptied := map[any]bool{}
		for _, r := range ofType(s.json, "Custom::S3AutoDeleteObjects") {
			emptied[r.props()["BucketName"].(map[string]any)["Ref"]] = true
		}
		if len(emptied) != want[s.cfg.Name].autoDelete || (len(emptied) == 2 && !(emptied[w.site.ID] && emptied[w.logs.ID])) {
			t.Errorf("buckets emptied on deletion: %v; want %d (both buckets in dev, none elsewhere)", emptied, want[s.cfg.Name].autoDelete)
		}
	})
}

// TestWebDistributionServesTheAppAndTheApi: the bucket by default, the API's two path patterns from the HTTP API,
// uncached, with every viewer header but Host (so Authorization reaches the JWT authorizer), over TLS 1.2.
func TestWebDistributionServesTheAppAndTheApi(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		api := only(t, s.json, "AWS::ApiGatewayV2::Api")
		cfg := w.config()
		origins := map[string]map[string]any{}
		for _, o := range cfg["Origins"].([]any) {
			om := o.(map[string]any)
			origins[om["Id"].(string)] = om
		}
		def := cfg["DefaultCacheBehavior"].(map[string]any)
		site := origins[def["TargetOriginId"].(string)]
		if !cmp.Equal(site["DomainName"], getAtt(w.site.ID, "RegionalDomainName")) {
			t.Errorf("default behavior goes to %v; want the site bucket", site["DomainName"])
		}
		const cachingOptimized, cachingDisabled, allViewerExceptHost = "658327ea-f89d-4fab-a63d-7e88639e58f6", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "b689b0a8-53d0-40ab-baf2-68738e2966ac"
		gotDef := map[string]any{}
		for _, k := range []string{"ViewerProtocolPolicy", "AllowedMethods", "CachePolicyId", "OriginRequestPolicyId", "Compress", "ResponseHeadersPolicyId"} {
			gotDef[k] = def[k]
		}
		wantDef := map[string]any{"ViewerProtocolPolicy": "redirect-to-https", "AllowedMethods": []any{"GET", "HEAD"}, "CachePolicyId": cachingOptimized,
			"OriginRequestPolicyId": nil, "Compress": true, "ResponseHeadersPolicyId": ref(w.headers.ID)}
		if diff := cmp.Diff(wantDef, gotDef); diff != "" {
			t.Errorf("default behavior (-want +got):\n%s", diff)
		}

		behaviors := cfg["CacheBehaviors"].([]any)
		var patterns []string
		for _, b := range behaviors {
			bm := b.(map[string]any)
			patterns = append(patterns, bm["PathPattern"].(string))
			origin := origins[bm["TargetOriginId"].(string)]
			got := map[string]any{"origin": origin["DomainName"], "originConfig": origin["CustomOriginConfig"]}
			for _, k := range []string{"ViewerProtocolPolicy", "AllowedMethods", "CachePolicyId", "OriginRequestPolicyId", "ResponseHeadersPolicyId", "FunctionAssociations"} {
				got[k] = bm[k]
			}
			want := map[string]any{
				"origin":       map[string]any{"Fn::Select": []any{2.0, map[string]any{"Fn::Split": []any{"/", getAtt(api.ID, "ApiEndpoint")}}}},
				"originConfig": map[string]any{"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": []any{"TLSv1.2"}},
				// A redirect would turn a POST or PUT into a GET without its body: plain http is refused instead.
				"ViewerProtocolPolicy":    "https-only",
				"AllowedMethods":          []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
				"CachePolicyId":           cachingDisabled,
				"OriginRequestPolicyId":   allViewerExceptHost,
				"ResponseHeadersPolicyId": ref(w.headers.ID),
				"FunctionAssociations":    nil,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("behavior %s (-want +got):\n%s", bm["PathPattern"], diff)
			}
		}
		if diff := cmp.Diff([]string{"/notes", "/notes/*"}, patterns); diff != "" {
			t.Errorf("API path patterns (-want +got):\n%s", diff)
		}
	})
}

func TestWebDistributionPriceClassLoggingAndCertificatePerStage(t *testing.T) {
	price := map[string]string{"dev": "PriceClass_100", "staging": "PriceClass_100", "prod": "PriceClass_All"}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		cfg := w.config()
		got := map[string]any{}
		for _, k := range []string{"PriceClass", "Logging", "HttpVersion", "ViewerCertificate", "Aliases", "WebACLId", "Enabled"} {
			got[k] = cfg[k]
		}
		// No custom domain in any stage: the default *.cloudfront.net certificate (cdk-nag CFR4 suppressed with why).
		want := map[string]any{"PriceClass": price[s.cfg.Name], "HttpVersion": "http2and3", "Enabled": true,
			"Logging":           map[string]any{"Bucket": getAtt(w.logs.ID, "RegionalDomainName"), "Prefix": "cloudfront/"},
			"ViewerCertificate": nil, "Aliases": nil, "WebACLId": nil}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("distribution (-want +got):\n%s", diff)
		}
	})
}

// TestWebSpaFallbackOnlyOnTheSiteBehavior: app routes get index.html from a viewer-request function on the default
// behavior, not from custom error responses, which would also turn the API's 403 and 404 into the app's HTML.
func TestWebSpaFallbackOnlyOnTheSiteBehavior(t *testing.T) {
	w := webOf(t, stage(t, "dev").json)
	cfg := w.config()
	if er, ok := cfg["CustomErrorResponses"]; ok {
		t.Errorf("CustomErrorResponses = %v; want none (they apply to the API's answers too)", er)
	}
	if cfg["DefaultRootObject"] != "index.html" {
		t.Errorf("DefaultRootObject = %v; want index.html", cfg["DefaultRootObject"])
	}
	want := []any{map[string]any{"EventType": "viewer-request", "FunctionARN": getAtt(w.spa.ID, "FunctionARN")}}
	if diff := cmp.Diff(want, cfg["DefaultCacheBehavior"].(map[string]any)["FunctionAssociations"]); diff != "" {
		t.Errorf("default behavior functions (-want +got):\n%s", diff)
	}
	if got := w.spa.props()["FunctionConfig"].(map[string]any)["Runtime"]; got != "cloudfront-js-2.0" {
		t.Errorf("function runtime %v; want cloudfront-js-2.0", got)
	}
	if got, want := w.spa.props()["FunctionCode"], readRepoText(t, "constructs/notesweb/spa-fallback.js"); got != want {
		t.Errorf("deployed function code differs from constructs/notesweb/spa-fallback.js (the code TestSpaFallbackRewritesOnlyAppRoutes runs)")
	}
}

// headersOfPolicy renders a ResponseHeadersPolicy's security headers as CloudFront sends them.
func headersOfPolicy(t *testing.T, policy resource) map[string]string {
	t.Helper()
	sec := policy.props()["ResponseHeadersPolicyConfig"].(map[string]any)["SecurityHeadersConfig"].(map[string]any)
	out := map[string]string{}
	for name, v := range sec {
		h := v.(map[string]any)
		if h["Override"] != true {
			t.Errorf("%s does not override the origin's header", name)
		}
		switch name {
		case "ContentSecurityPolicy":
			out["Content-Security-Policy"] = h["ContentSecurityPolicy"].(string)
		case "StrictTransportSecurity":
			v := "max-age=" + strconv.Itoa(int(h["AccessControlMaxAgeSec"].(float64)))
			if h["IncludeSubdomains"] == true {
				v += "; includeSubDomains"
			}
			if h["Preload"] == true {
				v += "; preload"
			}
			out["Strict-Transport-Security"] = v
		case "ContentTypeOptions":
			out["X-Content-Type-Options"] = "nosniff"
		case "FrameOptions":
			out["X-Frame-Options"] = h["FrameOption"].(string)
		case "ReferrerPolicy":
			out["Referrer-Policy"] = h["ReferrerPolicy"].(string)
		default:
			t.Errorf("unexpected security header %s", name)
		}
	}
	return out
}

// TestWebSecurityHeadersAreSites: CloudFront sends exactly the headers package site defines (the twin serves the
// same), with connect-src naming only the app's own origin (the API) and the stage region's Cognito endpoint.
func TestWebSecurityHeadersAreSites(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		want := site.Headers("https://cognito-idp." + testRegion + ".amazonaws.com")
		if diff := cmp.Diff(want, headersOfPolicy(t, w.headers)); diff != "" {
			t.Errorf("response headers policy (-site +CloudFront):\n%s", diff)
		}
		if csp := want["Content-Security-Policy"]; !strings.Contains(csp, "connect-src 'self' https://cognito-idp."+testRegion+".amazonaws.com;") {
			t.Errorf("CSP %q; want connect-src 'self' and the Cognito endpoint only", csp)
		}
	})
}

// TestWebConfigJSON: the generated /config.json names the distribution as the API (same origin), the stage's pool
// and client, and the pool's password policy, with site.Config's fields and nothing else (no Cognito endpoint).
func TestWebConfigJSON(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		got := deployedConfig(t, s.json, s.out)
		want := map[string]any{
			"apiUrl":           "https://" + expr(getAtt(w.dist.ID, "DomainName")) + "/",
			"region":           testRegion,
			"userPoolId":       expr(ref(only(t, s.json, "AWS::Cognito::UserPool").ID)),
			"userPoolClientId": expr(ref(only(t, s.json, "AWS::Cognito::UserPoolClient").ID)),
			"passwordPolicy": map[string]any{"minLength": 12.0, "requireLowercase": true, "requireUppercase": true,
				"requireNumbers": true, "requireSymbols": true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("config.json (-want +got):\n%s", diff)
		}
		// It parses as site.Config with no field left over.
		b, _ := json.Marshal(got)
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var cfg site.Config
		if err := dec.Decode(&cfg); err != nil {
			t.Errorf("config.json is not a site.Config: %v", err)
		}
	})
}

func TestWebUrlOutputIsTheDistribution(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		got := s.json["Outputs"].(map[string]any)["WebUrl"].(map[string]any)["Value"]
		want := map[string]any{"Fn::Join": []any{"", []any{"https://", getAtt(w.dist.ID, "DomainName"), "/"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("WebUrl (-want +got):\n%s", diff)
		}
	})
}

// TestWebDeploymentShipsTheBuildAndInvalidates: the stages deploy this checkout's web/dist (the default AssetDir,
// located from the module root) and the generated config.json, prune what a build dropped, and invalidate the
// whole distribution.
func TestWebDeploymentShipsTheBuildAndInvalidates(t *testing.T) {
	s := stage(t, "dev")
	w := webOf(t, s.json)
	p := w.deployment.props()
	got := map[string]any{}
	for _, k := range []string{"DestinationBucketName", "DistributionId", "DistributionPaths", "Prune", "SystemMetadata", "WaitForDistributionInvalidation", "DestinationBucketKeyPrefix"} {
		got[k] = p[k]
	}
	want := map[string]any{"DestinationBucketName": ref(w.site.ID), "DistributionId": ref(w.dist.ID), "DistributionPaths": []any{"/*"},
		"Prune": true, "WaitForDistributionInvalidation": true, "DestinationBucketKeyPrefix": nil,
		"SystemMetadata": map[string]any{"cache-control": "public, max-age=0, s-maxage=31536000"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployment (-want +got):\n%s", diff)
	}
	keys := p["SourceObjectKeys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("deployment sources %v; want the build and config.json", keys)
	}
	build := treeFiles(t, filepath.Join(s.out, "asset."+strings.TrimSuffix(keys[0].(string), ".zip")))
	if diff := cmp.Diff(treeFiles(t, filepath.Join(repoRoot, "web", "dist")), build); diff != "" {
		t.Errorf("deployed build differs from web/dist (-web/dist +asset):\n%s", diff)
	}
}

// TestWebDeploymentRoleIsLeastPrivilege: CDK's deployment handler runs with the construct's own role (no AWS
// managed policy), logging only to its own log group with the stage's retention.
func TestWebDeploymentRoleIsLeastPrivilege(t *testing.T) {
	retention := map[string]float64{"dev": 7, "staging": 30, "prod": 365}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		w := webOf(t, s.json)
		var fn resource
		for _, f := range ofType(s.json, "AWS::Lambda::Function") {
			if cmp.Equal(w.deployment.props()["ServiceToken"], getAtt(f.ID, "Arn")) {
				fn = f
			}
		}
		if fn.ID == "" {
			t.Fatal("no function serves the deployment")
		}
		logGroup := fn.props()["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
		if got := s.json["Resources"].(map[string]any)[logGroup].(map[string]any)["Properties"].(map[string]any)["RetentionInDays"]; got != retention[s.cfg.Name] {
			t.Errorf("deployment log group retention %v; want %v", got, retention[s.cfg.Name])
		}
		role, statements := roleOf(t, s.json, fn)
		if mp, ok := role.props()["ManagedPolicyArns"]; ok {
			t.Errorf("deployment role has managed policies %v; want none", mp)
		}
		assets := "arn:aws:s3:::cdk-hnb659fds-assets-" + testAccount + "-" + testRegion
		want := []map[string]any{
			{"Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Effect": "Allow", "Resource": getAtt(logGroup, "Arn")},
			{"Action": []any{"s3:GetBucket*", "s3:GetObject*", "s3:List*"}, "Effect": "Allow", "Resource": []any{assets, assets + "/*"}},
			{"Action": []any{"s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:PutObject", "s3:PutObjectLegalHold",
				"s3:PutObjectRetention", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"}, "Effect": "Allow", "Resource": bucketAndObjects(w.site.ID)},
			{"Action": []any{"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"}, "Effect": "Allow", "Resource": "*"},
		}
		if diff := cmp.Diff(want, statements); diff != "" {
			t.Errorf("deployment role statements (-want +got):\n%s", diff)
		}
	})
}
