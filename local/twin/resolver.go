package twin

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/authnotes/authnotes/local/cfn"
)

// physical holds the local physical values of the stack's resources: what a Ref or Fn::GetAtt returns.
type physical struct {
	region, account, stackName string
	refs                       map[string]string
	attrs                      map[string]map[string]string
}

func newPhysical(st *cfn.Stack, region, account string) *physical {
	p := &physical{region: region, account: account, stackName: st.Name, refs: map[string]string{}, attrs: map[string]map[string]string{}}
	// Every resource gets a stable, plausible physical ID and ARN, so resolving a property that mentions an IAM
	// role or a log group works; the resources the twin runs are then set to their real local values.
	for id, r := range st.Template.Resources {
		name := p.stackName + "-" + id
		p.refs[id] = name
		p.attrs[id] = map[string]string{"Arn": p.arn(r.Type, name)}
	}
	return p
}

// arn builds an ARN in the shape the resource type uses.
func (p *physical) arn(typ, name string) string {
	parts := strings.Split(typ, "::")
	service := "unknown"
	if len(parts) == 3 {
		service = strings.ToLower(parts[1])
	}
	switch typ {
	case "AWS::IAM::Role":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", p.account, name)
	case "AWS::Lambda::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", p.region, p.account, name)
	case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable":
		return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", p.region, p.account, name)
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", p.region, p.account, name)
	case "AWS::Cognito::UserPool":
		return fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", p.region, p.account, name)
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, p.region, p.account, name)
}

// set records a resource's physical ID (its Ref) and refreshes its ARN.
func (p *physical) set(logicalID, typ, ref string, attrs map[string]string) {
	p.refs[logicalID] = ref
	a := map[string]string{"Arn": p.arn(typ, ref)}
	for k, v := range attrs {
		a[k] = v
	}
	p.attrs[logicalID] = a
}

func (p *physical) resolver(st *cfn.Stack) *cfn.Resolver {
	return &cfn.Resolver{
		Template:  st.Template,
		Region:    p.region,
		Account:   p.account,
		StackName: st.Name,
		StackID:   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", p.region, p.account, st.Name, shortID(st.Name, 36)),
		Refs:      p.refs,
		Attrs:     p.attrs,
	}
}

// shortID derives a stable lowercase alphanumeric ID (like API Gateway's) from a seed.
func shortID(seed string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte(seed))
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(sum[i%len(sum)]+byte(i/len(sum)))%len(alphabet)]
	}
	return string(out)
}
