// Package dynamostore implements notes.Store on DynamoDB. The table is keyed by
// userId (the JWT sub, partition key) and noteId (a ULID, sort key), so a
// user's notes sit in one partition in creation order and every operation is
// scoped to one user by its key alone.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Attribute names: the table's key schema (defined by the CDK construct) and the note's fields.
const (
	AttrUserID    = "userId"
	AttrNoteID    = "noteId"
	attrTitle     = "title"
	attrContent   = "content"
	attrUpdatedAt = "updatedAt"
	attrVersion   = "version"
)

// item is the stored shape: the note plus its owner.
type item struct {
	UserID    string    `dynamodbav:"userId"`
	NoteID    string    `dynamodbav:"noteId"`
	Title     string    `dynamodbav:"title"`
	Content   string    `dynamodbav:"content"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	Version   int64     `dynamodbav:"version"`
}

func (it item) note() notes.Note {
	return notes.Note{ID: it.NoteID, Title: it.Title, Content: it.Content, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

// Store is a notes.Store over one DynamoDB table.
type Store struct {
	client *dynamodb.Client
	table  string
}

var _ notes.Store = (*Store)(nil)

// New returns a Store on table. The client is shared for the process lifetime.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

func key(owner, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrUserID: &types.AttributeValueMemberS{Value: owner},
		AttrNoteID: &types.AttributeValueMemberS{Value: id},
	}
}

// createCondition makes Create refuse to overwrite: an ID collision is an
// error, never a silent replace. It is constant, so it is written out rather
// than built per request (noteId is not a DynamoDB reserved word).
const createCondition = "attribute_not_exists(" + AttrNoteID + ")"

// Create implements notes.Store.
func (s *Store) Create(ctx context.Context, owner string, n notes.Note) error {
	av, err := attributevalue.MarshalMap(item{UserID: owner, NoteID: n.ID, Title: n.Title, Content: n.Content, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, Version: n.Version})
	if err != nil {
		return fmt.Errorf("marshal note: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &s.table,
		Item:                av,
		ConditionExpression: aws.String(createCondition),
	})
	if isConditionFailed(err) {
		return notes.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("dynamodb PutItem: %w", err)
	}
	return nil
}

// Get implements notes.Store. Reads are strongly consistent so a client that
// just wrote sees its write (and its new ETag).
func (s *Store) Get(ctx context.Context, owner, id string) (notes.Note, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(owner, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return notes.Note{}, fmt.Errorf("dynamodb GetItem: %w", err)
	}
	if out.Item == nil {
		return notes.Note{}, notes.ErrNotFound
	}
	var it item
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return notes.Note{}, fmt.Errorf("unmarshal note: %w", err)
	}
	return it.note(), nil
}

// List implements notes.Store. It asks for one item more than the page to know
// whether another page follows (so the last page carries no cursor), and keeps
// querying while DynamoDB stops early at its 1 MB response limit.
func (s *Store) List(ctx context.Context, owner string, limit int, afterID string) ([]notes.Note, bool, error) {
	keyCond := expression.Key(AttrUserID).Equal(expression.Value(owner))
	if afterID != "" {
		// Newest first means "after" is "smaller": ULIDs sort by time.
		keyCond = keyCond.And(expression.Key(AttrNoteID).LessThan(expression.Value(afterID)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, false, fmt.Errorf("build list query: %w", err)
	}
	var (
		items []notes.Note
		start map[string]types.AttributeValue
	)
	for len(items) <= limit {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    expr.KeyCondition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ScanIndexForward:          aws.Bool(false),
			ConsistentRead:            aws.Bool(true),
			Limit:                     aws.Int32(int32(limit + 1 - len(items))),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, false, fmt.Errorf("dynamodb Query: %w", err)
		}
		var page []item
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, false, fmt.Errorf("unmarshal notes: %w", err)
		}
		for _, it := range page {
			items = append(items, it.note())
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

// writeCondition is attribute_exists(noteId) [AND version = :v]: writes never
// create a note, and honour the caller's If-Match.
func writeCondition(pre notes.Precondition) expression.ConditionBuilder {
	cond := expression.AttributeExists(expression.Name(AttrNoteID))
	if pre.Version != 0 {
		cond = cond.And(expression.Name(attrVersion).Equal(expression.Value(pre.Version)))
	}
	return cond
}

// Update implements notes.Store: one UpdateItem sets the fields and ADDs 1 to
// the version, so concurrent writers can never produce the same version.
func (s *Store) Update(ctx context.Context, owner, id string, in notes.Input, updatedAt time.Time, pre notes.Precondition) (notes.Note, error) {
	upd := expression.Set(expression.Name(attrTitle), expression.Value(in.Title)).
		Set(expression.Name(attrContent), expression.Value(in.Content)).
		Set(expression.Name(attrUpdatedAt), expression.Value(updatedAt)).
		Add(expression.Name(attrVersion), expression.Value(1))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(writeCondition(pre)).Build()
	if err != nil {
		return notes.Note{}, fmt.Errorf("build update: %w", err)
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(owner, id),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return notes.Note{}, s.whyRefused(ctx, owner, id, pre)
	}
	if err != nil {
		return notes.Note{}, fmt.Errorf("dynamodb UpdateItem: %w", err)
	}
	var it item
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return notes.Note{}, fmt.Errorf("unmarshal note: %w", err)
	}
	return it.note(), nil
}

// Delete implements notes.Store.
func (s *Store) Delete(ctx context.Context, owner, id string, pre notes.Precondition) error {
	expr, err := expression.NewBuilder().WithCondition(writeCondition(pre)).Build()
	if err != nil {
		return fmt.Errorf("build delete condition: %w", err)
	}
	_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(owner, id),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return s.whyRefused(ctx, owner, id, pre)
	}
	if err != nil {
		return fmt.Errorf("dynamodb DeleteItem: %w", err)
	}
	return nil
}

// whyRefused tells a missing note (ErrNotFound) from a version mismatch
// (ErrConflict) after a conditional write failed. It reads the item rather
// than relying on ReturnValuesOnConditionCheckFailure, which dynalite ignores,
// so the same code path runs locally and in AWS.
func (s *Store) whyRefused(ctx context.Context, owner, id string, pre notes.Precondition) error {
	if pre.Version == 0 {
		return notes.ErrNotFound
	}
	if _, err := s.Get(ctx, owner, id); err != nil {
		return err
	}
	return notes.ErrConflict
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
