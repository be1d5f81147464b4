package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/authnotes/authnotes/srp"
)

// attribute is Cognito's AttributeType.
type attribute struct {
	Name  string
	Value string
}

var standardAttributes = []string{"address", "birthdate", "email", "email_verified", "family_name", "gender",
	"given_name", "locale", "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
	"preferred_username", "profile", "updated_at", "website", "zoneinfo"}

// checkWritableAttribute refuses attributes the pool does not have (neither standard nor in the template's
// schema), sub, and (for users themselves) the verified flags.
func checkWritableAttribute(p *pool, name string, admin bool) error {
	switch {
	case name == "sub":
		return invalidParameter("Cannot modify the non-mutable attribute sub")
	case !admin && (name == "email_verified" || name == "phone_number_verified"):
		return notAuthorized("A client attempted to write unauthorized attribute " + name)
	case !slices.Contains(standardAttributes, name) && !slices.Contains(p.cfg.CustomAttributes, name):
		return invalidParameter("Attributes did not conform to the schema: Type for attribute {%s} could not be determined", name)
	}
	return nil
}

func attributesOf(u *userState) []attribute {
	out := []attribute{{"sub", u.Sub}}
	for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
		out = append(out, attribute{k, u.Attributes[k]})
	}
	return out
}

func userAttributesJSON(u *userState) string {
	m := maps.Clone(u.Attributes)
	b, _ := json.Marshal(m)
	return string(b)
}

// epoch is how AWS JSON 1.1 sends timestamps: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// applyAttributes validates and sets attributes, keeping the alias index and e-mail uniqueness in step; call
// with s.mu held.
func (s *Server) applyAttributesLocked(p *pool, key string, u *userState, attrs []attribute, admin bool) error {
	for _, a := range attrs {
		if err := checkWritableAttribute(p, a.Name, admin); err != nil {
			return err
		}
		if a.Name == "email" || a.Name == "phone_number" || a.Name == "preferred_username" {
			if owner, taken := p.aliases[aliasKey(a.Name, a.Value)]; taken && owner != key {
				if slices.Contains(p.cfg.UsernameAttributes, a.Name) {
					return errorf("AliasExistsException", "An account with the given %s already exists.", a.Name)
				}
				if slices.Contains(p.cfg.AliasAttributes, a.Name) && p.state.Users[owner].Attributes[a.Name+"_verified"] == "true" {
					return errorf("AliasExistsException", "An account with the given %s already exists.", a.Name)
				}
			}
		}
	}
	p.unindex(u)
	for _, a := range attrs {
		old, had := u.Attributes[a.Name]
		u.Attributes[a.Name] = a.Value
		if (a.Name == "email" || a.Name == "phone_number") && (!had || old != a.Value) && !admin {
			u.Attributes[a.Name+"_verified"] = "false"
		}
	}
	p.index(key, u)
	u.Modified = s.opts.Now()
	return nil
}

type signUpInput struct {
	ClientId       string      `check:"clientId"`
	Username       string      `check:"username"`
	Password       string      `check:"password"`
	SecretHash     string      `check:"secretHash"`
	UserAttributes []attribute `check:"attributes"`
}

type signUpOutput struct {
	UserConfirmed       bool
	UserSub             string
	CodeDeliveryDetails *codeDelivery `json:",omitempty"`
}

type userCodeInput struct {
	ClientId         string `check:"clientId"`
	Username         string `check:"username"`
	SecretHash       string `check:"secretHash"`
	ConfirmationCode string `check:"code"`
	Password         string `check:"password"` // ConfirmForgotPassword
}

type codeOutput struct {
	CodeDeliveryDetails *codeDelivery `json:",omitempty"`
}

type accessInput struct {
	AccessToken      string      `check:"token"`
	UserAttributes   []attribute `check:"attributes"`    // UpdateUserAttributes
	AttributeName    string      `check:"attributeName"` // VerifyUserAttribute
	Code             string      `check:"code"`          // VerifyUserAttribute
	PreviousPassword string      `check:"password"`      // ChangePassword
	ProposedPassword string      `check:"password"`      // ChangePassword
}

type getUserOutput struct {
	Username            string
	UserAttributes      []attribute
	PreferredMfaSetting string   `json:",omitempty"`
	UserMFASettingList  []string `json:",omitempty"`
}

func mfaSettings(u *userState) (preferred string, list []string) {
	if u.TOTPEnabled {
		list = []string{"SOFTWARE_TOKEN_MFA"}
		if u.TOTPPreferred {
			preferred = "SOFTWARE_TOKEN_MFA"
		}
	}
	return preferred, list
}

func init() {
	op("SignUp", func(ctx context.Context, s *Server, in *signUpInput) (any, error) { return s.signUp(in) })
	op("ConfirmSignUp", func(ctx context.Context, s *Server, in *userCodeInput) (any, error) { return s.confirmSignUp(in) })
	op("ResendConfirmationCode", func(ctx context.Context, s *Server, in *userCodeInput) (any, error) {
		return s.sendUserCode(in, "signup")
	})
	op("ForgotPassword", func(ctx context.Context, s *Server, in *userCodeInput) (any, error) {
		return s.sendUserCode(in, "reset")
	})
	op("ConfirmForgotPassword", func(ctx context.Context, s *Server, in *userCodeInput) (any, error) {
		return s.confirmForgotPassword(in)
	})
	op("GetUser", func(ctx context.Context, s *Server, in *accessInput) (any, error) {
		_, _, u, err := s.authenticate(ctx, in.AccessToken)
		if err != nil {
			return nil, err
		}
		defer s.mu.Unlock()
		pref, list := mfaSettings(u)
		return &getUserOutput{Username: u.Username, UserAttributes: attributesOf(u), PreferredMfaSetting: pref, UserMFASettingList: list}, nil
	})
	op("UpdateUserAttributes", func(ctx context.Context, s *Server, in *accessInput) (any, error) {
		return s.updateUserAttributes(ctx, in)
	})
	op("VerifyUserAttribute", func(ctx context.Context, s *Server, in *accessInput) (any, error) {
		return s.verifyUserAttribute(ctx, in)
	})
	op("ChangePassword", func(ctx context.Context, s *Server, in *accessInput) (any, error) { return s.changePassword(ctx, in) })
	op("DeleteUser", func(ctx context.Context, s *Server, in *accessInput) (any, error) {
		p, key, u, err := s.authenticate(ctx, in.AccessToken)
		if err != nil {
			return nil, err
		}
		g := s.deleteUserLocked(p, key, u)
		s.mu.Unlock()
		return nil, s.durable(g)
	})
	op("GlobalSignOut", func(ctx context.Context, s *Server, in *accessInput) (any, error) {
		p, _, u, err := s.authenticate(ctx, in.AccessToken)
		if err != nil {
			return nil, err
		}
		revokeUserLocked(p, u.Username)
		g := s.saver.changed()
		s.mu.Unlock()
		return nil, s.durable(g)
	})
	op("RevokeToken", func(ctx context.Context, s *Server, in *revokeInput) (any, error) { return s.revokeToken(in) })
}

// signUp stores an unconfirmed user and sends the confirmation code. In pools that sign in by e-mail or phone
// the user's internal name is their sub, as in Cognito.
func (s *Server) signUp(in *signUpInput) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	p := c.pool
	if p.cfg.AdminCreateUserOnly {
		return nil, notAuthorized("SignUp is not permitted for this user pool")
	}
	if err := checkSecretHash(c, in.Username, in.SecretHash); err != nil {
		return nil, err
	}
	u, err := s.newUser(p, in.Username, in.UserAttributes, false)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(p.cfg.PasswordPolicy, in.Password); err != nil {
		return nil, err
	}
	ver, err := srp.NewVerifier(p.poolName(), u.Username, in.Password)
	if err != nil {
		return nil, internalError(err)
	}
	u.Salt, u.Verifier, u.Status = ver.Salt, ver.V, "UNCONFIRMED"
	s.mu.Lock()
	if _, err := s.insertUserLocked(p, in.Username, u); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	out := &signUpOutput{UserSub: u.Sub}
	for _, attr := range p.cfg.AutoVerifiedAttributes {
		if u.Attributes[attr] == "" {
			continue
		}
		// A brand-new user cannot have hit the resend limit, so delivery cannot fail here.
		if d, err := s.deliverLocked(p, u, attr, "signup", "SignUp"); err == nil {
			out.CodeDeliveryDetails = &d
		}
		break
	}
	g := s.saver.changed()
	s.mu.Unlock()
	if err := s.durable(g); err != nil {
		return nil, err
	}
	return out, nil
}

// newUser validates a sign-up or admin-created user's name and attributes and builds it (not yet stored).
func (s *Server) newUser(p *pool, name string, attrs []attribute, admin bool) (*userState, error) {
	if name == "" {
		return nil, invalidParameter("1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null")
	}
	now := s.opts.Now()
	u := &userState{Username: name, Sub: newUUID(), Attributes: map[string]string{}, Enabled: true, Created: now, Modified: now}
	for _, a := range attrs {
		if err := checkWritableAttribute(p, a.Name, admin); err != nil {
			return nil, err
		}
		u.Attributes[a.Name] = a.Value
	}
	if len(p.cfg.UsernameAttributes) > 0 {
		switch {
		case strings.Contains(name, "@") && slices.Contains(p.cfg.UsernameAttributes, "email"):
			u.Attributes["email"] = name
		case strings.HasPrefix(name, "+") && slices.Contains(p.cfg.UsernameAttributes, "phone_number"):
			u.Attributes["phone_number"] = name
		case slices.Contains(p.cfg.UsernameAttributes, "email"):
			return nil, invalidParameter("Username should be an email.")
		default:
			return nil, invalidParameter("Username should be a phone number.")
		}
		u.Username = u.Sub
	} else if slices.Contains(p.cfg.AliasAttributes, "email") && strings.Contains(name, "@") {
		return nil, invalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
	}
	if e := u.Attributes["email"]; e != "" && !strings.Contains(e, "@") {
		return nil, invalidParameter("Invalid email address format.")
	}
	for _, req := range p.cfg.RequiredAttributes {
		if u.Attributes[req] == "" {
			return nil, invalidParameter("Attributes did not conform to the schema: %s: The attribute %s is required", req, req)
		}
	}
	for _, v := range []string{"email_verified", "phone_number_verified"} {
		if _, set := u.Attributes[v]; !set && u.Attributes[strings.TrimSuffix(v, "_verified")] != "" {
			u.Attributes[v] = "false"
		}
	}
	return u, nil
}

// insertUserLocked stores a new user unless the name or a sign-in attribute is taken.
func (s *Server) insertUserLocked(p *pool, signInName string, u *userState) (string, error) {
	key := p.userKey(u.Username)
	if _, exists := p.state.Users[key]; exists {
		return "", errorf("UsernameExistsException", "User already exists")
	}
	for _, a := range p.cfg.UsernameAttributes {
		if v := u.Attributes[a]; v != "" {
			if _, taken := p.aliases[aliasKey(a, v)]; taken {
				return "", errorf("UsernameExistsException", "An account with the given %s already exists.", a)
			}
		}
	}
	if len(p.cfg.UsernameAttributes) == 0 {
		if _, other := p.lookup(signInName); other != nil {
			return "", errorf("UsernameExistsException", "User already exists")
		}
	}
	p.state.Users[key] = u
	p.index(key, u)
	return key, nil
}

func (s *Server) deleteUserLocked(p *pool, key string, u *userState) uint64 {
	revokeUserLocked(p, u.Username)
	p.unindex(u)
	delete(p.state.Users, key)
	return s.saver.changed()
}

// errNoUserForCode is what clients that do not prevent user existence errors get from a code operation for a name
// nobody has.
var errNoUserForCode = errorf("UserNotFoundException", "Username/client id combination not found.")

func (s *Server) confirmSignUp(in *userCodeInput) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, in.Username, in.SecretHash); err != nil {
		return nil, err
	}
	p := c.pool
	s.mu.Lock()
	_, u := p.lookup(in.Username)
	eligible := u != nil && u.Status == "UNCONFIRMED"
	switch {
	case c.preventEnumeration():
		if eligible = eligible && u.Enabled; !eligible {
			// As for everyone who signs up, a code went out, which the caller does not have.
			if si := s.standInLocked(p, in.Username); !si.signUpAssumed {
				si.pretend("signup", s.opts.Now())
			}
		}
	case u == nil:
		s.mu.Unlock()
		return nil, errNoUserForCode
	case !eligible:
		s.mu.Unlock()
		return nil, notAuthorized("User cannot be confirmed. Current status is " + u.Status)
	}
	err = s.checkCodeLocked(p, in.Username, u, eligible, "signup", in.ConfirmationCode)
	if err == nil {
		u.Status, u.Modified = "CONFIRMED", s.opts.Now()
		for _, a := range p.cfg.AutoVerifiedAttributes {
			if u.Attributes[a] != "" {
				u.Attributes[a+"_verified"] = "true"
				break
			}
		}
	}
	g := s.saver.changed()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, s.durable(g)
}

// checkCodeLocked checks the code of a confirmation (ConfirmSignUp, ConfirmForgotPassword). An eligible user's own
// pending code can succeed; every other name (with existence errors prevented: unknown, disabled, already
// confirmed) is checked against the codes its stand-in pretended to send, which nothing matches, so the answers run
// exactly as for a real user with a code nobody guesses: a mismatch, the attempt limit, then an expired code — and
// an expired code when none was asked for.
func (s *Server) checkCodeLocked(p *pool, name string, u *userState, eligible bool, purpose, code string) error {
	var book *codeBook
	if eligible && u.Codes[purpose] != nil {
		book = &u.codeBook
	} else if si := s.standIns[nameKey(p, name)]; si != nil && si.Codes[purpose] != nil {
		book = &si.codeBook
	}
	if book == nil {
		return errCodeExpired
	}
	return book.check(s.opts.Now(), purpose, code)
}

// recoveryAttribute picks where a reset code goes, following the pool's recovery mechanisms.
func recoveryAttribute(p *pool, u *userState) (string, error) {
	for _, m := range p.cfg.RecoveryMechanisms {
		switch m.Name {
		case "verified_email":
			if u.Attributes["email"] != "" && u.Attributes["email_verified"] == "true" {
				return "email", nil
			}
		case "verified_phone_number":
			if u.Attributes["phone_number"] != "" && u.Attributes["phone_number_verified"] == "true" {
				return "phone_number", nil
			}
		}
	}
	return "", invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
}

// sendUserCode serves ResendConfirmationCode (purpose signup) and ForgotPassword (purpose reset).
func (s *Server) sendUserCode(in *userCodeInput, purpose string) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, in.Username, in.SecretHash); err != nil {
		return nil, err
	}
	s.mu.Lock()
	out, g, err := s.sendUserCodeLocked(c, in.Username, purpose)
	s.mu.Unlock()
	if err != nil || g == 0 {
		return out, err
	}
	// The code must outlive a crash once the user can read it.
	return out, s.durable(g)
}

// sendUserCodeLocked sends the code; g is the state generation to wait for.
func (s *Server) sendUserCodeLocked(c *client, name, purpose string) (*codeOutput, uint64, error) {
	p := c.pool
	// Pool-wide settings: the same answer for every name, known or not.
	if purpose == "reset" && slices.ContainsFunc(p.cfg.RecoveryMechanisms, func(r RecoveryOption) bool { return r.Name == "admin_only" }) {
		return nil, 0, errAdminOnlyRecovery
	}
	if purpose == "signup" && len(p.cfg.AutoVerifiedAttributes) == 0 {
		return nil, 0, invalidParameter("Auto verification not turned on.")
	}
	_, u := p.lookup(name)
	attr, err := codeDestination(p, u, purpose)
	if c.preventEnumeration() && (err != nil || !u.Enabled) {
		// Nobody to send to (an unknown name, a user who is disabled, already confirmed or without a verified
		// address): answer as if a code went out, as Cognito does.
		return s.simulatedDeliveryLocked(p, u, name, purpose)
	}
	if err != nil {
		return nil, 0, err
	}
	label := map[string]string{"signup": "SignUp", "reset": "ForgotPassword"}[purpose]
	d, err := s.deliverLocked(p, u, attr, purpose, label)
	if err != nil {
		return nil, 0, err
	}
	return &codeOutput{&d}, s.saver.changed(), nil
}

// codeDestination picks the attribute a code for purpose ("signup", "reset") goes to, or says why none can.
func codeDestination(p *pool, u *userState, purpose string) (string, error) {
	switch {
	case u == nil:
		return "", errNoUserForCode
	case purpose == "reset":
		return recoveryAttribute(p, u)
	case u.Status != "UNCONFIRMED":
		return "", invalidParameter("User is already confirmed.")
	}
	for _, a := range p.cfg.AutoVerifiedAttributes {
		if u.Attributes[a] != "" {
			return a, nil
		}
	}
	return "", invalidParameter("Auto verification not turned on.")
}

// standIn is what the endpoint remembers of a sign-in name that gets simulated answers to code operations (an
// unknown name, or a user who may not use the operation, when the client prevents user existence errors): the
// codes it pretended to send, which no code matches, so that confirming fails exactly as a real user's wrong code
// does, and when it pretended to send them, so that the hourly limit applies too. It is kept in memory, until
// what it pretended expires.
type standIn struct {
	codeBook
	// signUpAssumed is set once it pretended that a sign-up code went out, as one does for everyone who signs up.
	signUpAssumed bool
	until         time.Time
}

// pretend records a code for purpose that nobody received.
func (si *standIn) pretend(purpose string, now time.Time) {
	expires := now.Add(codeTTL(purpose))
	si.expect(purpose, nil, expires)
	si.signUpAssumed = si.signUpAssumed || purpose == "signup"
	if expires.After(si.until) {
		si.until = expires
	}
}

// standInLocked returns the stand-in of a name, creating it.
func (s *Server) standInLocked(p *pool, name string) *standIn {
	k := nameKey(p, name)
	si := s.standIns[k]
	if si == nil {
		makeRoom(s, s.standIns, func(a, b *standIn) bool { return a.until.Before(b.until) })
		si = &standIn{}
		s.standIns[k] = si
	}
	return si
}

// simulatedDeliveryLocked answers a code request that sends nothing exactly as a real delivery would look from
// outside: a destination masked like the pool's real ones and stable per name, the same limit on requests per
// hour, a pretended code that later confirmations fail against, and a state write to wait for, so that neither
// the answer, nor the rate limit, nor the time it takes tells an unknown name from a real one. A user's simulated
// sends count in the user's own book (u; nil for an unknown name), with the real ones: counted apart, a user whose
// resends are simulated and resets real (or the other way round) would get more codes an hour than an unknown name.
func (s *Server) simulatedDeliveryLocked(p *pool, u *userState, name, purpose string) (*codeOutput, uint64, error) {
	now := s.opts.Now()
	si := s.standInLocked(p, name)
	sends := &si.codeBook
	if u != nil {
		sends = &u.codeBook
	}
	if err := sends.sent(now); err != nil {
		return nil, 0, err
	}
	si.pretend(purpose, now)
	return &codeOutput{simulatedDestination(p, name)}, s.saver.changed(), nil
}

// simulatedDestination makes up where a code for name would have gone: the name itself when it is an e-mail
// address or phone number (as a real user's would be), else a masked address derived from the pool's secret.
func simulatedDestination(p *pool, name string) *codeDelivery {
	switch {
	case strings.Contains(name, "@"):
		return &codeDelivery{AttributeName: "email", DeliveryMedium: "EMAIL", Destination: mask(name)}
	case strings.HasPrefix(name, "+"):
		return &codeDelivery{AttributeName: "phone_number", DeliveryMedium: "SMS", Destination: mask(name)}
	}
	m := hmac.New(sha256.New, p.state.FakeSecret)
	m.Write([]byte("destination\x00" + strings.ToLower(name)))
	seed := m.Sum(nil)
	if phoneFirst(p) {
		digits := fmt.Sprintf("%04d", (int(seed[0])<<8|int(seed[1]))%10000)
		return &codeDelivery{AttributeName: "phone_number", DeliveryMedium: "SMS", Destination: mask("+1555555" + digits)}
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	local, domain := letters[int(seed[0])%len(letters)], letters[int(seed[1])%len(letters)]
	return &codeDelivery{AttributeName: "email", DeliveryMedium: "EMAIL", Destination: mask(string(local) + "@" + string(domain))}
}

// phoneFirst reports whether the pool's codes go to phone numbers rather than e-mail addresses.
func phoneFirst(p *pool) bool {
	for _, m := range p.cfg.RecoveryMechanisms {
		switch m.Name {
		case "verified_phone_number":
			return !slices.Contains(p.cfg.AutoVerifiedAttributes, "email")
		case "verified_email":
			return false
		}
	}
	return slices.Contains(p.cfg.AutoVerifiedAttributes, "phone_number") && !slices.Contains(p.cfg.AutoVerifiedAttributes, "email")
}

func (s *Server) confirmForgotPassword(in *userCodeInput) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, in.Username, in.SecretHash); err != nil {
		return nil, err
	}
	if err := checkPassword(c.pool.cfg.PasswordPolicy, in.Password); err != nil {
		return nil, err
	}
	p := c.pool
	s.mu.Lock()
	_, u := p.lookup(in.Username)
	switch {
	case c.preventEnumeration():
	case u == nil:
		s.mu.Unlock()
		return nil, errNoUserForCode
	case !u.Enabled:
		s.mu.Unlock()
		return nil, notAuthorized("User is disabled.")
	}
	if err := s.checkCodeLocked(p, in.Username, u, u != nil && u.Enabled, "reset", in.ConfirmationCode); err != nil {
		s.saver.changed()
		s.mu.Unlock()
		return nil, err
	}
	username := u.Username
	s.mu.Unlock()
	ver, err := srp.NewVerifier(c.pool.poolName(), username, in.Password)
	if err != nil {
		return nil, internalError(err)
	}
	s.mu.Lock()
	u.Salt, u.Verifier, u.Modified = ver.Salt, ver.V, s.opts.Now()
	if u.Status == "RESET_REQUIRED" || u.Status == "FORCE_CHANGE_PASSWORD" {
		u.Status = "CONFIRMED"
	}
	g := s.saver.changed()
	s.mu.Unlock()
	return nil, s.durable(g)
}

type updateAttributesOutput struct {
	CodeDeliveryDetailsList []codeDelivery
}

func (s *Server) updateUserAttributes(ctx context.Context, in *accessInput) (any, error) {
	p, key, u, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.applyAttributesLocked(p, key, u, in.UserAttributes, false); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	out := &updateAttributesOutput{CodeDeliveryDetailsList: []codeDelivery{}}
	for _, a := range in.UserAttributes {
		if (a.Name == "email" || a.Name == "phone_number") && u.Attributes[a.Name+"_verified"] == "false" && slices.Contains(p.cfg.AutoVerifiedAttributes, a.Name) {
			d, err := s.deliverLocked(p, u, a.Name, "verify", "VerifyAttribute")
			if err == nil {
				out.CodeDeliveryDetailsList = append(out.CodeDeliveryDetailsList, d)
			}
		}
	}
	g := s.saver.changed()
	s.mu.Unlock()
	return out, s.durable(g)
}

func (s *Server) verifyUserAttribute(ctx context.Context, in *accessInput) (any, error) {
	_, _, u, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.AttributeName != "email" && in.AttributeName != "phone_number" {
		s.mu.Unlock()
		return nil, invalidParameter("Attribute %s cannot be verified", in.AttributeName)
	}
	err = u.check(s.opts.Now(), "verify:"+in.AttributeName, in.Code)
	if err == nil {
		u.Attributes[in.AttributeName+"_verified"] = "true"
	}
	g := s.saver.changed()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, s.durable(g)
}

func (s *Server) changePassword(ctx context.Context, in *accessInput) (any, error) {
	p, key, u, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	old := srp.Verifier{Salt: u.Salt, V: u.Verifier}
	username := u.Username
	k := userNameKey(p, key)
	if err := s.lockedLocked(k); err != nil {
		s.mu.Unlock()
		return nil, errAttemptLimit
	}
	s.mu.Unlock()
	if err := checkPassword(p.cfg.PasswordPolicy, in.ProposedPassword); err != nil {
		return nil, err
	}
	checked := old.Check(p.poolName(), username, in.PreviousPassword)
	// The verdict counts only if the user was not locked out meanwhile, decided with recording it, as for sign-ins.
	s.mu.Lock()
	if err := s.lockedLocked(k); err != nil {
		s.mu.Unlock()
		return nil, errAttemptLimit
	}
	if checked != nil {
		s.failedLocked(k)
		s.mu.Unlock()
		return nil, errWrongCredentials
	}
	s.mu.Unlock()
	ver, err := srp.NewVerifier(p.poolName(), username, in.ProposedPassword)
	if err != nil {
		return nil, internalError(err)
	}
	s.mu.Lock()
	if p.state.Users[key] != u {
		s.mu.Unlock()
		return nil, notAuthorized("User does not exist.")
	}
	u.Salt, u.Verifier, u.Modified = ver.Salt, ver.V, s.opts.Now()
	g := s.saver.changed()
	s.mu.Unlock()
	return nil, s.durable(g)
}

type revokeInput struct {
	Token        string `check:"token"`
	ClientId     string `check:"clientId"`
	ClientSecret string `check:"clientSecret"`
}

func (s *Server) revokeToken(in *revokeInput) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if c.state.Secret != "" && !hmac.Equal([]byte(in.ClientSecret), []byte(c.state.Secret)) {
		return nil, errorf("UnauthorizedException", "Invalid client secret")
	}
	if !c.cfg.EnableTokenRevocation {
		return nil, errorf("UnsupportedOperationException", "Token revocation is not enabled for this client")
	}
	if in.Token == "" {
		return nil, invalidParameter("1 validation error detected: Value null at 'token' failed to satisfy constraint: Member must not be null")
	}
	if isJWT(in.Token) {
		// Only refresh tokens can be revoked; ID and access tokens go with their refresh token.
		return nil, errorf("UnsupportedTokenTypeException", "Unsupported token type: RevokeToken takes a refresh token")
	}
	hash := hashToken(in.Token)
	s.mu.Lock()
	found := c.pool.state.Sessions[c.pool.refresh[string(hash)]]
	if found == nil {
		s.mu.Unlock()
		// RFC 7009: an unknown token is not an error, there is just nothing to revoke.
		return nil, nil
	}
	if found.ClientID != c.state.ID {
		s.mu.Unlock()
		return nil, errorf("UnauthorizedException", "Token was not issued to this client")
	}
	found.Revoked = true
	g := s.saver.changed()
	s.mu.Unlock()
	return nil, s.durable(g)
}
