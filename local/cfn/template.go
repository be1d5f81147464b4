package cfn

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Template is the part of a CloudFormation template the twin reads.
type Template struct {
	Resources  map[string]Resource
	Outputs    map[string]Output
	Parameters map[string]Parameter
	Mappings   map[string]map[string]map[string]any
	Conditions map[string]any
}

// Resource is one template resource. Properties hold the raw (unresolved) values.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	DependsOn  []string
	Condition  string
}

// Output is one stack output, unresolved.
type Output struct {
	Value       any
	Description string
}

// Parameter is one template parameter.
type Parameter struct {
	Type    string
	Default any
}

// Path is the construct path CDK recorded for the resource (aws:cdk:path), or its logical ID.
func (r Resource) Path() string {
	if p, ok := r.Metadata["aws:cdk:path"].(string); ok && p != "" {
		return p
	}
	return r.LogicalID
}

// MetadataString returns a string metadata entry, or "".
func (r Resource) MetadataString(key string) string {
	s, _ := r.Metadata[key].(string)
	return s
}

// OfType returns the resources of one type, sorted by logical ID.
func (t Template) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// ParseTemplate parses a template document.
func ParseTemplate(raw []byte) (Template, error) {
	var doc struct {
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
			Metadata   map[string]any `json:"Metadata"`
			DependsOn  any            `json:"DependsOn"`
			Condition  string         `json:"Condition"`
		} `json:"Resources"`
		Outputs map[string]struct {
			Value       any    `json:"Value"`
			Description string `json:"Description"`
		} `json:"Outputs"`
		Parameters map[string]Parameter                 `json:"Parameters"`
		Mappings   map[string]map[string]map[string]any `json:"Mappings"`
		Conditions map[string]any                       `json:"Conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Template{}, fmt.Errorf("parse template: %w", err)
	}
	t := Template{
		Resources:  make(map[string]Resource, len(doc.Resources)),
		Outputs:    make(map[string]Output, len(doc.Outputs)),
		Parameters: doc.Parameters,
		Mappings:   doc.Mappings,
		Conditions: doc.Conditions,
	}
	for id, r := range doc.Resources {
		if r.Type == "" {
			return Template{}, fmt.Errorf("parse template: resource %s has no Type", id)
		}
		deps, err := stringList(r.DependsOn)
		if err != nil {
			return Template{}, fmt.Errorf("parse template: resource %s DependsOn: %w", id, err)
		}
		t.Resources[id] = Resource{
			LogicalID:  id,
			Type:       r.Type,
			Properties: r.Properties,
			Metadata:   r.Metadata,
			DependsOn:  deps,
			Condition:  r.Condition,
		}
	}
	for id, o := range doc.Outputs {
		t.Outputs[id] = Output{Value: o.Value, Description: o.Description}
	}
	return t, nil
}

func readTemplate(path string) (Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Template{}, fmt.Errorf("read template: %w", err)
	}
	return ParseTemplate(raw)
}

func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %v is %T, want string", e, e)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("is %T, want string or list", v)
	}
}
