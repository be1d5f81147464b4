package notesweb_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi"
	"github.com/authnotes/authnotes/constructs/notesweb"
)

// The notes API and its browser app on one CloudFront origin: the app's build (web/dist of this module, made by
// `make web`) in a private bucket, and the API's paths forwarded to the HTTP API.
func ExampleNewNotesWebApp() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("MyNotesWeb"), nil)
	notes := notesapi.NewAuthenticatedNotesApi(stack, jsii.String("Notes"), nil)

	web := notesweb.NewNotesWebApp(stack, jsii.String("Web"), &notesweb.NotesWebAppProps{Api: notes})
	awscdk.NewCfnOutput(stack, jsii.String("WebUrl"), &awscdk.CfnOutputProps{Value: web.WebUrl()})

	template := assertions.Template_FromStack(stack, nil)
	distributions := template.FindResources(jsii.String("AWS::CloudFront::Distribution"), nil)
	for _, d := range *distributions {
		config := (*d)["Properties"].(map[string]interface{})["DistributionConfig"].(map[string]interface{})
		for _, b := range config["CacheBehaviors"].([]interface{}) {
			fmt.Println("to the API:", b.(map[string]interface{})["PathPattern"])
		}
		fmt.Println("default root object:", config["DefaultRootObject"])
	}
	// Output:
	// to the API: /notes
	// to the API: /notes/*
	// default root object: index.html
}
