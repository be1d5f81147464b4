package cognito

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authnotes/authnotes/local/cfn"
)

// PasswordPolicy is the pool's password policy, enforced on sign-up, password changes and resets.
type PasswordPolicy struct {
	MinimumLength                 int
	RequireLowercase              bool
	RequireUppercase              bool
	RequireNumbers                bool
	RequireSymbols                bool
	TemporaryPasswordValidityDays int
}

// RecoveryOption is one account-recovery mechanism: verified_email, verified_phone_number or admin_only.
type RecoveryOption struct {
	Name     string
	Priority int
}

// PoolConfig is what the emulator takes from an AWS::Cognito::UserPool. Zero values are Cognito's defaults
// as PoolConfigFromProperties fills them in.
type PoolConfig struct {
	Name string
	// UsernameAttributes ("email", "phone_number") make that attribute the sign-in name; the internal user name
	// is then the user's sub, as in Cognito.
	UsernameAttributes []string
	// AliasAttributes ("email", "phone_number", "preferred_username") may be used to sign in once verified.
	AliasAttributes []string
	// CaseSensitive usernames. Cognito's API default (when UsernameConfiguration is absent) is true.
	CaseSensitive          bool
	PasswordPolicy         PasswordPolicy
	AutoVerifiedAttributes []string
	// MFA is "OFF", "ON" or "OPTIONAL".
	MFA                 string
	EnabledMFAs         []string
	RecoveryMechanisms  []RecoveryOption
	AdminCreateUserOnly bool
	RequiredAttributes  []string
	// CustomAttributes are the schema's own attributes, with the "custom:" prefix; users can have no others.
	CustomAttributes []string
	// The messages Cognito sends, with its placeholders ({####} the code or temporary password, {username}):
	// verification and reset codes by e-mail and SMS (VerificationMessageTemplate), and AdminCreateUser
	// invitations (AdminCreateUserConfig.InviteMessageTemplate). Default: Cognito's own wording.
	VerificationEmail, VerificationSMS, InviteEmail, InviteSMS string
}

// Cognito's messages when the template sets none.
const (
	defaultVerificationMessage = "Your verification code is {####}. "
	defaultInviteMessage       = "Your username is {username} and temporary password is {####}. "
)

// ClientConfig is what the emulator takes from an AWS::Cognito::UserPoolClient.
type ClientConfig struct {
	Name string
	// ExplicitAuthFlows as in the template, normalised to the ALLOW_ form.
	ExplicitAuthFlows    []string
	GenerateSecret       bool
	AccessTokenValidity  int
	IDTokenValidity      int
	RefreshTokenValidity int
	// Units of the three validities: "seconds", "minutes", "hours" or "days".
	AccessTokenUnit, IDTokenUnit, RefreshTokenUnit string
	// PreventUserExistenceErrors is "ENABLED" or "LEGACY".
	PreventUserExistenceErrors string
	EnableTokenRevocation      bool
	// AuthSessionValidity is how long a challenge session lives, in minutes (3–15).
	AuthSessionValidity int
}

// PoolSpec is one user pool to serve.
type PoolSpec struct {
	LogicalID string
	Config    PoolConfig
	Clients   []ClientSpec
}

// ClientSpec is one app client of a pool.
type ClientSpec struct {
	LogicalID string
	Config    ClientConfig
}

func unitDuration(unit string) time.Duration {
	switch unit {
	case "seconds":
		return time.Second
	case "minutes":
		return time.Minute
	case "hours":
		return time.Hour
	default:
		return 24 * time.Hour
	}
}

// AccessTTL is the access tokens' lifetime.
func (c ClientConfig) AccessTTL() time.Duration {
	return time.Duration(c.AccessTokenValidity) * unitDuration(c.AccessTokenUnit)
}

// IDTTL is the ID tokens' lifetime.
func (c ClientConfig) IDTTL() time.Duration {
	return time.Duration(c.IDTokenValidity) * unitDuration(c.IDTokenUnit)
}

// RefreshTTL is the refresh tokens' lifetime.
func (c ClientConfig) RefreshTTL() time.Duration {
	return time.Duration(c.RefreshTokenValidity) * unitDuration(c.RefreshTokenUnit)
}

// allows reports whether the client allows an auth flow ("USER_SRP_AUTH", …).
func (c ClientConfig) allows(flow string) bool {
	return slices.Contains(c.ExplicitAuthFlows, "ALLOW_"+flow)
}

// props reads typed values out of a resolved property map, collecting the first error with its property path.
type props struct {
	m   map[string]any
	err error
}

func (p *props) fail(path, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("property %s: %s", path, fmt.Sprintf(format, args...))
	}
}

func (p *props) lookup(path string) (any, bool) {
	var cur any = p.m
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

func (p *props) str(path, def string) string {
	v, ok := p.lookup(path)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path, "want a string, got %T", v)
	}
	return s
}

func (p *props) integer(path string, def int) int {
	v, ok := p.lookup(path)
	if !ok {
		return def
	}
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		// CloudFormation accepts numbers as strings.
		i, err := strconv.Atoi(n)
		if err == nil {
			return i
		}
	}
	p.fail(path, "want a number, got %v", v)
	return def
}

func (p *props) boolean(path string, def bool) bool {
	v, ok := p.lookup(path)
	if !ok {
		return def
	}
	switch b := v.(type) {
	case bool:
		return b
	case string:
		if r, err := strconv.ParseBool(b); err == nil {
			return r
		}
	}
	p.fail(path, "want a boolean, got %v", v)
	return def
}

func (p *props) strings(path string) []string { return listOf[string](p, path, "a string") }

func (p *props) list(path string) []map[string]any {
	return listOf[map[string]any](p, path, "an object")
}

// listOf reads a list whose elements must all be of type T.
func listOf[T any](p *props, path, what string) []T {
	v, ok := p.lookup(path)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.fail(path, "want a list, got %T", v)
		return nil
	}
	out := make([]T, 0, len(list))
	for i, x := range list {
		t, ok := x.(T)
		if !ok {
			p.fail(fmt.Sprintf("%s[%d]", path, i), "want %s, got %T", what, x)
			continue
		}
		out = append(out, t)
	}
	return out
}

func oneOf(p *props, path, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		p.fail(path, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

// PoolConfigFromProperties reads the resolved properties of an AWS::Cognito::UserPool, filling in Cognito's
// defaults for what the template leaves out.
func PoolConfigFromProperties(m map[string]any) (PoolConfig, error) {
	p := &props{m: m}
	c := PoolConfig{
		Name:                   p.str("UserPoolName", ""),
		UsernameAttributes:     p.strings("UsernameAttributes"),
		AliasAttributes:        p.strings("AliasAttributes"),
		CaseSensitive:          p.boolean("UsernameConfiguration.CaseSensitive", true),
		AutoVerifiedAttributes: p.strings("AutoVerifiedAttributes"),
		MFA:                    p.str("MfaConfiguration", "OFF"),
		EnabledMFAs:            p.strings("EnabledMfas"),
		AdminCreateUserOnly:    p.boolean("AdminCreateUserConfig.AllowAdminCreateUserOnly", false),
		VerificationEmail:      p.str("VerificationMessageTemplate.EmailMessage", p.str("EmailVerificationMessage", defaultVerificationMessage)),
		VerificationSMS:        p.str("VerificationMessageTemplate.SmsMessage", p.str("SmsVerificationMessage", defaultVerificationMessage)),
		InviteEmail:            p.str("AdminCreateUserConfig.InviteMessageTemplate.EmailMessage", defaultInviteMessage),
		InviteSMS:              p.str("AdminCreateUserConfig.InviteMessageTemplate.SMSMessage", defaultInviteMessage),
		PasswordPolicy: PasswordPolicy{
			MinimumLength:                 p.integer("Policies.PasswordPolicy.MinimumLength", 8),
			RequireLowercase:              p.boolean("Policies.PasswordPolicy.RequireLowercase", true),
			RequireUppercase:              p.boolean("Policies.PasswordPolicy.RequireUppercase", true),
			RequireNumbers:                p.boolean("Policies.PasswordPolicy.RequireNumbers", true),
			RequireSymbols:                p.boolean("Policies.PasswordPolicy.RequireSymbols", true),
			TemporaryPasswordValidityDays: p.integer("Policies.PasswordPolicy.TemporaryPasswordValidityDays", 7),
		},
	}
	// A template that sets some policy fields leaves the others false, as CloudFormation does.
	if _, set := p.lookup("Policies.PasswordPolicy"); set {
		pp := &c.PasswordPolicy
		pp.RequireLowercase = p.boolean("Policies.PasswordPolicy.RequireLowercase", false)
		pp.RequireUppercase = p.boolean("Policies.PasswordPolicy.RequireUppercase", false)
		pp.RequireNumbers = p.boolean("Policies.PasswordPolicy.RequireNumbers", false)
		pp.RequireSymbols = p.boolean("Policies.PasswordPolicy.RequireSymbols", false)
	}
	for i, r := range p.list("AccountRecoverySetting.RecoveryMechanisms") {
		rp := &props{m: r}
		opt := RecoveryOption{Name: rp.str("Name", ""), Priority: rp.integer("Priority", i+1)}
		oneOf(p, fmt.Sprintf("AccountRecoverySetting.RecoveryMechanisms[%d].Name", i), opt.Name, "verified_email", "verified_phone_number", "admin_only")
		if rp.err != nil && p.err == nil {
			p.err = rp.err
		}
		c.RecoveryMechanisms = append(c.RecoveryMechanisms, opt)
	}
	if _, set := p.lookup("AccountRecoverySetting"); !set {
		// Cognito's legacy behaviour without a setting: verified phone first, then verified email.
		c.RecoveryMechanisms = []RecoveryOption{{"verified_phone_number", 1}, {"verified_email", 2}}
	}
	slices.SortFunc(c.RecoveryMechanisms, func(a, b RecoveryOption) int { return a.Priority - b.Priority })
	for i, s := range p.list("Schema") {
		sp := &props{m: s}
		name := sp.str("Name", "")
		if sp.boolean("Required", false) {
			c.RequiredAttributes = append(c.RequiredAttributes, name)
		}
		if name != "" && name != "sub" && !slices.Contains(standardAttributes, name) {
			c.CustomAttributes = append(c.CustomAttributes, "custom:"+strings.TrimPrefix(name, "custom:"))
		}
		if sp.err != nil {
			p.fail(fmt.Sprintf("Schema[%d]", i), "%v", sp.err)
		}
	}
	oneOf(p, "MfaConfiguration", c.MFA, "OFF", "ON", "OPTIONAL")
	for i, a := range c.UsernameAttributes {
		oneOf(p, fmt.Sprintf("UsernameAttributes[%d]", i), a, "email", "phone_number")
	}
	for i, a := range c.AliasAttributes {
		oneOf(p, fmt.Sprintf("AliasAttributes[%d]", i), a, "email", "phone_number", "preferred_username")
	}
	if len(c.UsernameAttributes) > 0 && len(c.AliasAttributes) > 0 {
		p.fail("AliasAttributes", "cannot be combined with UsernameAttributes")
	}
	if n := c.PasswordPolicy.MinimumLength; n < 6 || n > 99 {
		p.fail("Policies.PasswordPolicy.MinimumLength", "%d is outside 6–99", n)
	}
	if c.MFA != "OFF" && len(c.EnabledMFAs) == 0 {
		// Without EnabledMfas Cognito assumes SMS; the emulator only does TOTP, so say so instead of pretending.
		p.fail("EnabledMfas", "MfaConfiguration %s needs SOFTWARE_TOKEN_MFA among EnabledMfas (the emulator does not send SMS)", c.MFA)
	}
	if p.err != nil {
		return PoolConfig{}, fmt.Errorf("user pool config: %w", p.err)
	}
	return c, nil
}

// ClientConfigFromProperties reads the resolved properties of an AWS::Cognito::UserPoolClient, filling in
// Cognito's defaults for what the template leaves out.
func ClientConfigFromProperties(m map[string]any) (ClientConfig, error) {
	p := &props{m: m}
	c := ClientConfig{
		Name:                       p.str("ClientName", ""),
		GenerateSecret:             p.boolean("GenerateSecret", false),
		AccessTokenValidity:        p.integer("AccessTokenValidity", 60),
		IDTokenValidity:            p.integer("IdTokenValidity", 60),
		RefreshTokenValidity:       p.integer("RefreshTokenValidity", 30),
		AccessTokenUnit:            p.str("TokenValidityUnits.AccessToken", "hours"),
		IDTokenUnit:                p.str("TokenValidityUnits.IdToken", "hours"),
		RefreshTokenUnit:           p.str("TokenValidityUnits.RefreshToken", "days"),
		PreventUserExistenceErrors: p.str("PreventUserExistenceErrors", "LEGACY"),
		EnableTokenRevocation:      p.boolean("EnableTokenRevocation", true),
		AuthSessionValidity:        p.integer("AuthSessionValidity", 3),
	}
	for _, u := range []struct{ path, v string }{
		{"TokenValidityUnits.AccessToken", c.AccessTokenUnit},
		{"TokenValidityUnits.IdToken", c.IDTokenUnit},
		{"TokenValidityUnits.RefreshToken", c.RefreshTokenUnit},
	} {
		oneOf(p, u.path, u.v, "seconds", "minutes", "hours", "days")
	}
	if _, set := p.lookup("AccessTokenValidity"); !set {
		c.AccessTokenValidity, c.AccessTokenUnit = 60, "minutes"
	}
	if _, set := p.lookup("IdTokenValidity"); !set {
		c.IDTokenValidity, c.IDTokenUnit = 60, "minutes"
	}
	flows := p.strings("ExplicitAuthFlows")
	if _, set := p.lookup("ExplicitAuthFlows"); !set {
		flows = []string{"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}
	var legacy, modern []string
	for i, f := range flows {
		if strings.HasPrefix(f, "ALLOW_") {
			modern = append(modern, f)
		} else {
			legacy = append(legacy, f)
		}
		// The legacy names (without ALLOW_) still appear in older templates.
		switch f {
		case "ADMIN_NO_SRP_AUTH":
			f = "ALLOW_ADMIN_USER_PASSWORD_AUTH"
		case "USER_PASSWORD_AUTH", "CUSTOM_AUTH_FLOW_ONLY":
			f = "ALLOW_" + strings.TrimSuffix(f, "_FLOW_ONLY")
		}
		oneOf(p, fmt.Sprintf("ExplicitAuthFlows[%d]", i), f, "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH",
			"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH")
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, f)
	}
	if len(legacy) > 0 && len(modern) > 0 {
		p.fail("ExplicitAuthFlows", "legacy values (%s) cannot be combined with ALLOW_ values (%s), as in Cognito",
			strings.Join(legacy, ", "), strings.Join(modern, ", "))
	}
	if len(legacy) > 0 && !slices.Contains(legacy, "CUSTOM_AUTH_FLOW_ONLY") {
		// A client with only legacy values always allowed SRP sign-in.
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, "ALLOW_USER_SRP_AUTH")
	}
	if len(flows) > 0 && !slices.Contains(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH") {
		// Cognito always allows refreshing.
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH")
	}
	oneOf(p, "PreventUserExistenceErrors", c.PreventUserExistenceErrors, "ENABLED", "LEGACY")
	if d := c.AccessTTL(); d < 5*time.Minute || d > 24*time.Hour {
		p.fail("AccessTokenValidity", "%s is outside 5 minutes to 1 day", d)
	}
	if d := c.IDTTL(); d < 5*time.Minute || d > 24*time.Hour {
		p.fail("IdTokenValidity", "%s is outside 5 minutes to 1 day", d)
	}
	if d := c.RefreshTTL(); d < time.Hour || d > 3650*24*time.Hour {
		p.fail("RefreshTokenValidity", "%s is outside 1 hour to 10 years", d)
	}
	if c.AuthSessionValidity < 3 || c.AuthSessionValidity > 15 {
		p.fail("AuthSessionValidity", "%d minutes is outside 3–15", c.AuthSessionValidity)
	}
	if p.err != nil {
		return ClientConfig{}, fmt.Errorf("user pool client config: %w", p.err)
	}
	return c, nil
}

// poolProperties and clientProperties are the properties the emulator reads; only these are resolved, so a
// property the emulator ignores (an SMS role ARN, a Lambda trigger) cannot make loading fail.
var (
	poolProperties = []string{"UserPoolName", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration",
		"AutoVerifiedAttributes", "MfaConfiguration", "EnabledMfas", "AdminCreateUserConfig", "Policies",
		"AccountRecoverySetting", "Schema", "VerificationMessageTemplate", "EmailVerificationMessage", "SmsVerificationMessage"}
	clientProperties = []string{"ClientName", "GenerateSecret", "AccessTokenValidity", "IdTokenValidity",
		"RefreshTokenValidity", "TokenValidityUnits", "PreventUserExistenceErrors", "EnableTokenRevocation",
		"AuthSessionValidity", "ExplicitAuthFlows"}
)

func resolveSome(rv *cfn.Resolver, r cfn.Resource, keys []string) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range keys {
		raw, ok := r.Properties[k]
		if !ok {
			continue
		}
		v, err := rv.Resolve(raw)
		if err != nil {
			return nil, fmt.Errorf("%s (%s) property %s: %w", r.Path(), r.LogicalID, k, err)
		}
		if v != nil {
			out[k] = v
		}
	}
	return out, nil
}

// SpecsFromStack reads every user pool of a synthesized stack with its app clients (none for a stack without
// Cognito). A client belongs to the pool its UserPoolId property refers to with Ref.
func SpecsFromStack(st *cfn.Stack) ([]PoolSpec, error) {
	rv := &cfn.Resolver{Template: st.Template, Region: st.Region, Account: st.Account, StackName: st.Name}
	var specs []PoolSpec
	index := map[string]int{}
	for _, r := range st.Template.OfType("AWS::Cognito::UserPool") {
		m, err := resolveSome(rv, r, poolProperties)
		if err != nil {
			return nil, err
		}
		cfg, err := PoolConfigFromProperties(m)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", r.Path(), r.LogicalID, err)
		}
		index[r.LogicalID] = len(specs)
		specs = append(specs, PoolSpec{LogicalID: r.LogicalID, Config: cfg})
	}
	for _, r := range st.Template.OfType("AWS::Cognito::UserPoolClient") {
		ref, _ := r.Properties["UserPoolId"].(map[string]any)
		poolID, _ := ref["Ref"].(string)
		i, ok := index[poolID]
		if !ok {
			return nil, fmt.Errorf("%s (%s): UserPoolId must be a Ref to a user pool of the same stack, got %v", r.Path(), r.LogicalID, r.Properties["UserPoolId"])
		}
		m, err := resolveSome(rv, r, clientProperties)
		if err != nil {
			return nil, err
		}
		cfg, err := ClientConfigFromProperties(m)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", r.Path(), r.LogicalID, err)
		}
		specs[i].Clients = append(specs[i].Clients, ClientSpec{LogicalID: r.LogicalID, Config: cfg})
	}
	return specs, nil
}
