// Command echo is the bootstrap BenchmarkGatewayOverhead runs: it answers every event with a small structured
// response.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"route":"` + ev.RouteKey + `"}`,
	}, nil
}

func main() {
	lambda.Start(handle)
}
