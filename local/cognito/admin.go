package cognito

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/authnotes/authnotes/srp"
)

type adminInput struct {
	UserPoolId        string      `check:"userPoolId"`
	Username          string      `check:"username"`
	Password          string      `check:"password"` // AdminSetUserPassword
	Permanent         bool        // AdminSetUserPassword
	UserAttributes    []attribute `check:"attributes"`
	TemporaryPassword string      `check:"password"`
	MessageAction     string      `check:"messageAction"`
	// ListUsers
	Filter          string   `check:"filter"`
	Limit           int      `check:"limit"`
	PaginationToken string   `check:"paginationToken"`
	AttributesToGet []string `check:"attributeName"`
	// DescribeUserPoolClient
	ClientId string `check:"clientId"`
}

// userType is Cognito's UserType (AdminCreateUser, ListUsers).
type userType struct {
	Username             string
	Attributes           []attribute
	UserCreateDate       float64
	UserLastModifiedDate float64
	Enabled              bool
	UserStatus           string
}

func userTypeOf(u *userState, only []string) userType {
	attrs := attributesOf(u)
	if len(only) > 0 {
		kept := attrs[:0]
		for _, a := range attrs {
			for _, o := range only {
				if a.Name == o {
					kept = append(kept, a)
				}
			}
		}
		attrs = kept
	}
	return userType{Username: u.Username, Attributes: attrs, UserCreateDate: epoch(u.Created),
		UserLastModifiedDate: epoch(u.Modified), Enabled: u.Enabled, UserStatus: u.Status}
}

// adminUser finds a pool's user by name for the admin APIs, which always say when a user does not exist. It
// returns with s.mu held on success.
func (s *Server) adminUser(in *adminInput) (*pool, string, *userState, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, "", nil, err
	}
	s.mu.Lock()
	key, u := p.lookup(in.Username)
	if u == nil {
		s.mu.Unlock()
		return nil, "", nil, errorf("UserNotFoundException", "User does not exist.")
	}
	return p, key, u, nil
}

func init() {
	op("AdminCreateUser", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.adminCreateUser(in) })
	op("AdminGetUser", func(ctx context.Context, s *Server, in *adminInput) (any, error) {
		_, _, u, err := s.adminUser(in)
		if err != nil {
			return nil, err
		}
		defer s.mu.Unlock()
		pref, list := mfaSettings(u)
		t := userTypeOf(u, nil)
		return map[string]any{"Username": t.Username, "UserAttributes": t.Attributes, "UserCreateDate": t.UserCreateDate,
			"UserLastModifiedDate": t.UserLastModifiedDate, "Enabled": t.Enabled, "UserStatus": t.UserStatus,
			"PreferredMfaSetting": pref, "UserMFASettingList": list}, nil
	})
	op("AdminConfirmSignUp", func(ctx context.Context, s *Server, in *adminInput) (any, error) {
		_, _, u, err := s.adminUser(in)
		if err != nil {
			return nil, err
		}
		if u.Status != "UNCONFIRMED" {
			s.mu.Unlock()
			return nil, notAuthorized("User cannot be confirmed. Current status is " + u.Status)
		}
		u.Status, u.Modified = "CONFIRMED", s.opts.Now()
		delete(u.Codes, "signup")
		g := s.saver.changed()
		s.mu.Unlock()
		return nil, s.durable(g)
	})
	op("AdminDeleteUser", func(ctx context.Context, s *Server, in *adminInput) (any, error) {
		p, key, u, err := s.adminUser(in)
		if err != nil {
			return nil, err
		}
		g := s.deleteUserLocked(p, key, u)
		s.mu.Unlock()
		return nil, s.durable(g)
	})
	op("AdminUserGlobalSignOut", func(ctx context.Context, s *Server, in *adminInput) (any, error) {
		p, _, u, err := s.adminUser(in)
		if err != nil {
			return nil, err
		}
		revokeUserLocked(p, u.Username)
		g := s.saver.changed()
		s.mu.Unlock()
		return nil, s.durable(g)
	})
	op("AdminSetUserPassword", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.adminSetUserPassword(in) })
	op("AdminDisableUser", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.adminSetEnabled(in, false) })
	op("AdminEnableUser", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.adminSetEnabled(in, true) })
	op("ListUsers", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.listUsers(in) })
	op("DescribeUserPool", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.describePool(in) })
	op("DescribeUserPoolClient", func(ctx context.Context, s *Server, in *adminInput) (any, error) { return s.describeClient(in) })
}

func (s *Server) adminCreateUser(in *adminInput) (any, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.MessageAction == "RESEND" {
		return nil, invalidParameter("MessageAction RESEND is not supported by the local Cognito endpoint: delete and re-create the user")
	}
	u, err := s.newUser(p, in.Username, in.UserAttributes, true)
	if err != nil {
		return nil, err
	}
	temp := in.TemporaryPassword
	if temp == "" {
		temp = temporaryPassword(p.cfg.PasswordPolicy)
	} else if err := checkPassword(p.cfg.PasswordPolicy, temp); err != nil {
		return nil, err
	}
	ver, err := srp.NewVerifier(p.poolName(), u.Username, temp)
	if err != nil {
		return nil, internalError(err)
	}
	u.Salt, u.Verifier, u.Status = ver.Salt, ver.V, "FORCE_CHANGE_PASSWORD"
	u.TempPasswordExpires = s.opts.Now().Add(time.Duration(p.cfg.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	s.mu.Lock()
	if _, err := s.insertUserLocked(p, in.Username, u); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if in.MessageAction != "SUPPRESS" {
		dest, medium, text := u.Attributes["email"], "EMAIL", p.cfg.InviteEmail
		if dest == "" {
			dest, medium, text = u.Attributes["phone_number"], "SMS", p.cfg.InviteSMS
		}
		if dest != "" {
			s.sendLocked(Message{Time: s.opts.Now(), PoolID: p.state.ID, Username: u.Username, Destination: dest, Medium: medium,
				Purpose: "AdminCreateUser", TemporaryPassword: temp,
				Text: strings.NewReplacer("{username}", in.Username, "{####}", temp).Replace(text)})
		}
	}
	out := map[string]any{"User": userTypeOf(u, nil)}
	g := s.saver.changed()
	s.mu.Unlock()
	return out, s.durable(g)
}

// filterRE is ListUsers' filter syntax: attribute = "value" or attribute ^= "prefix".
var filterRE = regexp.MustCompile(`^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$`)

var filterable = map[string]bool{"username": true, "email": true, "phone_number": true, "name": true, "given_name": true,
	"family_name": true, "preferred_username": true, "cognito:user_status": true, "status": true, "sub": true}

func (s *Server) listUsers(in *adminInput) (any, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 60
	}
	match := func(*userState) bool { return true }
	if strings.TrimSpace(in.Filter) != "" {
		m := filterRE.FindStringSubmatch(in.Filter)
		if m == nil || !filterable[m[1]] {
			return nil, invalidParameter("Invalid search filter %q: use attribute = \"value\" or attribute ^= \"prefix\" with one of username, email, phone_number, name, given_name, family_name, preferred_username, cognito:user_status, status, sub", in.Filter)
		}
		attr, prefix, want := m[1], m[2] == "^=", strings.ReplaceAll(m[3], `\"`, `"`)
		match = func(u *userState) bool {
			var v string
			switch attr {
			case "username":
				v = u.Username
			case "sub":
				v = u.Sub
			case "cognito:user_status":
				v = u.Status
			case "status":
				v = map[bool]string{true: "Enabled", false: "Disabled"}[u.Enabled]
			default:
				v = u.Attributes[attr]
			}
			if prefix {
				return strings.HasPrefix(strings.ToLower(v), strings.ToLower(want))
			}
			return strings.EqualFold(v, want)
		}
	}
	start := 0
	if in.PaginationToken != "" {
		n, err := strconv.Atoi(in.PaginationToken)
		if err != nil || n < 0 {
			return nil, invalidParameter("Invalid pagination token")
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	users := p.sortedUsers()
	out := map[string]any{}
	list := []userType{}
	i := start
	for ; i < len(users) && len(list) < limit; i++ {
		if match(users[i]) {
			list = append(list, userTypeOf(users[i], in.AttributesToGet))
		}
	}
	for ; i < len(users); i++ {
		if match(users[i]) {
			out["PaginationToken"] = strconv.Itoa(i)
			break
		}
	}
	out["Users"] = list
	return out, nil
}

func (s *Server) describePool(in *adminInput) (any, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	n := len(p.state.Users)
	s.mu.Unlock()
	c := p.cfg
	pp := c.PasswordPolicy
	recovery := []map[string]any{}
	for _, r := range c.RecoveryMechanisms {
		recovery = append(recovery, map[string]any{"Name": r.Name, "Priority": r.Priority})
	}
	schema := []map[string]any{{"Name": "sub", "AttributeDataType": "String", "Mutable": false, "Required": true}}
	for _, a := range c.RequiredAttributes {
		schema = append(schema, map[string]any{"Name": a, "AttributeDataType": "String", "Mutable": true, "Required": true})
	}
	pool := map[string]any{
		"Id": p.state.ID, "Name": c.Name, "Arn": fmt.Sprintf("arn:aws:cognito-idp:%s:000000000000:userpool/%s", s.opts.Region, p.state.ID),
		"CreationDate": epoch(p.state.Created), "LastModifiedDate": epoch(p.state.Created), "Status": "Enabled",
		"Policies": map[string]any{"PasswordPolicy": map[string]any{
			"MinimumLength": pp.MinimumLength, "RequireLowercase": pp.RequireLowercase, "RequireUppercase": pp.RequireUppercase,
			"RequireNumbers": pp.RequireNumbers, "RequireSymbols": pp.RequireSymbols, "TemporaryPasswordValidityDays": pp.TemporaryPasswordValidityDays,
		}},
		"MfaConfiguration":       c.MFA,
		"EstimatedNumberOfUsers": n,
		"UsernameConfiguration":  map[string]any{"CaseSensitive": c.CaseSensitive},
		"AdminCreateUserConfig":  map[string]any{"AllowAdminCreateUserOnly": c.AdminCreateUserOnly},
		"AccountRecoverySetting": map[string]any{"RecoveryMechanisms": recovery},
		"SchemaAttributes":       schema,
	}
	for k, v := range map[string][]string{"UsernameAttributes": c.UsernameAttributes, "AliasAttributes": c.AliasAttributes, "AutoVerifiedAttributes": c.AutoVerifiedAttributes} {
		if len(v) > 0 {
			pool[k] = v
		}
	}
	return map[string]any{"UserPool": pool}, nil
}

func (s *Server) describeClient(in *adminInput) (any, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	cl, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if cl.pool != p {
		return nil, errorf("ResourceNotFoundException", "User pool client %s does not exist.", in.ClientId)
	}
	c := cl.cfg
	out := map[string]any{
		"UserPoolId": p.state.ID, "ClientName": c.Name, "ClientId": cl.state.ID,
		"CreationDate": epoch(cl.state.Created), "LastModifiedDate": epoch(cl.state.Created),
		"ExplicitAuthFlows": c.ExplicitAuthFlows, "AccessTokenValidity": c.AccessTokenValidity, "IdTokenValidity": c.IDTokenValidity,
		"RefreshTokenValidity":       c.RefreshTokenValidity,
		"TokenValidityUnits":         map[string]string{"AccessToken": c.AccessTokenUnit, "IdToken": c.IDTokenUnit, "RefreshToken": c.RefreshTokenUnit},
		"PreventUserExistenceErrors": c.PreventUserExistenceErrors, "EnableTokenRevocation": c.EnableTokenRevocation,
		"AuthSessionValidity": c.AuthSessionValidity, "SupportedIdentityProviders": []string{"COGNITO"},
	}
	if cl.state.Secret != "" {
		out["ClientSecret"] = cl.state.Secret
	}
	return map[string]any{"UserPoolClient": out}, nil
}

func (s *Server) adminSetUserPassword(in *adminInput) (any, error) {
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(p.cfg.PasswordPolicy, in.Password); err != nil {
		return nil, err
	}
	p, _, u, err := s.adminUser(in)
	if err != nil {
		return nil, err
	}
	username := u.Username
	s.mu.Unlock()
	ver, err := srp.NewVerifier(p.poolName(), username, in.Password)
	if err != nil {
		return nil, internalError(err)
	}
	s.mu.Lock()
	u.Salt, u.Verifier, u.Modified = ver.Salt, ver.V, s.opts.Now()
	if in.Permanent {
		u.Status, u.TempPasswordExpires = "CONFIRMED", time.Time{}
	} else {
		u.Status = "FORCE_CHANGE_PASSWORD"
		u.TempPasswordExpires = s.opts.Now().Add(time.Duration(p.cfg.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	}
	g := s.saver.changed()
	s.mu.Unlock()
	return nil, s.durable(g)
}

// adminSetEnabled serves AdminDisableUser and AdminEnableUser. As in Cognito, disabling also revokes every
// session: the user cannot sign in, and the tokens it held stay refused after it is enabled again.
func (s *Server) adminSetEnabled(in *adminInput, enabled bool) (any, error) {
	p, _, u, err := s.adminUser(in)
	if err != nil {
		return nil, err
	}
	u.Enabled, u.Modified = enabled, s.opts.Now()
	if !enabled {
		revokeUserLocked(p, u.Username)
	}
	g := s.saver.changed()
	s.mu.Unlock()
	return nil, s.durable(g)
}
