// Command sdkfloor is the cold-start reference between the hello-world
// baseline and the notes functions: a Lambda function that links what every
// notes function links from its dependencies — the HTTP API v2 event types,
// a DynamoDB client built the way lambda/internal/setup builds it, the five
// operations the store calls, attributevalue and expression — and none of our
// code. It answers every request 400 without calling DynamoDB, as the notes
// functions do for the probe request bundlesize measures, so the difference
// between a notes function and this one is what our own code costs.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// linked keeps what the store uses in the binary without calling it.
var linked = []any{attributevalue.MarshalMap, attributevalue.UnmarshalMap, attributevalue.UnmarshalListOfMaps, expression.NewBuilder}

func main() {
	c := dynamodb.New(dynamodb.Options{
		Region:      os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	})
	linked = append(linked, c.GetItem, c.PutItem, c.Query, c.UpdateItem, c.DeleteItem)
	lambda.Start(func(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 400,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       `{"message":"refused before any DynamoDB call","code":"InvalidId"}`,
		}, nil
	})
}
