// Command getnote is the Lambda function behind one route of the notes API.
// It answers 501 until the notes service lands; it never pretends to succeed.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 501,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"message":"not implemented","code":"NotImplemented"}`,
	}, nil
}

func main() {
	lambda.Start(handle)
}
