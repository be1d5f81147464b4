package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/authnotes/authnotes/local/jwtauth"
	"github.com/authnotes/authnotes/srp"
)

// srpPending is an SRP sign-in between InitiateAuth and the PASSWORD_VERIFIER answer, found by its secret block.
type srpPending struct {
	client  *client
	userKey string // "" for a user that does not exist
	userID  string // USER_ID_FOR_SRP
	loginAs string // the name the client signed in with, for lockout
	session *srp.ServerSession
	expires time.Time
}

// challenge is a sign-in waiting for MFA, a new password or MFA setup, found by its Session string.
type challenge struct {
	name     string // SOFTWARE_TOKEN_MFA, NEW_PASSWORD_REQUIRED, MFA_SETUP
	client   *client
	userKey  string
	attempts int
	expires  time.Time
	// mfaSetUp is set once VerifySoftwareToken succeeded during MFA_SETUP.
	mfaSetUp bool
}

// lockout counts failed sign-ins (wrong passwords and wrong MFA codes) per pool and sign-in name, for existing
// and unknown names alike, so locking reveals nothing either.
type lockout struct {
	failures int
	until    time.Time
	last     time.Time // of the last failure
}

const (
	lockoutAfter = 5
	lockoutMax   = 15 * time.Minute
	// lockoutReset is how long without a failure clears the count, as in Cognito ("not initiate any sign-in
	// attempts for 15 consecutive minutes").
	lockoutReset = 15 * time.Minute
	// timestampSkew is how far the TIMESTAMP of a PASSWORD_VERIFIER answer may be from our clock.
	timestampSkew = 5 * time.Minute
)

// over reports whether the count has been cleared by time: the lock ran out and no failure came for lockoutReset.
func (l *lockout) over(now time.Time) bool {
	return !now.Before(l.until) && now.Sub(l.last) > lockoutReset
}

// nameKey is what failed sign-ins and stand-ins are kept under: the user a sign-in name resolves to, so that
// spelling an e-mail address in another case or signing in by sub instead of by e-mail does not start a fresh
// count. Unknown names are folded the way lookup would fold them (e-mail addresses and phone numbers always, other
// names when the pool is case-insensitive), so they lock exactly like a real user's name and locking reveals
// nothing.
func nameKey(p *pool, name string) string {
	if key, u := p.lookup(name); u != nil {
		return userNameKey(p, key)
	}
	return p.state.ID + "\x00n\x00" + p.foldUnknown(name)
}

// userNameKey is nameKey for the user stored under key.
func userNameKey(p *pool, key string) string { return p.state.ID + "\x00u\x00" + key }

// foldUnknown normalises a name that matches no user the way lookup folds the names it does match, so that
// everything derived from an unknown name (its lockout, its stand-in salt and sub) is the same for every spelling
// that would reach the same real user.
func (p *pool) foldUnknown(name string) string {
	if strings.Contains(name, "@") || strings.HasPrefix(name, "+") {
		name = strings.ToLower(name)
	}
	return p.userKey(name)
}

// lockedLocked refuses a sign-in step while the name (a nameKey) is locked out. A caller checks it in the same
// critical section in which it records the step's outcome: concurrent wrong guesses then cannot all pass it
// before the first of them is counted.
func (s *Server) lockedLocked(k string) error {
	if l := s.lockouts[k]; l != nil && s.opts.Now().Before(l.until) {
		return errLockedOut
	}
	return nil
}

// failedLocked records a failed sign-in step: from the fifth failure on, the name is locked for 1 s, then 2 s,
// 4 s, … up to 15 minutes, like Cognito.
func (s *Server) failedLocked(k string) {
	now := s.opts.Now()
	l := s.lockouts[k]
	if l != nil && l.over(now) {
		l = nil
	}
	if l == nil {
		makeRoom(s, s.lockouts, func(a, b *lockout) bool {
			// Counts that time cleared go first; then a name that failed more keeps its count longest, so a flood
			// of names that failed once cannot reset it.
			if a.over(now) != b.over(now) {
				return a.over(now)
			}
			return a.failures < b.failures || (a.failures == b.failures && a.last.Before(b.last))
		})
		l = &lockout{}
		s.lockouts[k] = l
	}
	l.failures++
	l.last = now
	if l.failures >= lockoutAfter {
		d := min(time.Second<<min(l.failures-lockoutAfter, 20), lockoutMax)
		l.until = now.Add(d)
	}
}

// succeededLocked clears the count of a user who completed a sign-in.
func (s *Server) succeededLocked(k string) { delete(s.lockouts, k) }

func (s *Server) client(id string) (*client, error) {
	if c := s.clients[id]; c != nil {
		return c, nil
	}
	if id == "" {
		return nil, invalidParameter("1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
	}
	return nil, errorf("ResourceNotFoundException", "User pool client %s does not exist.", id)
}

func (s *Server) pool(id string) (*pool, error) {
	if p := s.pools[id]; p != nil {
		return p, nil
	}
	return nil, errorf("ResourceNotFoundException", "User pool %s does not exist.", id)
}

// checkClientPool checks the UserPoolId of an admin call that also names a client: the pool must exist and be
// the client's.
func (s *Server) checkClientPool(c *client, poolID string) error {
	if _, err := s.pool(poolID); err != nil {
		return err
	}
	if c.pool.state.ID != poolID {
		return errorf("ResourceNotFoundException", "User pool client %s does not exist.", c.state.ID)
	}
	return nil
}

// checkSecretHash enforces SECRET_HASH for clients with a secret.
func checkSecretHash(c *client, username, hash string) error {
	if c.state.Secret == "" {
		return nil
	}
	if hash == "" {
		return notAuthorized(fmt.Sprintf("Client %s is configured with secret but SECRET_HASH was not received", c.state.ID))
	}
	if !hmac.Equal([]byte(hash), []byte(srp.SecretHash(c.state.Secret, c.state.ID, username))) {
		return notAuthorized(fmt.Sprintf("Unable to verify secret hash for client %s", c.state.ID))
	}
	return nil
}

// userNotFound is the answer for an unknown user: UserNotFoundException, or — when the client prevents user
// existence errors — the same error a wrong password gets.
func userNotFound(c *client) error {
	if c.preventEnumeration() {
		return errWrongCredentials
	}
	return errorf("UserNotFoundException", "User does not exist.")
}

type initiateAuthInput struct {
	AuthFlow       string            `check:"authFlow"`
	ClientId       string            `check:"clientId"`
	UserPoolId     string            `check:"userPoolId"` // AdminInitiateAuth
	AuthParameters map[string]string `check:"parameters"`
}

type authOutput struct {
	AuthenticationResult *authResult       `json:",omitempty"`
	ChallengeName        string            `json:",omitempty"`
	ChallengeParameters  map[string]string `json:",omitempty"`
	Session              string            `json:",omitempty"`
}

func init() {
	op("InitiateAuth", func(ctx context.Context, s *Server, in *initiateAuthInput) (any, error) {
		return s.initiateAuth(in, false)
	})
	op("AdminInitiateAuth", func(ctx context.Context, s *Server, in *initiateAuthInput) (any, error) {
		return s.initiateAuth(in, true)
	})
	op("RespondToAuthChallenge", func(ctx context.Context, s *Server, in *respondInput) (any, error) {
		return s.respond(in)
	})
	// AdminInitiateAuth can end in a challenge (a new password, MFA); the admin side answers it here.
	op("AdminRespondToAuthChallenge", func(ctx context.Context, s *Server, in *respondInput) (any, error) {
		c, err := s.client(in.ClientId)
		if err != nil {
			return nil, err
		}
		if err := s.checkClientPool(c, in.UserPoolId); err != nil {
			return nil, err
		}
		return s.respond(in)
	})
}

func (s *Server) initiateAuth(in *initiateAuthInput, admin bool) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if admin {
		if err := s.checkClientPool(c, in.UserPoolId); err != nil {
			return nil, err
		}
	}
	params := in.AuthParameters
	flow := in.AuthFlow
	switch {
	case flow == "USER_SRP_AUTH":
		if !c.cfg.allows("USER_SRP_AUTH") {
			return nil, invalidParameter("USER_SRP_AUTH is not enabled for the client.")
		}
		return s.startSRP(c, params)
	case flow == "USER_PASSWORD_AUTH" && !admin:
		if !c.cfg.allows("USER_PASSWORD_AUTH") {
			return nil, invalidParameter("USER_PASSWORD_AUTH flow not enabled for this client")
		}
		return s.passwordAuth(c, params)
	case (flow == "ADMIN_USER_PASSWORD_AUTH" || flow == "ADMIN_NO_SRP_AUTH") && admin:
		if !c.cfg.allows("ADMIN_USER_PASSWORD_AUTH") {
			return nil, invalidParameter("Auth flow not enabled for this client")
		}
		return s.passwordAuth(c, params)
	case flow == "REFRESH_TOKEN_AUTH" || flow == "REFRESH_TOKEN":
		return s.refresh(c, params)
	case flow == "":
		return nil, invalidParameter("1 validation error detected: Value null at 'authFlow' failed to satisfy constraint: Member must not be null")
	default:
		return nil, invalidParameter("auth flow %s is not supported by the local Cognito endpoint for %s", flow, map[bool]string{true: "AdminInitiateAuth", false: "InitiateAuth"}[admin])
	}
}

func (s *Server) passwordAuth(c *client, params map[string]string) (any, error) {
	p := c.pool
	name, password := params["USERNAME"], params["PASSWORD"]
	if name == "" || password == "" {
		return nil, invalidParameter("Missing required parameter USERNAME or PASSWORD")
	}
	s.mu.Lock()
	k := nameKey(p, name)
	// Checked here too so that a locked-out name costs no verifier work.
	if err := s.lockedLocked(k); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	key, u := p.lookup(name)
	var ver srp.Verifier
	userID := name
	if u != nil {
		ver, userID = srp.Verifier{Salt: u.Salt, V: u.Verifier}, u.Username
	} else {
		ver = srp.FakeVerifier(p.state.FakeSecret, p.poolName(), name)
	}
	s.mu.Unlock()
	if err := checkSecretHash(c, name, params["SECRET_HASH"]); err != nil {
		return nil, err
	}
	// The verifier check costs the same for unknown users, so timing does not tell them apart.
	err := ver.Check(p.poolName(), userID, password)
	s.mu.Lock()
	defer s.mu.Unlock()
	if lerr := s.lockedLocked(k); lerr != nil {
		return nil, lerr
	}
	if u == nil || p.state.Users[key] != u {
		s.failedLocked(k)
		return nil, userNotFound(c)
	}
	if err != nil {
		s.failedLocked(k)
		return nil, errWrongCredentials
	}
	return s.afterPasswordLocked(c, key, u)
}

// afterPasswordLocked decides what a right password leads to: an error for unconfirmed or disabled users, a
// further challenge, or tokens.
func (s *Server) afterPasswordLocked(c *client, key string, u *userState) (any, error) {
	now := s.opts.Now()
	switch {
	case !u.Enabled:
		return nil, notAuthorized("User is disabled.")
	case u.Status == "UNCONFIRMED":
		return nil, errorf("UserNotConfirmedException", "User is not confirmed.")
	case u.Status == "RESET_REQUIRED":
		return nil, errorf("PasswordResetRequiredException", "Password reset required for the user")
	case u.Status == "FORCE_CHANGE_PASSWORD":
		if !u.TempPasswordExpires.IsZero() && now.After(u.TempPasswordExpires) {
			return nil, notAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		return s.challengeLocked(c, key, u, "NEW_PASSWORD_REQUIRED", map[string]string{
			"USER_ID_FOR_SRP": u.Username, "requiredAttributes": "[]", "userAttributes": userAttributesJSON(u),
		})
	}
	return s.mfaOrTokensLocked(c, key, u)
}

func (s *Server) mfaOrTokensLocked(c *client, key string, u *userState) (any, error) {
	p := c.pool
	switch {
	case p.cfg.MFA != "OFF" && u.TOTPEnabled && u.TOTPSecret != "":
		return s.challengeLocked(c, key, u, "SOFTWARE_TOKEN_MFA", map[string]string{"USER_ID_FOR_SRP": u.Username})
	case p.cfg.MFA == "ON":
		return s.challengeLocked(c, key, u, "MFA_SETUP", map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`, "USER_ID_FOR_SRP": u.Username})
	}
	return s.newSessionLocked(c, u)
}

func (s *Server) challengeLocked(c *client, key string, u *userState, name string, params map[string]string) (any, error) {
	makeRoom(s, s.challenges, func(a, b *challenge) bool { return a.expires.Before(b.expires) })
	session := randomSession()
	s.challenges[session] = &challenge{name: name, client: c, userKey: key, expires: s.opts.Now().Add(time.Duration(c.cfg.AuthSessionValidity) * time.Minute)}
	return &authOutput{ChallengeName: name, ChallengeParameters: params, Session: session}, nil
}

func randomSession() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newSessionLocked completes a sign-in: it clears the user's failed attempts, starts a session (a refresh token and
// its origin_jti) and returns tokens. The tokens are signed after unlocking: the unlock/relock keeps RSA signing
// out of the critical section.
func (s *Server) newSessionLocked(c *client, u *userState) (any, error) {
	s.succeededLocked(userNameKey(c.pool, c.pool.userKey(u.Username)))
	now := s.opts.Now()
	refresh, hash := newRefreshToken()
	origin := newUUID()
	c.pool.refresh[string(hash)] = origin
	c.pool.state.Sessions[origin] = &sessionState{Username: u.Username, ClientID: c.state.ID, AuthTime: now, RefreshHash: hash, Expires: now.Add(c.cfg.RefreshTTL())}
	s.saver.changed()
	subj := subjectOf(u)
	s.mu.Unlock()
	res, err := c.pool.signTokens(c, subj, origin, now, now)
	s.mu.Lock()
	if err != nil {
		return nil, err
	}
	res.RefreshToken = refresh
	return &authOutput{AuthenticationResult: &res}, nil
}

func (s *Server) refresh(c *client, params map[string]string) (any, error) {
	token := params["REFRESH_TOKEN"]
	if token == "" {
		return nil, invalidParameter("Missing required parameter REFRESH_TOKEN")
	}
	p := c.pool
	hash := hashToken(token)
	s.mu.Lock()
	origin := p.refresh[string(hash)]
	se := p.state.Sessions[origin]
	now := s.opts.Now()
	var err error
	var u *userState
	switch {
	case se == nil || se.ClientID != c.state.ID:
		err = notAuthorized("Invalid Refresh Token")
	case se.Revoked:
		err = notAuthorized("Refresh Token has been revoked")
	case now.After(se.Expires):
		err = notAuthorized("Refresh Token has expired")
	default:
		u = p.state.Users[p.userKey(se.Username)]
		if u == nil {
			err = notAuthorized("User does not exist.")
		} else if !u.Enabled {
			err = notAuthorized("User is disabled.")
		}
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if err := checkSecretHash(c, se.Username, params["SECRET_HASH"]); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	subj, authTime := subjectOf(u), se.AuthTime
	s.mu.Unlock()
	res, err := p.signTokens(c, subj, origin, authTime, now)
	if err != nil {
		return nil, err
	}
	return &authOutput{AuthenticationResult: &res}, nil
}

func (s *Server) startSRP(c *client, params map[string]string) (any, error) {
	p := c.pool
	name, srpA := params["USERNAME"], params["SRP_A"]
	if name == "" || srpA == "" {
		return nil, invalidParameter("Missing required parameter USERNAME or SRP_A")
	}
	if err := checkSecretHash(c, name, params["SECRET_HASH"]); err != nil {
		return nil, err
	}
	s.mu.Lock()
	key, u := p.lookup(name)
	var ver srp.Verifier
	var userID string
	if u != nil {
		ver, userID = srp.Verifier{Salt: u.Salt, V: u.Verifier}, u.Username
	} else {
		// A stand-in whose USER_ID_FOR_SRP looks like a real one for the pool's kind of usernames: in pools that
		// sign in by e-mail or phone, a UUID unrelated to the salt, like a real sub.
		folded := p.foldUnknown(name)
		ver = srp.FakeVerifier(p.state.FakeSecret, p.poolName(), folded)
		userID = name
		if len(p.cfg.UsernameAttributes) > 0 {
			m := hmac.New(sha256.New, p.state.FakeSecret)
			m.Write([]byte("sub\x00" + folded))
			userID = fakeUUID(m.Sum(nil))
		}
	}
	s.mu.Unlock()
	if u == nil && !c.preventEnumeration() {
		return nil, userNotFound(c)
	}
	// SRP_A was checked with the request (see parameterRules).
	session, err := srp.NewServerSession(p.poolName(), userID, srpA, ver)
	if err != nil {
		return nil, internalError(err)
	}
	block := make([]byte, 128)
	rand.Read(block)
	blockB64 := base64.StdEncoding.EncodeToString(block)
	s.mu.Lock()
	defer s.mu.Unlock()
	makeRoom(s, s.srpPending, func(a, b *srpPending) bool { return a.expires.Before(b.expires) })
	s.srpPending[blockB64] = &srpPending{client: c, userKey: key, userID: userID, loginAs: name, session: session,
		expires: s.opts.Now().Add(time.Duration(c.cfg.AuthSessionValidity) * time.Minute)}
	return &authOutput{ChallengeName: "PASSWORD_VERIFIER", ChallengeParameters: map[string]string{
		"SALT": ver.SaltHex(), "SECRET_BLOCK": blockB64, "SRP_B": session.SRPB(), "USERNAME": userID, "USER_ID_FOR_SRP": userID,
	}}, nil
}

func fakeUUID(seed []byte) string {
	b := slices.Clone(seed[:16])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type respondInput struct {
	ChallengeName      string            `check:"challengeName"`
	ClientId           string            `check:"clientId"`
	UserPoolId         string            `check:"userPoolId"` // AdminRespondToAuthChallenge
	Session            string            `check:"session"`
	ChallengeResponses map[string]string `check:"parameters"`
}

func (s *Server) respond(in *respondInput) (any, error) {
	c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	r := in.ChallengeResponses
	switch in.ChallengeName {
	case "PASSWORD_VERIFIER":
		return s.passwordVerifier(c, r)
	case "SOFTWARE_TOKEN_MFA", "NEW_PASSWORD_REQUIRED", "MFA_SETUP":
		return s.answerChallenge(c, in)
	case "":
		return nil, invalidParameter("1 validation error detected: Value null at 'challengeName' failed to satisfy constraint: Member must not be null")
	default:
		return nil, invalidParameter("challenge %s is not supported by the local Cognito endpoint", in.ChallengeName)
	}
}

func (s *Server) passwordVerifier(c *client, r map[string]string) (any, error) {
	p := c.pool
	blockB64 := r["PASSWORD_CLAIM_SECRET_BLOCK"]
	s.mu.Lock()
	pend := s.srpPending[blockB64]
	delete(s.srpPending, blockB64) // one answer per challenge: a replayed signature finds nothing
	s.mu.Unlock()
	if pend == nil || pend.client != c || s.opts.Now().After(pend.expires) {
		return nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	if err := checkSecretHash(c, pend.userID, r["SECRET_HASH"]); err != nil {
		return nil, err
	}
	block, _ := base64.StdEncoding.DecodeString(blockB64)
	ts, tsErr := srp.ParseTimestamp(r["TIMESTAMP"])
	err := pend.session.VerifyClaim(block, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"])
	if tsErr == nil && (ts.Sub(s.opts.Now()) > timestampSkew || s.opts.Now().Sub(ts) > timestampSkew) {
		tsErr = errors.New("timestamp out of range")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nameKey(p, pend.loginAs)
	if lerr := s.lockedLocked(k); lerr != nil {
		return nil, lerr
	}
	u := p.state.Users[pend.userKey]
	if pend.userKey == "" || u == nil || u.Username != pend.userID {
		s.failedLocked(k)
		return nil, errWrongCredentials
	}
	if err != nil || tsErr != nil {
		s.failedLocked(k)
		return nil, errWrongCredentials
	}
	return s.afterPasswordLocked(c, pend.userKey, u)
}

// takeChallenge finds the challenge behind a Session string.
func (s *Server) takeChallengeLocked(c *client, session, name string) (*challenge, *userState, error) {
	ch := s.challenges[session]
	if ch == nil || ch.client != c || ch.name != name || s.opts.Now().After(ch.expires) {
		return nil, nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	u := c.pool.state.Users[ch.userKey]
	if u == nil {
		delete(s.challenges, session)
		return nil, nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	return ch, u, nil
}

func (s *Server) answerChallenge(c *client, in *respondInput) (any, error) {
	r := in.ChallengeResponses
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, u, err := s.takeChallengeLocked(c, in.Session, in.ChallengeName)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, u.Username, r["SECRET_HASH"]); err != nil {
		return nil, err
	}
	switch in.ChallengeName {
	case "SOFTWARE_TOKEN_MFA":
		// Wrong codes count toward the user's lockout like wrong passwords, as Cognito documents for MFA codes.
		k := userNameKey(c.pool, ch.userKey)
		if err := s.lockedLocked(k); err != nil {
			return nil, err
		}
		if err := s.checkTOTPLocked(u, u.TOTPSecret, r["SOFTWARE_TOKEN_MFA_CODE"]); err != nil {
			s.failedLocked(k)
			ch.attempts++
			if ch.attempts >= maxCodeAttempts {
				delete(s.challenges, in.Session)
			}
			return nil, err
		}
		delete(s.challenges, in.Session)
		// The used TOTP step (LastTOTPStep) is written with the new session: newSessionLocked marks the state changed.
		return s.newSessionLocked(c, u)
	case "NEW_PASSWORD_REQUIRED":
		pw := r["NEW_PASSWORD"]
		if pw == "" {
			return nil, invalidParameter("Missing required parameter NEW_PASSWORD")
		}
		if err := checkPassword(c.pool.cfg.PasswordPolicy, pw); err != nil {
			return nil, err
		}
		var attrs []attribute
		for k, v := range r {
			if attr, ok := strings.CutPrefix(k, "userAttributes."); ok && attr != "" {
				attrs = append(attrs, attribute{attr, v})
			}
		}
		// Through the one attribute writer: validation, e-mail uniqueness and the sign-in alias index.
		if err := s.applyAttributesLocked(c.pool, ch.userKey, u, attrs, false); err != nil {
			return nil, err
		}
		ver, err := srp.NewVerifier(c.pool.poolName(), u.Username, pw)
		if err != nil {
			return nil, internalError(err)
		}
		u.Salt, u.Verifier, u.Status, u.TempPasswordExpires, u.Modified = ver.Salt, ver.V, "CONFIRMED", time.Time{}, s.opts.Now()
		delete(s.challenges, in.Session)
		g := s.saver.changed()
		s.mu.Unlock()
		err = s.durable(g)
		s.mu.Lock()
		if err != nil {
			return nil, err
		}
		return s.mfaOrTokensLocked(c, ch.userKey, u)
	default: // MFA_SETUP
		if !ch.mfaSetUp {
			return nil, invalidParameter("Software token MFA has not been verified: call AssociateSoftwareToken and VerifySoftwareToken with this session first")
		}
		delete(s.challenges, in.Session)
		return s.newSessionLocked(c, u)
	}
}

// authenticate checks an access token for the endpoint's own user APIs: signature and claims as the API
// Gateway authorizer would, then what only Cognito knows — the token is an access token with Cognito's scope,
// its session was not signed out or revoked, and its user still exists. Call without s.mu held; it returns with
// s.mu held on success.
func (s *Server) authenticate(ctx context.Context, token string) (*pool, string, *userState, error) {
	if token == "" {
		return nil, "", nil, invalidParameter("1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null")
	}
	var claims jwtauth.Claims
	var p *pool
	for _, cand := range s.pools {
		cl, err := cand.verifier.Verify(ctx, token)
		if errors.Is(err, jwtauth.ErrExpired) {
			return nil, "", nil, notAuthorized("Access Token has expired")
		}
		if err == nil {
			claims, p = cl, cand
			break
		}
	}
	if p == nil || claims.TokenUse() != "access" || !slices.Contains(claims.Scopes(), accessScope) {
		return nil, "", nil, errInvalidAccess
	}
	s.mu.Lock()
	se := p.state.Sessions[claims.String("origin_jti")]
	if se == nil || se.Revoked {
		s.mu.Unlock()
		return nil, "", nil, notAuthorized("Access Token has been revoked")
	}
	key := p.userKey(claims.String("username"))
	u := p.state.Users[key]
	if u == nil || u.Sub != claims.Subject() {
		s.mu.Unlock()
		return nil, "", nil, notAuthorized("User does not exist.")
	}
	if !u.Enabled {
		s.mu.Unlock()
		return nil, "", nil, notAuthorized("User is disabled.")
	}
	return p, key, u, nil
}

// revokeUserLocked signs a user out everywhere: every session's refresh token and access tokens are refused.
func revokeUserLocked(p *pool, username string) {
	for _, se := range p.state.Sessions {
		if se.Username == username {
			se.Revoked = true
		}
	}
}
