// Command listnotes is the Lambda function behind GET /notes.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/authnotes/authnotes/lambda/internal/httpapi"
	"github.com/authnotes/authnotes/lambda/internal/setup"
)

func main() {
	h, err := setup.Handler(httpapi.ListNotes, os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listnotes: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
