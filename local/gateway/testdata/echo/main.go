// Command echo is the bootstrap BenchmarkGatewayOverhead and the runtime tests of the gateway run: it answers every
// event with a small structured response naming its route and process, except on /crash (the process exits
// mid-invocation) and /sleep (it runs past any timeout).
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch ev.RawPath {
	case "/crash":
		os.Exit(2)
	case "/sleep":
		time.Sleep(time.Hour)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"route":"` + ev.RouteKey + `","pid":` + strconv.Itoa(os.Getpid()) + `}`,
	}, nil
}

func main() {
	lambda.Start(handle)
}
