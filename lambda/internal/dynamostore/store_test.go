package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/authnotes/authnotes/lambda/internal/notes"
	"github.com/authnotes/authnotes/lambda/internal/notestest"
	"github.com/authnotes/authnotes/local/dynalite"
)

// One dynalite per test binary, one fresh table per test.
var (
	serverOnce sync.Once
	server     *dynalite.Server
	serverErr  error
	tables     atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Close()
	}
	os.Exit(code)
}

// newClient returns a client for the shared dynalite, failing the test (never
// skipping it) with the fix when Node or dynalite is missing.
func newClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	serverOnce.Do(func() {
		server, serverErr = dynalite.Start(context.Background(), dynalite.Options{Addr: "127.0.0.1:0"})
	})
	if serverErr != nil {
		t.Fatalf("the store tests need dynalite: %v", serverErr)
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(server.Endpoint()),
	})
}

// newTable creates a fresh table for one test and returns its name.
func newTable(t *testing.T, c *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("Notes%d", tables.Add(1))
	if err := CreateTable(context.Background(), c, name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestStoreOnDynalite(t *testing.T) {
	notestest.RunStoreSuite(t, func(t *testing.T) notes.Store {
		c := newClient(t)
		return New(c, newTable(t, c))
	})
}

func TestStoredItemShape(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	table := newTable(t, c)
	svc := notes.NewService(New(c, table), notes.WithClock(new(notestest.Clock).Now))
	n, err := svc.Create(ctx, notestest.Alice, notes.Input{Title: "t", Content: "c"})
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	if _, err := svc.Update(ctx, notestest.Alice, n.ID, notes.Input{Content: "d"}, notes.Precondition{}); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key(notestest.Alice, n.ID)})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem() = %v, %v", out, err)
	}
	want := map[string]string{"userId": notestest.Alice, "noteId": n.ID, "version": "2", "content": "d", "createdAt": "2026-01-01T00:00:00.001Z"}
	for attr, v := range want {
		var got string
		switch av := out.Item[attr].(type) {
		case *types.AttributeValueMemberS:
			got = av.Value
		case *types.AttributeValueMemberN:
			got = av.Value
		}
		if got != v {
			t.Errorf("stored %s = %q (%T); want %q", attr, got, out.Item[attr], v)
		}
	}
}

func TestUnexpectedErrorsAreNotSentinels(t *testing.T) {
	ctx := context.Background()
	s := New(newClient(t), "NoSuchTable")
	const id = "01JAAAAAAAAAAAAAAAAAAAAAAA"
	calls := map[string]error{
		"Get":    func() error { _, err := s.Get(ctx, notestest.Alice, id); return err }(),
		"List":   func() error { _, _, err := s.List(ctx, notestest.Alice, 1, ""); return err }(),
		"Create": s.Create(ctx, notestest.Alice, notes.Note{ID: id, Content: "x", Version: 1}),
		"Update": func() error {
			_, err := s.Update(ctx, notestest.Alice, id, notes.Input{Content: "x"}, time.Now(), notes.Precondition{})
			return err
		}(),
		"Delete": s.Delete(ctx, notestest.Alice, id, notes.Precondition{Version: 1}),
	}
	for op, err := range calls {
		if err == nil || errors.Is(err, notes.ErrNotFound) || errors.Is(err, notes.ErrConflict) || errors.Is(err, notes.ErrAlreadyExists) {
			t.Errorf("%s on a missing table error = %v; want an unexpected (non-sentinel) error", op, err)
		}
	}
}
