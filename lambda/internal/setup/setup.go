// Package setup builds what every notes Lambda function shares, once per
// process: the logger, the DynamoDB client, the store and the service. Each
// function's main only picks its route.
package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/authnotes/authnotes/lambda/internal/dynamostore"
	"github.com/authnotes/authnotes/lambda/internal/httpapi"
	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Handler reads the environment through getenv and returns the handler for
// route. TABLE_NAME is required; AWS_LAMBDA_LOG_LEVEL (what Lambda sets from
// the function's application log level) picks the log level, default INFO.
// The SDK reads its own settings (region, credentials and
// AWS_ENDPOINT_URL_DYNAMODB, which points the twin at dynalite), so there is no
// local-only code path.
func Handler(ctx context.Context, route httpapi.Route, getenv func(string) string, logOut io.Writer) (*httpapi.Handler, error) {
	table := getenv("TABLE_NAME")
	if table == "" {
		return nil, errors.New("TABLE_NAME is not set: the function needs the DynamoDB table name (the CDK construct sets it)")
	}
	level, err := LogLevel(getenv("AWS_LAMBDA_LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	svc := notes.NewService(dynamostore.New(dynamodb.NewFromConfig(cfg), table))
	return httpapi.New(route, svc, logger), nil
}

// LogLevel maps Lambda's log level names (TRACE, DEBUG, INFO, WARN, ERROR,
// FATAL; empty = INFO) to slog levels.
func LogLevel(name string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "TRACE":
		return slog.LevelDebug - 4, nil
	case "DEBUG":
		return slog.LevelDebug, nil
	case "", "INFO":
		return slog.LevelInfo, nil
	case "WARN":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "FATAL":
		return slog.LevelError + 4, nil
	}
	return 0, fmt.Errorf("AWS_LAMBDA_LOG_LEVEL %q is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", name)
}
