// Command createnote is the Lambda function behind POST /notes.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/authnotes/authnotes/lambda/internal/httpapi"
	"github.com/authnotes/authnotes/lambda/internal/setup"
)

func main() {
	h, err := setup.Handler(httpapi.CreateNote, os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "createnote: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
