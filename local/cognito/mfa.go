package cognito

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// checkTOTPLocked accepts a code of the current 30-second step or its neighbours (clock drift), each step at
// most once.
func (s *Server) checkTOTPLocked(u *userState, secret, code string) error {
	if secret == "" || len(code) != 6 {
		return errorf("CodeMismatchException", "Invalid code received for user")
	}
	now := s.opts.Now()
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return internalError(err)
		}
		step := t.Unix() / 30
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > u.LastTOTPStep {
			u.LastTOTPStep = step
			return nil
		}
	}
	return errorf("CodeMismatchException", "Invalid code received for user")
}

type softwareTokenInput struct {
	AccessToken        string `check:"token"`
	Session            string `check:"session"`
	UserCode           string `check:"userCode"`
	FriendlyDeviceName string
}

// mfaUser finds the user of AssociateSoftwareToken/VerifySoftwareToken: by access token, or by the session of an
// MFA_SETUP challenge. It returns with s.mu held on success.
func (s *Server) mfaUser(ctx context.Context, in *softwareTokenInput) (*userState, *challenge, error) {
	if in.AccessToken != "" {
		_, _, u, err := s.authenticate(ctx, in.AccessToken)
		return u, nil, err
	}
	s.mu.Lock()
	ch := s.challenges[in.Session]
	if ch == nil || ch.name != "MFA_SETUP" || s.opts.Now().After(ch.expires) {
		s.mu.Unlock()
		return nil, nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	u := ch.client.pool.state.Users[ch.userKey]
	if u == nil {
		s.mu.Unlock()
		return nil, nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	return u, ch, nil
}

type mfaPreferenceInput struct {
	AccessToken              string `check:"token"`
	SoftwareTokenMfaSettings *struct{ Enabled, PreferredMfa bool }
	SMSMfaSettings           *struct{ Enabled, PreferredMfa bool }
	EmailMfaSettings         *struct{ Enabled, PreferredMfa bool }
}

func init() {
	op("AssociateSoftwareToken", func(ctx context.Context, s *Server, in *softwareTokenInput) (any, error) {
		u, _, err := s.mfaUser(ctx, in)
		if err != nil {
			return nil, err
		}
		defer s.mu.Unlock()
		b := make([]byte, 20)
		rand.Read(b)
		u.PendingTOTPSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
		s.saver.changed()
		out := map[string]string{"SecretCode": u.PendingTOTPSecret}
		if in.Session != "" {
			out["Session"] = in.Session
		}
		return out, nil
	})
	op("VerifySoftwareToken", func(ctx context.Context, s *Server, in *softwareTokenInput) (any, error) {
		u, ch, err := s.mfaUser(ctx, in)
		if err != nil {
			return nil, err
		}
		if u.PendingTOTPSecret == "" {
			s.mu.Unlock()
			return nil, errorf("InvalidParameterException", "Software token has not been associated: call AssociateSoftwareToken first")
		}
		if err := s.checkTOTPLocked(u, u.PendingTOTPSecret, in.UserCode); err != nil {
			s.mu.Unlock()
			return nil, errorf("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA mfa")
		}
		u.TOTPSecret, u.PendingTOTPSecret = u.PendingTOTPSecret, ""
		if ch != nil {
			// Setting up MFA because the pool requires it: it is on from now.
			ch.mfaSetUp = true
			u.TOTPEnabled, u.TOTPPreferred = true, true
		}
		g := s.saver.changed()
		s.mu.Unlock()
		out := map[string]string{"Status": "SUCCESS"}
		if in.Session != "" {
			out["Session"] = in.Session
		}
		return out, s.durable(g)
	})
	op("SetUserMFAPreference", func(ctx context.Context, s *Server, in *mfaPreferenceInput) (any, error) {
		p, _, u, err := s.authenticate(ctx, in.AccessToken)
		if err != nil {
			return nil, err
		}
		if (in.SMSMfaSettings != nil && in.SMSMfaSettings.Enabled) || (in.EmailMfaSettings != nil && in.EmailMfaSettings.Enabled) {
			s.mu.Unlock()
			return nil, invalidParameter("only software token (TOTP) MFA is supported by the local Cognito endpoint")
		}
		if st := in.SoftwareTokenMfaSettings; st != nil {
			switch {
			case st.Enabled && u.TOTPSecret == "":
				s.mu.Unlock()
				return nil, invalidParameter("User has not verified software token mfa")
			case st.Enabled && p.cfg.MFA == "OFF":
				s.mu.Unlock()
				return nil, invalidParameter("MFA is not enabled for this user pool")
			}
			u.TOTPEnabled, u.TOTPPreferred = st.Enabled, st.Enabled && st.PreferredMfa
		}
		g := s.saver.changed()
		s.mu.Unlock()
		return nil, s.durable(g)
	})
}
