package cfn

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Resolver evaluates intrinsic functions against local physical values. Anything it cannot evaluate is an
// error that names where it was found — never a silent empty value.
type Resolver struct {
	Template  Template
	Region    string
	Account   string
	Partition string // default "aws"
	URLSuffix string // default "amazonaws.com"
	StackName string
	StackID   string
	// Refs maps a logical ID (resource or parameter) to the value of its Ref.
	Refs map[string]string
	// Attrs maps a logical ID to its Fn::GetAtt attributes.
	Attrs map[string]map[string]string
}

// noValue marks AWS::NoValue: the enclosing key or list element disappears.
type noValue struct{}

// Properties resolves every property of r. Errors name the resource's construct path and the property.
func (rv *Resolver) Properties(r Resource) (map[string]any, error) {
	out := make(map[string]any, len(r.Properties))
	for k, v := range r.Properties {
		res, err := rv.resolve(v, k)
		if err != nil {
			return nil, fmt.Errorf("resolve %s (%s, %s): %w", r.Path(), r.LogicalID, r.Type, err)
		}
		if _, drop := res.(noValue); !drop {
			out[k] = res
		}
	}
	return out, nil
}

// Resolve evaluates v.
func (rv *Resolver) Resolve(v any) (any, error) {
	res, err := rv.resolve(v, "")
	if err != nil {
		return nil, err
	}
	if _, drop := res.(noValue); drop {
		return nil, nil
	}
	return res, nil
}

// String evaluates v and requires a string (numbers and booleans are rendered as CloudFormation does).
func (rv *Resolver) String(v any) (string, error) {
	res, err := rv.Resolve(v)
	if err != nil {
		return "", err
	}
	return scalarString(res, "value")
}

// PathError locates a resolution failure inside a property value.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return "property " + e.Path + ": " + e.Err.Error()
}

func (e *PathError) Unwrap() error { return e.Err }

// ErrUnsupported reports an intrinsic function the resolver does not implement.
var ErrUnsupported = errors.New("unsupported intrinsic function")

func (rv *Resolver) fail(path string, format string, args ...any) error {
	return &PathError{Path: path, Err: fmt.Errorf(format, args...)}
}

func (rv *Resolver) resolve(v any, path string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || k == "Condition" {
					return rv.intrinsic(k, arg, path)
				}
			}
		}
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			res, err := rv.resolve(v[k], join(path, k))
			if err != nil {
				return nil, err
			}
			if _, drop := res.(noValue); !drop {
				out[k] = res
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			res, err := rv.resolve(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if _, drop := res.(noValue); !drop {
				out = append(out, res)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

func (rv *Resolver) intrinsic(fn string, arg any, path string) (any, error) {
	p := join(path, fn)
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, rv.fail(p, "Ref takes a logical ID, got %T", arg)
		}
		return rv.ref(name, p)
	case "Fn::GetAtt":
		return rv.getAtt(arg, p)
	case "Fn::Join":
		return rv.join(arg, p)
	case "Fn::Sub":
		return rv.sub(arg, p)
	case "Fn::Select":
		return rv.selectFn(arg, p)
	case "Fn::Split":
		return rv.split(arg, p)
	case "Fn::FindInMap":
		return rv.findInMap(arg, p)
	case "Fn::If":
		return rv.ifFn(arg, p)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
		return rv.condition(fn, arg, p)
	default:
		return nil, rv.fail(p, "%w %s", ErrUnsupported, fn)
	}
}

func (rv *Resolver) ref(name, path string) (any, error) {
	switch name {
	case "AWS::Region":
		return rv.Region, nil
	case "AWS::AccountId":
		return rv.Account, nil
	case "AWS::Partition":
		return or(rv.Partition, "aws"), nil
	case "AWS::URLSuffix":
		return or(rv.URLSuffix, "amazonaws.com"), nil
	case "AWS::StackName":
		return rv.StackName, nil
	case "AWS::StackId":
		return rv.StackID, nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if v, ok := rv.Refs[name]; ok {
		return v, nil
	}
	if prm, ok := rv.Template.Parameters[name]; ok && prm.Default != nil {
		return prm.Default, nil
	}
	if r, ok := rv.Template.Resources[name]; ok {
		return nil, rv.fail(path, "Ref %s (%s, %s): the twin has no local value for this resource", name, r.Path(), r.Type)
	}
	return nil, rv.fail(path, "Ref %s: no such resource or parameter", name)
}

func (rv *Resolver) getAtt(arg any, path string) (any, error) {
	var id, attr string
	switch a := arg.(type) {
	case string:
		id, attr, _ = strings.Cut(a, ".")
	case []any:
		if len(a) != 2 {
			return nil, rv.fail(path, "Fn::GetAtt takes [logicalId, attribute], got %d elements", len(a))
		}
		id, _ = a[0].(string)
		res, err := rv.resolve(a[1], path)
		if err != nil {
			return nil, err
		}
		attr, _ = res.(string)
	}
	if id == "" || attr == "" {
		return nil, rv.fail(path, "Fn::GetAtt: malformed argument %v", arg)
	}
	if v, ok := rv.Attrs[id][attr]; ok {
		return v, nil
	}
	if r, ok := rv.Template.Resources[id]; ok {
		return nil, rv.fail(path, "Fn::GetAtt %s.%s (%s, %s): the twin has no local value for this attribute", id, attr, r.Path(), r.Type)
	}
	return nil, rv.fail(path, "Fn::GetAtt %s.%s: no such resource", id, attr)
}

func (rv *Resolver) args(fn string, arg any, n int, path string) ([]any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != n {
		return nil, rv.fail(path, "%s takes a list of %d arguments, got %v", fn, n, arg)
	}
	return a, nil
}

func (rv *Resolver) join(arg any, path string) (any, error) {
	a, err := rv.args("Fn::Join", arg, 2, path)
	if err != nil {
		return nil, err
	}
	sep, ok := a[0].(string)
	if !ok {
		return nil, rv.fail(path, "Fn::Join delimiter is %T, want string", a[0])
	}
	list, err := rv.list(a[1], path)
	if err != nil {
		return nil, err
	}
	parts := make([]string, 0, len(list))
	for _, e := range list {
		s, err := scalarString(e, path)
		if err != nil {
			return nil, rv.fail(path, "Fn::Join element: %v", err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep), nil
}

// list resolves v and requires a list.
func (rv *Resolver) list(v any, path string) ([]any, error) {
	res, err := rv.resolve(v, path)
	if err != nil {
		return nil, err
	}
	list, ok := res.([]any)
	if !ok {
		return nil, rv.fail(path, "want a list, got %T", res)
	}
	return list, nil
}

// scalar resolves v and requires a scalar, rendered as a string.
func (rv *Resolver) scalar(v any, path string) (string, error) {
	res, err := rv.resolve(v, path)
	if err != nil {
		return "", err
	}
	return scalarString(res, path)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (rv *Resolver) sub(arg any, path string) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, rv.fail(path, "Fn::Sub takes a string or [string, variables]")
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, rv.fail(path, "Fn::Sub takes [string, {variables}], got %v", arg)
		}
		tmpl = s
		for k, v := range m {
			res, err := rv.resolve(v, join(path, k))
			if err != nil {
				return nil, err
			}
			vars[k] = res
		}
	default:
		return nil, rv.fail(path, "Fn::Sub takes a string or [string, variables], got %T", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") { // ${!Literal} renders as ${Literal}
			return "${" + name[1:] + "}"
		}
		var v any
		var err error
		if val, ok := vars[name]; ok {
			v = val
		} else if id, attr, isAtt := strings.Cut(name, "."); isAtt {
			v, err = rv.getAtt([]any{id, attr}, path)
		} else {
			v, err = rv.ref(name, path)
		}
		if err == nil {
			var s string
			s, err = scalarString(v, path)
			if err == nil {
				return s
			}
		}
		if firstErr == nil {
			firstErr = err
		}
		return ""
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (rv *Resolver) selectFn(arg any, path string) (any, error) {
	a, err := rv.args("Fn::Select", arg, 2, path)
	if err != nil {
		return nil, err
	}
	idxS, err := rv.scalar(a[0], path)
	if err != nil {
		return nil, err
	}
	idx, err := strconv.Atoi(idxS)
	if err != nil {
		return nil, rv.fail(path, "Fn::Select index %q is not a number", idxS)
	}
	list, err := rv.list(a[1], path)
	if err != nil {
		return nil, err
	}
	if idx < 0 || idx >= len(list) {
		return nil, rv.fail(path, "Fn::Select index %d out of range for %d elements", idx, len(list))
	}
	return list[idx], nil
}

func (rv *Resolver) split(arg any, path string) (any, error) {
	a, err := rv.args("Fn::Split", arg, 2, path)
	if err != nil {
		return nil, err
	}
	sep, ok := a[0].(string)
	if !ok || sep == "" {
		return nil, rv.fail(path, "Fn::Split delimiter must be a non-empty string, got %v", a[0])
	}
	s, err := rv.scalar(a[1], path)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(s, sep)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func (rv *Resolver) findInMap(arg any, path string) (any, error) {
	a, err := rv.args("Fn::FindInMap", arg, 3, path)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 3)
	for i, k := range a {
		if keys[i], err = rv.scalar(k, path); err != nil {
			return nil, err
		}
	}
	v, ok := rv.Template.Mappings[keys[0]][keys[1]][keys[2]]
	if !ok {
		return nil, rv.fail(path, "Fn::FindInMap %s/%s/%s: no such entry", keys[0], keys[1], keys[2])
	}
	return v, nil
}

func (rv *Resolver) ifFn(arg any, path string) (any, error) {
	a, err := rv.args("Fn::If", arg, 3, path)
	if err != nil {
		return nil, err
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, rv.fail(path, "Fn::If condition name is %T, want string", a[0])
	}
	cond, err := rv.namedCondition(name, path)
	if err != nil {
		return nil, err
	}
	if cond {
		return rv.resolve(a[1], path)
	}
	return rv.resolve(a[2], path)
}

func (rv *Resolver) namedCondition(name, path string) (bool, error) {
	c, ok := rv.Template.Conditions[name]
	if !ok {
		return false, rv.fail(path, "condition %s is not defined", name)
	}
	res, err := rv.resolve(c, "Conditions."+name)
	if err != nil {
		return false, err
	}
	b, ok := res.(bool)
	if !ok {
		return false, rv.fail(path, "condition %s is %T, want boolean", name, res)
	}
	return b, nil
}

func (rv *Resolver) condition(fn string, arg any, path string) (any, error) {
	if fn == "Condition" {
		name, ok := arg.(string)
		if !ok {
			return nil, rv.fail(path, "Condition takes a name, got %T", arg)
		}
		return rv.namedCondition(name, path)
	}
	list, ok := arg.([]any)
	if !ok {
		return nil, rv.fail(path, "%s takes a list, got %T", fn, arg)
	}
	vals := make([]any, len(list))
	for i, e := range list {
		res, err := rv.resolve(e, path)
		if err != nil {
			return nil, err
		}
		vals[i] = res
	}
	switch fn {
	case "Fn::Equals":
		if len(vals) != 2 {
			return nil, rv.fail(path, "Fn::Equals takes 2 values")
		}
		a, errA := scalarString(vals[0], path)
		b, errB := scalarString(vals[1], path)
		if errA != nil || errB != nil {
			return nil, rv.fail(path, "Fn::Equals compares scalars, got %T and %T", vals[0], vals[1])
		}
		return a == b, nil
	case "Fn::Not":
		if len(vals) != 1 {
			return nil, rv.fail(path, "Fn::Not takes 1 condition")
		}
		b, ok := vals[0].(bool)
		if !ok {
			return nil, rv.fail(path, "Fn::Not takes a boolean, got %T", vals[0])
		}
		return !b, nil
	default: // Fn::And, Fn::Or
		and := fn == "Fn::And"
		result := and
		for _, v := range vals {
			b, ok := v.(bool)
			if !ok {
				return nil, rv.fail(path, "%s takes booleans, got %T", fn, v)
			}
			if and {
				result = result && b
			} else {
				result = result || b
			}
		}
		return result, nil
	}
}

func scalarString(v any, path string) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	default:
		return "", &PathError{Path: path, Err: fmt.Errorf("want a string, got %T", v)}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Outputs resolves every template output to a string.
func (rv *Resolver) Outputs() (map[string]string, error) {
	out := make(map[string]string, len(rv.Template.Outputs))
	for name, o := range rv.Template.Outputs {
		s, err := rv.String(o.Value)
		if err != nil {
			return nil, fmt.Errorf("resolve output %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}
