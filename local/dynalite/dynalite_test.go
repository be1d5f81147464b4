package dynalite

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

func startT(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStartServesDynamoDBAndCloseLeavesNoProcess(t *testing.T) {
	s := startT(t, Options{Addr: "127.0.0.1:0"})
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q; want http://127.0.0.1:PORT", s.Endpoint())
	}
	if _, err := client(s.Endpoint()).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables() error = %v", err)
	}
	pgid := s.cmd.Process.Pid
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, signalling process group %d: %v; want ESRCH (no process left)", pgid, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() error = %v; want nil", err)
	}
}

func TestTwoServersGetDifferentPorts(t *testing.T) {
	a := startT(t, Options{})
	b := startT(t, Options{})
	if a.Endpoint() == b.Endpoint() {
		t.Errorf("two servers share %s", a.Endpoint())
	}
}

func TestDirKeepsTablesAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dynamodb")
	ctx := context.Background()
	first := startT(t, Options{Dir: dir})
	_, err := client(first.Endpoint()).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("Persisted"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable() error = %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	second := startT(t, Options{Dir: dir})
	out, err := client(second.Endpoint()).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 1 || out.TableNames[0] != "Persisted" {
		t.Errorf("ListTables() after restart = %v, %v; want [Persisted]", out.TableNames, err)
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"missing cli.js", Options{CLI: filepath.Join(t.TempDir(), "node_modules", "dynalite", "cli.js")}, "npm ci"},
		{"bad address", Options{Addr: "127.0.0.1"}, "dynalite address"},
		{"port in use", Options{Addr: busy.Addr().String()}, "address already in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(context.Background(), tc.opts)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Start() error = nil; want one mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start() error = %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestStartWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "install Node.js") {
		t.Errorf("Start() without node error = %v; want one naming how to install Node.js", err)
	}
}
