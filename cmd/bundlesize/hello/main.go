// Command hello is the smallest Go Lambda function: the baseline that
// bundlesize compares the notes functions' size and cold start against.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}
