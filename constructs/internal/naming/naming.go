// Package naming builds physical names that depend only on the stack's name (and region) and the construct's
// path inside its stack, so a stack keeps its names whether it is a child of the app or of a pipeline's stage
// (CDK's own generated names include the whole construct path, which a stage changes).
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

var notAllowed = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// longestRegion is the length of the longest AWS region name (ap-southeast-4), reserved when the region is only
// known at deploy time.
const longestRegion = 14

// Stable returns Regional's name for "<stack name>-<path in stack>-<suffix>".
func Stable(scope constructs.IConstruct, suffix string, max int) string {
	stack := awscdk.Stack_Of(scope)
	rel := strings.TrimPrefix(*scope.Node().Path(), *stack.Node().Path()+"/")
	return Regional(scope, strings.Join([]string{*stack.StackName(), strings.ReplaceAll(rel, "/", "-"), suffix}, "-"), max)
}

// Regional returns "<region>-<name>" with characters other than letters, digits, "-" and "_" removed from name,
// at most max characters, for names that must differ between regions of one account (CloudFront functions,
// CloudWatch dashboards). For an environment-agnostic stack the region is the AWS::Region pseudo parameter, joined
// in at deploy time.
func Regional(scope constructs.IConstruct, name string, max int) string {
	name = notAllowed.ReplaceAllString(name, "")
	region := awscdk.Stack_Of(scope).Region()
	if *awscdk.Token_IsUnresolved(region) {
		return *awscdk.Fn_Join(jsii.String("-"), &[]*string{region, jsii.String(Shorten(name, max-longestRegion-1))})
	}
	return Shorten(*region+"-"+name, max)
}

// Shorten returns name if it fits in max characters, else its first characters and "-" and the first 8 hex
// digits of its SHA-256, max characters in all, so two long names that share a prefix stay distinct.
func Shorten(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:max-9] + "-" + hex.EncodeToString(sum[:])[:8]
}
