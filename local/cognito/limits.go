package cognito

import (
	"encoding/base64"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/authnotes/authnotes/srp"
)

// maxRequestBody bounds what the endpoint reads of a request. The largest request Cognito's documented limits
// allow (SignUp with every standard and custom attribute at 2,048 characters) is about 150 KB; real ones are a
// few hundred bytes.
const maxRequestBody = 256 << 10

// rule checks one value and returns what it fails to satisfy ("Member must …"), or "" when it passes.
type rule func(v string) string

// lengthAndPattern is a member's Length Constraints and Pattern as Cognito's API reference gives them. Lengths
// count UTF-16 code units, as Cognito (Java) does; max 0 means no maximum.
func lengthAndPattern(min, max int, pattern string) rule {
	var re *regexp.Regexp
	if pattern != "" {
		re = regexp.MustCompile(`^(?:` + pattern + `)$`)
	}
	return func(v string) string {
		n := utf16Len(v)
		switch {
		case max > 0 && n > max:
			return fmt.Sprintf("Member must have length less than or equal to %d", max)
		case n < min:
			return fmt.Sprintf("Member must have length greater than or equal to %d", min)
		case re != nil && !re.MatchString(v):
			return "Member must satisfy regular expression pattern: " + pattern
		}
		return ""
	}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// namePattern is Cognito's pattern for user and attribute names: printable, no white space.
const namePattern = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`

// rules are the constraints of Cognito's shapes, named by the `check` tags of the request types. From the
// Cognito user pools API reference (UsernameType, ClientIdType, PasswordType, SessionType, …).
var rules = map[string]rule{
	"clientId":        lengthAndPattern(1, 128, `[\w+]+`),
	"userPoolId":      lengthAndPattern(1, 55, `[\w-]+_[0-9a-zA-Z]+`),
	"username":        lengthAndPattern(1, 128, namePattern),
	"password":        lengthAndPattern(0, 256, `[\S]+`),
	"secretHash":      lengthAndPattern(1, 128, `[\w+=/]+`),
	"code":            lengthAndPattern(1, 2048, `[\S]+`),
	"session":         lengthAndPattern(20, 2048, ""),
	"token":           lengthAndPattern(0, 0, `[A-Za-z0-9-_=.]+`),
	"attributeName":   lengthAndPattern(1, 32, namePattern),
	"attributeValue":  lengthAndPattern(0, 2048, ""),
	"userCode":        lengthAndPattern(6, 6, `[0-9]+`),
	"filter":          lengthAndPattern(0, 256, ""),
	"paginationToken": lengthAndPattern(1, 0, `[\S]+`),
	"clientSecret":    lengthAndPattern(1, 64, `[\w+]+`),
	"limit":           valueRange(0, 60),
	"authFlow": enum("USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "ADMIN_NO_SRP_AUTH",
		"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH"),
	"challengeName": enum("SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
		"PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "SELECT_CHALLENGE", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER",
		"ADMIN_NO_SRP_AUTH", "NEW_PASSWORD_REQUIRED", "SMS_OTP", "PASSWORD", "WEB_AUTHN", "PASSWORD_SRP"),
	"messageAction": enum("RESEND", "SUPPRESS"),
}

// parameterRules check the entries of AuthParameters and ChallengeResponses that Cognito reads, with the rule of
// the member they stand for. SRP_A and PASSWORD_CLAIM_SIGNATURE are numbers of a fixed size: the bound on SRP_A's
// length (N has 768 hex digits) leaves room for leading zeros.
var parameterRules = map[string]rule{
	"USERNAME":     rules["username"],
	"PASSWORD":     rules["password"],
	"NEW_PASSWORD": rules["password"],
	"SECRET_HASH":  rules["secretHash"],
	"SRP_A": func(v string) string {
		if fail := lengthAndPattern(1, 1024, "")(v); fail != "" {
			return fail
		}
		if _, err := srp.ParseA(v); err != nil {
			return "Member must be a hexadecimal number from 1 to N-1 (N the 3072-bit SRP modulus)"
		}
		return ""
	},
	"PASSWORD_CLAIM_SIGNATURE": func(v string) string {
		if sig, err := base64.StdEncoding.DecodeString(v); err != nil || len(sig) != 32 {
			return "Member must be the base64 encoding of 32 bytes"
		}
		return ""
	},
}

// enum is a member's Valid Values.
func enum(values ...string) rule {
	return func(v string) string {
		if slices.Contains(values, v) {
			return ""
		}
		return "Member must satisfy enum value set: [" + strings.Join(values, ", ") + "]"
	}
}

// valueRange is a number's Valid Range.
func valueRange(min, max int) rule {
	return func(v string) string {
		n, _ := strconv.Atoi(v)
		switch {
		case n > max:
			return fmt.Sprintf("Member must have value less than or equal to %d", max)
		case n < min:
			return fmt.Sprintf("Member must have value greater than or equal to %d", min)
		}
		return ""
	}
}

// checkInput holds a decoded request to the constraints its fields' `check` tags name, and returns Cognito's
// validation error listing every violation. Empty values are absent ones: whether a member is required is each
// operation's business. The messages name the member and the constraint, never the value (it may be a password,
// or megabytes long).
func checkInput(in any) error {
	var fails []string
	fail := func(member, why string) {
		if why != "" {
			fails = append(fails, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", member, why))
		}
	}
	v := reflect.ValueOf(in).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		tag := f.Tag.Get("check")
		if tag == "" {
			continue
		}
		member := strings.ToLower(f.Name[:1]) + f.Name[1:]
		switch x := v.Field(i).Interface().(type) {
		case string:
			if x != "" {
				fail(member, rules[tag](x))
			}
		case int:
			fail(member, rules[tag](strconv.Itoa(x)))
		case []string:
			for j, s := range x {
				fail(fmt.Sprintf("%s.%d.member", member, j+1), rules[tag](s))
			}
		case []attribute:
			for j, a := range x {
				fail(fmt.Sprintf("%s.%d.member.name", member, j+1), rules["attributeName"](a.Name))
				fail(fmt.Sprintf("%s.%d.member.value", member, j+1), rules["attributeValue"](a.Value))
			}
		case map[string]string:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if attr, ok := strings.CutPrefix(k, "userAttributes."); ok {
					fail(member+"."+k, rules["attributeName"](attr))
					fail(member+"."+k, rules["attributeValue"](x[k]))
				} else if r := parameterRules[k]; r != nil {
					fail(member+"."+k, r(x[k]))
				}
			}
		default:
			panic(fmt.Sprintf("cognito: check tag on %s of type %T", f.Name, x))
		}
	}
	switch len(fails) {
	case 0:
		return nil
	case 1:
		return invalidParameter("1 validation error detected: %s", fails[0])
	default:
		return invalidParameter("%d validation errors detected: %s", len(fails), strings.Join(fails, "; "))
	}
}
