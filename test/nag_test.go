package test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// TestNoUnsuppressedAwsSolutionsErrors: no error, and no warning either (every AwsSolutions finding is fixed or
// suppressed with a reason), so the nag report has no Non-Compliant line.
func TestNoUnsuppressedAwsSolutionsErrors(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		annotations := assertions.Annotations_FromStack(s.stack)
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
		for _, e := range *annotations.FindError(jsii.String("*"), nag) {
			t.Errorf("error %s: %v", *e.Id, e.Entry.Data)
		}
		for _, w := range *annotations.FindWarning(jsii.String("*"), nag) {
			t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
		}
	})
}

// suppression is one cdk-nag rules_to_suppress entry as written into the template metadata.
type suppression struct {
	resource, id, reason string
	appliesTo            []any
}

func suppressions(tpl map[string]any) []suppression {
	var out []suppression
	for id, v := range tpl["Resources"].(map[string]any) {
		md, _ := v.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := md["cdk_nag"].(map[string]any)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, r := range rules {
			rule := r.(map[string]any)
			reason, _ := rule["reason"].(string)
			applies, _ := rule["applies_to"].([]any)
			out = append(out, suppression{resource: v.(map[string]any)["Type"].(string) + " " + id, id: rule["id"].(string), reason: reason, appliesTo: applies})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].resource+out[i].id < out[j].resource+out[j].id })
	return out
}

func TestEveryNagSuppressionHasASpecificReason(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for _, sup := range suppressions(s.json) {
			if len(strings.Fields(sup.reason)) < 8 || !strings.Contains(sup.reason, " ") {
				t.Errorf("%s suppresses %s with reason %q; want a specific explanation", sup.resource, sup.id, sup.reason)
			}
		}
	})
}

// TestNagSuppressionsAreOnlyTheAcceptedOnes pins which rules are suppressed where, so a new blanket suppression
// (a whole stack, another rule, IAM5 beyond Resource::*) fails here.
func TestNagSuppressionsAreOnlyTheAcceptedOnes(t *testing.T) {
	xray := []string{"AWS::IAM::Policy AwsSolutions-IAM5 [Resource::*]"}
	// The web app on the *.cloudfront.net name without WAF: no geo restriction, no web ACL, no TLS minimum; CDK's
	// BucketDeployment grants and its handler's runtime.
	web := []string{
		"AWS::CloudFront::Distribution AwsSolutions-CFR1 []",
		"AWS::CloudFront::Distribution AwsSolutions-CFR2 []",
		"AWS::CloudFront::Distribution AwsSolutions-CFR4 []",
		"AWS::IAM::Policy AwsSolutions-IAM5 [Action::s3:GetObject*,Action::s3:GetBucket*,Action::s3:List*,Action::s3:DeleteObject*,Action::s3:Abort*,Resource::<NotesWebSite59C37C54.Arn>/*]",
		`AWS::IAM::Policy AwsSolutions-IAM5 [regex:/^Resource::arn:[^:]+:s3:::cdk-[a-z0-9]+-assets-.+\/\*$/]`,
		"AWS::IAM::Policy AwsSolutions-IAM5 [Resource::*]",
		"AWS::Lambda::Function AwsSolutions-L1 []",
	}
	want := map[string][]string{
		"dev":     append([]string{"AWS::Cognito::UserPool AwsSolutions-COG2 []", "AWS::Cognito::UserPool AwsSolutions-COG8 []"}, web...),
		"staging": append(append([]string{"AWS::Cognito::UserPool AwsSolutions-COG2 []", "AWS::Cognito::UserPool AwsSolutions-COG8 []"}, repeat(xray, 5)...), web...),
		"prod": append(append([]string{"AWS::Cognito::UserPool AwsSolutions-COG2 []",
			"AWS::IAM::Role AwsSolutions-IAM4 [Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]"},
			repeat(xray, 5)...), web...),
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		var got []string
		for _, sup := range suppressions(s.json) {
			typ, _, _ := strings.Cut(sup.resource, " ")
			var applies []string
			for _, a := range sup.appliesTo {
				switch a := a.(type) {
				case string:
					applies = append(applies, a)
				case map[string]any:
					applies = append(applies, fmt.Sprintf("regex:%v", a["regex"]))
				default:
					t.Errorf("%s %s applies_to entry %v (%T); want a string or a regex", sup.resource, sup.id, a, a)
				}
			}
			got = append(got, typ+" "+sup.id+" ["+strings.Join(applies, ",")+"]")
		}
		sort.Strings(got)
		w := append([]string(nil), want[s.cfg.Name]...)
		sort.Strings(w)
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("suppressions (-want +got):\n%s", diff)
		}
	})
}

func repeat(s []string, n int) []string {
	var out []string
	for range n {
		out = append(out, s...)
	}
	return out
}
