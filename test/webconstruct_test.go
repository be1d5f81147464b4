package test

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb"
)

// webApp is the NotesWebApp part of a template.
type webApp struct {
	site, logs, dist, headers, spa, deployment, oac resource
}

// webOf picks the web app's resources out of tpl: the site bucket is the versioned one, the log bucket the other.
func webOf(t *testing.T, tpl map[string]any) webApp {
	t.Helper()
	var w webApp
	buckets := ofType(tpl, "AWS::S3::Bucket")
	if len(buckets) != 2 {
		t.Fatalf("%d buckets; want 2 (site and access logs)", len(buckets))
	}
	for _, b := range buckets {
		if _, versioned := b.props()["VersioningConfiguration"]; versioned {
			w.site = b
		} else {
			w.logs = b
		}
	}
	if w.site.ID == "" || w.logs.ID == "" {
		t.Fatalf("buckets %s and %s: want one versioned site bucket and one log bucket", buckets[0].ID, buckets[1].ID)
	}
	w.dist = only(t, tpl, "AWS::CloudFront::Distribution")
	w.headers = only(t, tpl, "AWS::CloudFront::ResponseHeadersPolicy")
	w.spa = only(t, tpl, "AWS::CloudFront::Function")
	w.deployment = only(t, tpl, "Custom::CDKBucketDeployment")
	w.oac = only(t, tpl, "AWS::CloudFront::OriginAccessControl")
	return w
}

func (w webApp) config() map[string]any {
	return w.dist.props()["DistributionConfig"].(map[string]any)
}

func readRepoText(t *testing.T, name string) string {
	t.Helper()
	return string(readRepoFile(t, name))
}

// TestSpaFallbackRewritesOnlyAppRoutes runs the CloudFront function's code with node on viewer requests.
func TestSpaFallbackRewritesOnlyAppRoutes(t *testing.T) {
	code := readRepoText(t, "constructs/notesweb/spa-fallback.js")
	tests := map[string]string{
		"/":                      "/index.html",
		"/new-note":              "/index.html",
		"/note/01JB2C3D4E/edit":  "/index.html",
		"/signin/":               "/index.html",
		"/index.html":            "/index.html",
		"/config.json":           "/config.json",
		"/assets/index-Ay6p.js":  "/assets/index-Ay6p.js",
		"/favicon.svg":           "/favicon.svg",
		"/assets/missing-xyz.js": "/assets/missing-xyz.js",
	}
	uris := make([]string, 0, len(tests))
	for uri := range tests {
		uris = append(uris, uri)
	}
	in, _ := json.Marshal(uris)
	script := code + `
const uris = ` + string(in) + `;
console.log(JSON.stringify(uris.map(uri => handler({request: {method: 'GET', uri, querystring: {}, headers: {}}}).uri)));`
	out, err := exec.Command("node", "-e", script).Output()
	if err != nil {
		t.Fatalf("node: %v (node is a prerequisite of the synth: install Node.js 20+)", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(uris) {
		t.Fatalf("node printed %q: %v", out, err)
	}
	for i, uri := range uris {
		if got[i] != tests[uri] {
			t.Errorf("handler(%q).uri = %q; want %q", uri, got[i], tests[uri])
		}
	}
}

// deployedConfig returns config.json as the deployment writes it, each deploy-time marker replaced by the
// CloudFormation expression it stands for, as compact JSON between {{ and }}.
func deployedConfig(t *testing.T, tpl map[string]any, out string) map[string]any {
	t.Helper()
	dep := only(t, tpl, "Custom::CDKBucketDeployment").props()
	keys, markers := dep["SourceObjectKeys"].([]any), dep["SourceMarkers"].([]any)
	var found []map[string]any
	for i, k := range keys {
		b, err := os.ReadFile(filepath.Join(out, "asset."+strings.TrimSuffix(k.(string), ".zip"), "config.json"))
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatalf("config.json of source %d: %v\n%s", i, err, b)
		}
		for k, v := range cfg {
			if str, ok := v.(string); ok {
				for marker, e := range markers[i].(map[string]any) {
					str = strings.ReplaceAll(str, marker, expr(e))
				}
				cfg[k] = str
			}
		}
		found = append(found, cfg)
	}
	if len(found) != 1 {
		t.Fatalf("%d deployment sources hold a config.json; want exactly 1 (the generated one)", len(found))
	}
	return found[0]
}

func expr(v any) string {
	b, _ := json.Marshal(v)
	return "{{" + string(b) + "}}"
}

// treeFiles maps every regular file under dir (slash-separated relative path) to its content.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// webFixture is a stand-in build for the construct tests, with a stale config.json the deployment must drop.
var webFixture = filepath.Join("testdata", "webapp")

// newWebStack returns a stack (in a fresh app that skips bundling) holding a notes API made with apiProps, and the
// app's output directory.
func newWebStack(t *testing.T, id string, apiProps *notesapi.AuthenticatedNotesApiProps) (awscdk.Stack, *notesapi.AuthenticatedNotesApi, string) {
	t.Helper()
	app, out := newApp(t, nil)
	stack := awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)},
	})
	return stack, notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), apiProps), out
}

func TestWebValidateProps(t *testing.T) {
	stack, api, _ := newWebStack(t, "WebValidate", nil)
	cert := func(arn string) awscertificatemanager.ICertificate {
		return awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String(strconv.Itoa(len(*stack.Node().Children()))), jsii.String(arn))
	}
	const usEast1 = "arn:aws:acm:us-east-1:123456789012:certificate/0b5d4a5e-0000-4000-8000-000000000000"
	tests := []struct {
		name  string
		props *notesweb.NotesWebAppProps
		err   string // "" = valid
	}{
		{"only the API", &notesweb.NotesWebAppProps{Api: api}, ""},
		{"custom domain", &notesweb.NotesWebAppProps{Api: api, Domain: &notesweb.DomainProps{DomainName: "notes.example.org", Certificate: cert(usEast1)}}, ""},
		{"no API", &notesweb.NotesWebAppProps{}, "Api is required"},
		{"nil props", nil, "Api is required"},
		{"snapshot removal", &notesweb.NotesWebAppProps{Api: api, RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT}, "RemovalPolicy SNAPSHOT"},
		{"unknown price class", &notesweb.NotesWebAppProps{Api: api, PriceClass: "PRICE_CLASS_42"}, "PriceClass PRICE_CLASS_42"},
		{"domain without certificate", &notesweb.NotesWebAppProps{Api: api, Domain: &notesweb.DomainProps{DomainName: "notes.example.org"}}, "Domain.Certificate is required"},
		{"certificate outside us-east-1", &notesweb.NotesWebAppProps{Api: api, Domain: &notesweb.DomainProps{DomainName: "notes.example.org",
			Certificate: cert(strings.Replace(usEast1, "us-east-1", "eu-west-1", 1))}}, "CloudFront only uses ACM certificates from us-east-1"},
		{"domain as a URL", &notesweb.NotesWebAppProps{Api: api, Domain: &notesweb.DomainProps{DomainName: "https://notes.example.org", Certificate: cert(usEast1)}}, "Domain.DomainName"},
		{"wildcard domain", &notesweb.NotesWebAppProps{Api: api, Domain: &notesweb.DomainProps{DomainName: "*.example.org", Certificate: cert(usEast1)}}, "Domain.DomainName"},
		{"web ACL ID instead of ARN", &notesweb.NotesWebAppProps{Api: api, WebAclArn: "473e64fd-f30b-4765-81a0-62ad96dd167a"}, "WebAclArn"},
		{"empty API paths", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{}}, "ApiPaths: at least one"},
		{"API path shadowing the app", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{"/*"}}, `"/*" would send the app's own files to the API`},
		{"API path over config.json", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{"/config.json"}}, "would send the app's own files"},
		{"relative API path", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{"notes"}}, `"notes": a path pattern starts with "/"`},
		{"duplicate API path", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{"/notes", "/notes"}}, `"/notes" is listed twice`},
		{"unknown log retention", &notesweb.NotesWebAppProps{Api: api, LogRetention: "FOREVER"}, "LogRetention FOREVER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notesweb.ValidateProps(tt.props)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("ValidateProps = %v; want nil", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ValidateProps = %v; want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestWebConstructorPanicsBeforeCreatingAnything(t *testing.T) {
	stack, api, _ := newWebStack(t, "WebInvalid", nil)
	before := len(*stack.Node().Children())
	tests := []struct {
		name  string
		props *notesweb.NotesWebAppProps
		want  []string
	}{
		{"invalid props", &notesweb.NotesWebAppProps{Api: api, ApiPaths: []string{"/*"}, PriceClass: "cheap"},
			[]string{"notesweb: invalid NotesWebAppProps", `"/*" would send`, "PriceClass cheap"}},
		{"build missing from AssetDir", &notesweb.NotesWebAppProps{Api: api, AssetDir: t.TempDir()},
			[]string{"notesweb: the web app is not built", "index.html is missing; build the app into it first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := panicMessage(func() { notesweb.NewNotesWebApp(stack, jsii.String("Web"), tt.props) })
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("NewNotesWebApp panicked with %q; want it to contain %q", msg, w)
				}
			}
		})
	}
	if after := len(*stack.Node().Children()); after != before {
		t.Errorf("stack has %d children after the failed constructors, %d before; want nothing created", after, before)
	}
}

// TestWebDefaultBuildDirMissingSaysMakeWeb: from a module whose copy of this one has no web/dist (no build yet),
// the default AssetDir is that copy's web/dist and the error says how to build it.
func TestWebDefaultBuildDirMissingSaysMakeWeb(t *testing.T) {
	consumer, provider := consumerOfCopy(t)
	t.Chdir(filepath.Join(consumer, "infra"))
	_, api, _ := newWebStack(t, "WebUnbuilt", nil)
	msg := panicMessage(func() { notesweb.NewNotesWebApp(api, jsii.String("Web"), &notesweb.NotesWebAppProps{Api: api}) })
	for _, want := range []string{filepath.Join(provider, "web", "dist", "index.html") + " is missing", "make web", "npm ci && npm run build"} {
		if !strings.Contains(msg, want) {
			t.Errorf("NewNotesWebApp without a build panicked with %q; want it to contain %q", msg, want)
		}
	}
}

// TestWebCustomDomainWebAclAndApiPaths: a custom domain brings TLSv1.2_2021 with SNI and becomes the app's and the
// API's URL; a web ACL is attached; extra API paths get the API behavior after the default ones, in order.
func TestWebCustomDomainWebAclAndApiPaths(t *testing.T) {
	stack, api, out := newWebStack(t, "WebDomain", nil)
	const certArn = "arn:aws:acm:us-east-1:123456789012:certificate/0b5d4a5e-0000-4000-8000-000000000000"
	const aclArn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/notes/473e64fd-f30b-4765-81a0-62ad96dd167a"
	web := notesweb.NewNotesWebApp(stack, jsii.String("Web"), &notesweb.NotesWebAppProps{
		Api:       api,
		AssetDir:  webFixture,
		Domain:    &notesweb.DomainProps{DomainName: "notes.example.org", Certificate: awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Cert"), jsii.String(certArn))},
		WebAclArn: aclArn,
		ApiPaths:  []string{"/notes", "/notes/*", "/stats"},
	})
	if got := *web.WebUrl(); got != "https://notes.example.org/" {
		t.Errorf("WebUrl() = %q; want https://notes.example.org/", got)
	}
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))
	w := webOf(t, tpl)
	cfg := w.config()
	var patterns []any
	for _, b := range cfg["CacheBehaviors"].([]any) {
		patterns = append(patterns, b.(map[string]any)["PathPattern"])
	}
	got := map[string]any{"Aliases": cfg["Aliases"], "ViewerCertificate": cfg["ViewerCertificate"], "WebACLId": cfg["WebACLId"], "paths": patterns,
		"apiUrl": deployedConfig(t, tpl, out)["apiUrl"]}
	want := map[string]any{
		"Aliases":           []any{"notes.example.org"},
		"ViewerCertificate": map[string]any{"AcmCertificateArn": certArn, "MinimumProtocolVersion": "TLSv1.2_2021", "SslSupportMethod": "sni-only"},
		"WebACLId":          aclArn,
		"paths":             []any{"/notes", "/notes/*", "/stats"},
		"apiUrl":            "https://notes.example.org/",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWebDefaultsAndThePoolsPasswordPolicy: the documented defaults, config.json's password rules as Cognito
// applies the pool's (fields the pool leaves out are off), and the build's own config.json left out.
func TestWebDefaultsAndThePoolsPasswordPolicy(t *testing.T) {
	stack, api, out := newWebStack(t, "WebDefaults", &notesapi.AuthenticatedNotesApiProps{
		PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(10), RequireDigits: jsii.Bool(true)},
	})
	notesweb.NewNotesWebApp(stack, jsii.String("Web"), &notesweb.NotesWebAppProps{Api: api, AssetDir: webFixture})
	tpl := toMap(t, assertions.Template_FromStack(stack, nil))
	w := webOf(t, tpl)
	var deployLogs any
	for _, lg := range ofType(tpl, "AWS::Logs::LogGroup") {
		if strings.HasPrefix(lg.ID, "WebDeploymentLogs") {
			deployLogs = lg.props()["RetentionInDays"]
		}
	}
	got := map[string]any{
		"site.policy": w.site.Body["DeletionPolicy"], "logs.policy": w.logs.Body["DeletionPolicy"],
		"autoDelete": len(ofType(tpl, "Custom::S3AutoDeleteObjects")), "price": w.config()["PriceClass"],
		"logs.expiry": w.logs.props()["LifecycleConfiguration"], "deployLogs": deployLogs,
		"passwordPolicy": deployedConfig(t, tpl, out)["passwordPolicy"],
	}
	want := map[string]any{
		"site.policy": "Retain", "logs.policy": "Retain", "autoDelete": 0, "price": "PriceClass_100",
		"logs.expiry": map[string]any{"Rules": []any{map[string]any{"Status": "Enabled", "ExpirationInDays": 30.0}}}, "deployLogs": 30.0,
		"passwordPolicy": map[string]any{"minLength": 10.0, "requireLowercase": false, "requireUppercase": false, "requireNumbers": true, "requireSymbols": false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	build := treeFiles(t, filepath.Join(out, "asset."+strings.TrimSuffix(w.deployment.props()["SourceObjectKeys"].([]any)[0].(string), ".zip")))
	if _, ok := build["config.json"]; ok || build["index.html"] == "" {
		t.Errorf("deployed build files %v; want the fixture's index.html and assets without its config.json", keysOf(build))
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
