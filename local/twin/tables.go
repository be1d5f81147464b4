package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/authnotes/authnotes/local/cfn"
)

// tableDef is the part of an AWS::DynamoDB::Table / GlobalTable definition that shapes the table: keys and
// indexes. Billing, encryption, PITR and replicas have no local meaning.
type tableDef struct {
	TableName              string
	AttributeDefinitions   []types.AttributeDefinition
	KeySchema              []types.KeySchemaElement
	GlobalSecondaryIndexes []indexDef
	LocalSecondaryIndexes  []indexDef
}

type indexDef struct {
	IndexName  string
	KeySchema  []types.KeySchemaElement
	Projection types.Projection
}

// tableName is the physical name: the template's TableName, else a stable name derived from the stack, as
// CloudFormation would generate one.
func tableName(stackName string, r cfn.Resource, props map[string]any) string {
	if n, ok := props["TableName"].(string); ok && n != "" {
		return n
	}
	return stackName + "-" + r.LogicalID
}

func parseTable(r cfn.Resource, props map[string]any) (tableDef, error) {
	var def tableDef
	raw, err := json.Marshal(props)
	if err != nil {
		return def, err
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		return def, fmt.Errorf("table %s: %w", r.Path(), err)
	}
	if len(def.KeySchema) == 0 || len(def.AttributeDefinitions) == 0 {
		return def, fmt.Errorf("table %s: KeySchema and AttributeDefinitions are required", r.Path())
	}
	return def, nil
}

// dynamoClient is the twin's own client of the local DynamoDB, signing with the local credentials like any other.
func dynamoClient(endpoint, region string, creds aws.Credentials) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
	})
}

// errKeysChanged marks a table whose key schema in the stack differs from the local table's.
var errKeysChanged = errors.New("the local table keeps its data only under the keys it was created with")

// keyList shows a key schema: "userId HASH, noteId RANGE".
func keyList(keys []types.KeySchemaElement) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ", ")
}

// ensureTable creates the table unless it exists (a restart keeps the data); an existing table must have the keys
// the stack defines.
func ensureTable(ctx context.Context, db *dynamodb.Client, name string, def tableDef) (created bool, err error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err == nil {
		if have, want := keyList(out.Table.KeySchema), keyList(def.KeySchema); have != want {
			return false, fmt.Errorf("table %s has the keys %s, the stack wants %s: %w", name, have, want, errKeysChanged)
		}
		return false, nil
	}
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return false, fmt.Errorf("describe table %s: %w", name, err)
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: def.AttributeDefinitions,
		KeySchema:            def.KeySchema,
		BillingMode:          types.BillingModePayPerRequest,
	}
	for _, g := range def.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: g.KeySchema, Projection: projection(g.Projection),
		})
	}
	for _, l := range def.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName: aws.String(l.IndexName), KeySchema: l.KeySchema, Projection: projection(l.Projection),
		})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return false, fmt.Errorf("create table %s: %w", name, err)
	}
	return true, nil
}

func projection(p types.Projection) *types.Projection {
	if p.ProjectionType == "" {
		p.ProjectionType = types.ProjectionTypeAll
	}
	return &p
}

// table is one table of the stack as the twin serves it.
type table struct {
	logicalID, name string
	def             tableDef
}

// planTables reads the stack's tables and gives them their physical names.
func planTables(st *cfn.Stack, phys *physical) ([]table, error) {
	rv := phys.resolver(st)
	var out []table
	for _, typ := range []string{"AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"} {
		for _, r := range st.Template.OfType(typ) {
			props, err := rv.Properties(r)
			if err != nil {
				return nil, err
			}
			def, err := parseTable(r, props)
			if err != nil {
				return nil, err
			}
			name := tableName(st.Name, r, props)
			phys.set(r.LogicalID, typ, name, nil)
			out = append(out, table{logicalID: r.LogicalID, name: name, def: def})
		}
	}
	return out, nil
}
