package notesapi_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi"
)

// The whole notes API in one call: a user pool and client, an HTTP API with a JWT authorizer, a table and five Go
// functions. A CDK app's main does the same and ends with app.Synth(nil).
func ExampleNewAuthenticatedNotesApi() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("MyNotes"), nil)

	notes := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), &notesapi.AuthenticatedNotesApiProps{
		CorsAllowedOrigins: []string{"https://notes.example.org"},
		ThrottleRateLimit:  jsii.Number(50),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: notes.ApiUrl()})

	template := assertions.Template_FromStack(stack, nil)
	fmt.Println("routes:", len(*template.FindResources(jsii.String("AWS::ApiGatewayV2::Route"), nil)))
	fmt.Println("functions:", len(notes.Functions()))
	fmt.Println("user pools:", len(*template.FindResources(jsii.String("AWS::Cognito::UserPool"), nil)))
	// Output:
	// routes: 5
	// functions: 5
	// user pools: 1
}

// AddRoute puts a route of your own behind the same JWT authorizer and required scope as the notes routes; here it
// proxies GET /status to another HTTP service (a Lambda integration works the same way).
func ExampleAuthenticatedNotesApi_AddRoute() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("MyNotesWithStatus"), nil)
	notes := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil)

	notes.AddRoute(awsapigatewayv2.HttpMethod_GET, "/status",
		awsapigatewayv2integrations.NewHttpUrlIntegration(jsii.String("Status"), jsii.String("https://status.example.org/"), nil))

	template := assertions.Template_FromStack(stack, nil)
	routes := template.FindResources(jsii.String("AWS::ApiGatewayV2::Route"), &map[string]interface{}{
		"Properties": map[string]interface{}{"RouteKey": "GET /status"},
	})
	for _, route := range *routes {
		props := (*route)["Properties"].(map[string]interface{})
		fmt.Println(props["RouteKey"], props["AuthorizationType"], props["AuthorizationScopes"])
	}
	// Output:
	// GET /status JWT [aws.cognito.signin.user.admin]
}

// ValidateProps reports every problem of a set of props as an error, where NewAuthenticatedNotesApi would panic.
func ExampleValidateProps() {
	err := notesapi.ValidateProps(&notesapi.AuthenticatedNotesApiProps{
		CorsAllowedOrigins: []string{""},
		MemorySize:         jsii.Number(64),
	})
	fmt.Println(err)
	// Output:
	// invalid AuthenticatedNotesApiProps: CorsAllowedOrigins: empty origin
	// MemorySize 64: must be whole MB between 128 and 10240
}
