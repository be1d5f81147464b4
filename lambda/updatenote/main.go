// Command updatenote is the Lambda function behind PUT /notes/{id}.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/authnotes/authnotes/lambda/internal/httpapi"
	"github.com/authnotes/authnotes/lambda/internal/setup"
)

func main() {
	h, err := setup.Handler(httpapi.UpdateNote, os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "updatenote: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
