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
)

var notAllowed = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// Stable returns "<region>-<stack name>-<path in stack>-<suffix>" with characters other than letters, digits, "-"
// and "_" removed (the region only when it is known at synth time), shortened to max characters by Shorten.
func Stable(scope constructs.IConstruct, suffix string, max int) string {
	stack := awscdk.Stack_Of(scope)
	rel := strings.TrimPrefix(*scope.Node().Path(), *stack.Node().Path()+"/")
	parts := []string{*stack.StackName(), strings.ReplaceAll(rel, "/", "-"), suffix}
	if region := stack.Region(); !*awscdk.Token_IsUnresolved(region) {
		parts = append([]string{*region}, parts...)
	}
	return Shorten(notAllowed.ReplaceAllString(strings.Join(parts, "-"), ""), max)
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
