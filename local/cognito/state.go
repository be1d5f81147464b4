package cognito

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stateFile is the one file the emulator keeps under its state directory.
const stateFile = "cognito.json"

// lockFile is held locked while an endpoint serves the directory.
const lockFile = ".lock"

// stateVersion is bumped when the file's shape changes incompatibly.
const stateVersion = 1

// diskState is everything that survives a restart: IDs, signing keys, users (salt and verifier only, never a
// password), sessions behind refresh tokens, and pending codes.
type diskState struct {
	Version int                   `json:"version"`
	Pools   map[string]*poolState `json:"pools"` // by logical ID
}

type poolState struct {
	ID         string                   `json:"id"`
	Created    time.Time                `json:"created"`
	KeyPEM     string                   `json:"signingKey"` // PKCS#8 RSA private key
	KeyID      string                   `json:"keyId"`
	FakeSecret []byte                   `json:"fakeSecret"` // derives stand-ins for unknown users
	Clients    map[string]*clientState  `json:"clients"`    // by logical ID
	Users      map[string]*userState    `json:"users"`      // by internal username
	Sessions   map[string]*sessionState `json:"sessions"`   // by origin_jti
}

type clientState struct {
	ID      string    `json:"id"`
	Secret  string    `json:"secret,omitempty"`
	Created time.Time `json:"created"`
}

type userState struct {
	Username   string            `json:"username"`
	Sub        string            `json:"sub"`
	Attributes map[string]string `json:"attributes"`
	Status     string            `json:"status"` // UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED
	Enabled    bool              `json:"enabled"`
	Salt       []byte            `json:"salt"`
	Verifier   []byte            `json:"verifier"`
	// TempPasswordExpires is set while the password is an admin-issued temporary one.
	TempPasswordExpires time.Time `json:"tempPasswordExpires,omitzero"`
	Created             time.Time `json:"created"`
	Modified            time.Time `json:"modified"`
	// The codes sent to the user (their fields are the file's "codes" and "codesSent").
	codeBook
	// TOTP: the verified secret, and a secret being set up.
	TOTPSecret        string `json:"totpSecret,omitempty"`
	PendingTOTPSecret string `json:"pendingTotpSecret,omitempty"`
	TOTPEnabled       bool   `json:"totpEnabled,omitempty"`
	TOTPPreferred     bool   `json:"totpPreferred,omitempty"`
	// LastTOTPStep refuses a TOTP code's reuse within its time step.
	LastTOTPStep int64 `json:"lastTotpStep,omitempty"`
}

type codeState struct {
	Hash     []byte    `json:"hash"` // SHA-256 of the code; nil for a stand-in's, which no code matches
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts"`
}

// sessionState is one authentication: its refresh token (hashed) and every access token issued under it share
// the origin_jti. Revoking it refuses them all.
type sessionState struct {
	Username    string    `json:"username"`
	ClientID    string    `json:"clientId"`
	AuthTime    time.Time `json:"authTime"`
	RefreshHash []byte    `json:"refreshHash"`
	Expires     time.Time `json:"expires"`
	Revoked     bool      `json:"revoked,omitempty"`
}

// loadState reads the state file; a missing file is an empty state.
func loadState(dir string) (*diskState, error) {
	st := &diskState{Version: stateVersion, Pools: map[string]*poolState{}}
	if dir == "" {
		return st, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cognito state: %w", err)
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("read cognito state %s: %w (move the file away to start empty)", filepath.Join(dir, stateFile), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("cognito state %s has version %d; this build reads %d", filepath.Join(dir, stateFile), st.Version, stateVersion)
	}
	if st.Pools == nil {
		st.Pools = map[string]*poolState{}
	}
	return st, nil
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, 0, n)
	buf := make([]byte, 1)
	// Rejection sampling keeps every character equally likely.
	limit := 256 - 256%len(alphabet)
	for len(b) < n {
		rand.Read(buf)
		if int(buf[0]) < limit {
			b = append(b, alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return string(b)
}

// newPoolID is "<region>_<9 alphanumerics>", like a real pool ID.
func newPoolID(region string) string { return region + "_" + randomString(alnum, 9) }

// newClientID is 26 lowercase alphanumerics, like a real app client ID.
func newClientID() string { return randomString(lowerAlnum, 26) }

// newUUID is a random (version 4) UUID, Cognito's format for sub, jti and event IDs.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
