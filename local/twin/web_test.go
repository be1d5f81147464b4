package twin

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/constructs/notesweb/site"
	"github.com/authnotes/authnotes/local/cfn"
	"github.com/authnotes/authnotes/local/cognito"
	"github.com/authnotes/authnotes/local/gateway"
)

// webTwin is a twin of the test template whose web app listens on a free port.
func webTwin(t *testing.T, st *cfn.Stack) (*Twin, *physical) {
	t.Helper()
	tw := &Twin{stack: st, opts: Options{WebAddr: "127.0.0.1:0"}}
	phys := newPhysical(st, "eu-west-1", "123456789012")
	if err := tw.listenWeb(phys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tw.web.Close() })
	return tw, phys
}

func TestBrowserOriginsAddTheWebApp(t *testing.T) {
	tw, phys := webTwin(t, loadStack(t))
	got, err := tw.browserOrigins(phys)
	if err != nil {
		t.Fatal(err)
	}
	port := tw.web.Port()
	want := []string{"http://localhost:5173", "http://localhost:" + port, "http://127.0.0.1:" + port}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("browserOrigins (-want +got):\n%s", diff)
	}

	cfg, err := apiConfigOf(tw.stack)
	if err != nil {
		t.Fatal(err)
	}
	tw.allowWebOrigin(&cfg)
	if diff := cmp.Diff(want, cfg.Cors.AllowOrigins); diff != "" {
		t.Errorf("API CORS origins (-want +got):\n%s", diff)
	}
	// A stage without CORS still lets its local web app call the API, with what the app sends and reads.
	bare := gateway.Config{}
	tw.allowWebOrigin(&bare)
	if bare.Cors == nil || !cmp.Equal(bare.Cors.AllowOrigins, want[1:]) || !strings.Contains(strings.Join(bare.Cors.AllowHeaders, ","), "if-match") ||
		!cmp.Equal(bare.Cors.ExposeHeaders, []string{"etag", "location"}) {
		t.Errorf("CORS for a stage without any = %+v; want the web app's origins, If-Match allowed, ETag exposed", bare.Cors)
	}
}

func TestADistributionResolvesToTheLocalWebApp(t *testing.T) {
	st := loadStack(t)
	st.Template.Resources["Dist"] = cfn.Resource{LogicalID: "Dist", Type: "AWS::CloudFront::Distribution", Properties: map[string]any{}}
	st.Template.Outputs["WebUrl"] = cfn.Output{Value: map[string]any{"Fn::Join": []any{"", []any{"https://", map[string]any{"Fn::GetAtt": []any{"Dist", "DomainName"}}}}}}
	tw, phys := webTwin(t, st)
	out, err := phys.resolver(st).Outputs()
	if err != nil {
		t.Fatalf("the outputs do not resolve with a distribution: %v", err)
	}
	if want := "https://localhost:" + tw.web.Port(); out["WebUrl"] != want {
		t.Errorf("WebUrl from the template = %q; want %q", out["WebUrl"], want)
	}

	// Without the web app the distribution still resolves, and WebUrl is left out rather than wrong.
	off := &Twin{stack: st}
	phys = newPhysical(st, "eu-west-1", "123456789012")
	if err := off.listenWeb(phys); err != nil {
		t.Fatal(err)
	}
	if out, err = phys.resolver(st).Outputs(); err != nil {
		t.Fatal(err)
	}
	if err := off.serveWeb(out); err != nil {
		t.Fatal(err)
	}
	if v, ok := out["WebUrl"]; ok {
		t.Errorf("WebUrl = %q without a web app; want none", v)
	}
}

func TestWebConfig(t *testing.T) {
	asm, err := cfn.LoadAssembly("../cognito/testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	st, err := asm.Stack("NotesApi-dev")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cognito.SpecsFromStack(st)
	if err != nil {
		t.Fatal(err)
	}
	idp, err := cognito.NewServer(cognito.Options{Addr: "127.0.0.1:0", Pools: specs})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	pool := idp.PoolID(specs[0].LogicalID)
	out := map[string]string{
		"ApiUrl": "http://127.0.0.1:3000/", "Region": "eu-west-1", "UserPoolId": pool, "UserPoolClientId": "c1",
		"CognitoEndpoint": idp.URL(), "TableName": "T",
	}
	got, err := webConfig(out, specs, idp)
	if err != nil {
		t.Fatal(err)
	}
	pp := specs[0].Config.PasswordPolicy
	want := site.Config{
		ApiUrl: "http://127.0.0.1:3000/", Region: "eu-west-1", UserPoolId: pool, UserPoolClientId: "c1", CognitoEndpoint: idp.URL(),
		PasswordPolicy: site.PasswordPolicy{MinLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true},
	}
	if pp.MinimumLength != 12 {
		t.Fatalf("fixture pool policy = %+v; want the dev stage's 12-character policy", pp)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("webConfig (-want +got):\n%s", diff)
	}

	out["UserPoolId"] = "eu-west-1_other"
	if _, err := webConfig(out, specs, idp); err == nil || !strings.Contains(err.Error(), "UserPoolId") {
		t.Errorf("webConfig(unknown pool) = %v; want an error naming UserPoolId", err)
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:3000/":                   "http://127.0.0.1:3000",
		"http://127.0.0.1:9229":                    "http://127.0.0.1:9229",
		"https://abc.execute-api.x.amazonaws.com/": "https://abc.execute-api.x.amazonaws.com",
		"": "",
	} {
		if got := origin(in); got != want {
			t.Errorf("origin(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStartWithoutAWebBuildSaysHowToMakeOne(t *testing.T) {
	_, err := Start(context.Background(), Options{
		RepoDir: t.TempDir(), WebAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", CognitoAddr: "127.0.0.1:0", DynamoDBAddr: "127.0.0.1:0",
		Log: &strings.Builder{},
	})
	if err == nil || !strings.Contains(err.Error(), "make web") || !strings.Contains(err.Error(), "--web ''") {
		t.Errorf("Start without web/dist = %v; want an error naming `make web` and --web ''", err)
	}
}
