package cognito

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one message the real Cognito would have sent by e-mail or SMS.
type Message struct {
	Time        time.Time `json:"time"`
	PoolID      string    `json:"poolId"`
	Username    string    `json:"username"`
	Destination string    `json:"destination"`
	Medium      string    `json:"medium"`  // EMAIL or SMS
	Purpose     string    `json:"purpose"` // SignUp, ForgotPassword, VerifyAttribute, AdminCreateUser
	Code        string    `json:"code,omitempty"`
	// TemporaryPassword of an AdminCreateUser invitation.
	TemporaryPassword string `json:"temporaryPassword,omitempty"`
	Text              string `json:"text"`
}

// maxOutbox bounds the messages kept for GET /_local/outbox.
const maxOutbox = 1000

// sendLocked keeps a message for GET /_local/outbox and prints it on the console; call with s.mu held.
func (s *Server) sendLocked(m Message) {
	s.outbox = append(s.outbox, m)
	if len(s.outbox) > maxOutbox {
		s.outbox = s.outbox[len(s.outbox)-maxOutbox:]
	}
	fmt.Fprintf(s.opts.Outbox, "cognito outbox %s → %s (%s, %s): %s\n", m.Time.UTC().Format(time.TimeOnly), m.Destination, m.Medium, m.Purpose, m.Text)
}

// codeTTL is how long a code is valid: a day for sign-up and attribute verification, an hour for resets.
func codeTTL(purpose string) time.Duration {
	if purpose == "reset" {
		return time.Hour
	}
	return 24 * time.Hour
}

const (
	maxCodeAttempts = 5
	maxCodesPerHour = 5
)

// recentSends drops sends older than an hour and reports whether another one is allowed.
func recentSends(sent []time.Time, now time.Time) ([]time.Time, bool) {
	recent := sent[:0]
	for _, t := range sent {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	return recent, len(recent) < maxCodesPerHour
}

// codeBook is the codes sent to a name, by purpose, and when codes were sent: a user's (kept in the state file) or
// a stand-in's.
type codeBook struct {
	// Codes by purpose: "signup", "reset", "verify:<attribute>".
	Codes map[string]*codeState `json:"codes,omitempty"`
	// CodesSent is when codes were last sent, to rate-limit resends.
	CodesSent []time.Time `json:"codesSent,omitempty"`
}

// sent records a send, unless the hour's sends are used up.
func (b *codeBook) sent(now time.Time) error {
	recent, ok := recentSends(b.CodesSent, now)
	b.CodesSent = recent
	if !ok {
		return errAttemptLimit
	}
	b.CodesSent = append(b.CodesSent, now)
	return nil
}

// issue creates a 6-digit code for a purpose, replacing any earlier one.
func (b *codeBook) issue(now time.Time, purpose string) string {
	var r [4]byte
	rand.Read(r[:])
	code := fmt.Sprintf("%06d", (uint32(r[0])<<24|uint32(r[1])<<16|uint32(r[2])<<8|uint32(r[3]))%1_000_000)
	h := sha256.Sum256([]byte(code))
	b.expect(purpose, h[:], now.Add(codeTTL(purpose)))
	return code
}

// expect records the code a purpose waits for (hash nil: one that nothing matches).
func (b *codeBook) expect(purpose string, hash []byte, expires time.Time) {
	if b.Codes == nil {
		b.Codes = map[string]*codeState{}
	}
	b.Codes[purpose] = &codeState{Hash: hash, Expires: expires}
}

// check consumes a code on success and counts a failure otherwise; the fifth failure voids the code.
func (b *codeBook) check(now time.Time, purpose, code string) error {
	c := b.Codes[purpose]
	if c == nil {
		return errCodeExpired
	}
	if now.After(c.Expires) {
		delete(b.Codes, purpose)
		return errCodeExpired
	}
	h := sha256.Sum256([]byte(code))
	if subtle.ConstantTimeCompare(h[:], c.Hash) != 1 {
		c.Attempts++
		if c.Attempts >= maxCodeAttempts {
			delete(b.Codes, purpose)
			return errAttemptLimit
		}
		return errCodeMismatch
	}
	delete(b.Codes, purpose)
	return nil
}

// prune drops expired codes and sends older than the rate limit's hour; it reports whether anything went.
func (b *codeBook) prune(now time.Time) bool {
	changed := false
	for purpose, c := range b.Codes {
		if now.After(c.Expires) {
			delete(b.Codes, purpose)
			changed = true
		}
	}
	if recent, _ := recentSends(b.CodesSent, now); len(recent) < len(b.CodesSent) {
		b.CodesSent, changed = recent, true
	}
	return changed
}

// codeDelivery is CodeDeliveryDetails.
type codeDelivery struct {
	AttributeName  string
	DeliveryMedium string
	Destination    string
}

// mask hides a destination the way Cognito does: "a***@e***", "+*******1234".
// The letters shown are lower-cased: an address is matched case-insensitively, so the case it was stored in
// would tell a real user (Alice@…) from the stand-in made up for a name that has no account (alice@…).
func mask(dest string) string {
	if local, domain, ok := strings.Cut(dest, "@"); ok && local != "" && domain != "" {
		first := func(s string) string { r, _ := utf8.DecodeRuneInString(s); return strings.ToLower(string(r)) }
		return first(local) + "***@" + first(domain) + "***"
	}
	if len(dest) > 4 {
		return "+" + strings.Repeat("*", len(dest)-5) + dest[len(dest)-4:]
	}
	return "***"
}

// deliver sends a code to the user's attribute (email or phone_number); call with s.mu held.
func (s *Server) deliverLocked(p *pool, u *userState, attr, purpose, label string) (codeDelivery, error) {
	codeKey := purpose
	if purpose == "verify" {
		codeKey = "verify:" + attr
	}
	now := s.opts.Now()
	if err := u.sent(now); err != nil {
		return codeDelivery{}, err
	}
	code := u.issue(now, codeKey)
	dest := u.Attributes[attr]
	medium, text := "EMAIL", p.cfg.VerificationEmail
	if attr == "phone_number" {
		medium, text = "SMS", p.cfg.VerificationSMS
	}
	s.sendLocked(Message{
		Time: s.opts.Now(), PoolID: p.state.ID, Username: u.Username, Destination: dest, Medium: medium, Purpose: label,
		Code: code, Text: strings.ReplaceAll(text, "{####}", code),
	})
	return codeDelivery{AttributeName: attr, DeliveryMedium: medium, Destination: mask(dest)}, nil
}

// checkPassword enforces the pool's password policy with Cognito's messages.
func checkPassword(pp PasswordPolicy, password string) error {
	fail := func(why string) error {
		return errorf("InvalidPasswordException", "Password did not conform with policy: %s", why)
	}
	if len([]rune(password)) < pp.MinimumLength {
		return fail("Password not long enough")
	}
	if len(password) > 256 {
		return fail("Password is too long")
	}
	var lower, upper, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ", r):
			symbol = true
		}
	}
	switch {
	case pp.RequireLowercase && !lower:
		return fail("Password must have lowercase characters")
	case pp.RequireUppercase && !upper:
		return fail("Password must have uppercase characters")
	case pp.RequireNumbers && !digit:
		return fail("Password must have numeric characters")
	case pp.RequireSymbols && !symbol:
		return fail("Password must have symbol characters")
	}
	return nil
}

// temporaryPassword makes a password that satisfies any policy.
func temporaryPassword(pp PasswordPolicy) string {
	n := max(pp.MinimumLength, 12)
	return randomString("abcdefghijkmnopqrstuvwxyz", n-3) + randomString("ABCDEFGHJKLMNPQRSTUVWXYZ", 1) + randomString("23456789", 1) + "!"
}
