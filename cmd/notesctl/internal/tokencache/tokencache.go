// Package tokencache keeps notesctl's Cognito tokens between runs, one file per target, readable only by the
// user, and refreshes the access token before it expires.
package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// ErrNotSignedIn is returned when a target has no cached session.
var ErrNotSignedIn = errors.New("not signed in: run `notesctl login -u <you>`")

// Tokens is one signed-in session.
type Tokens struct {
	Username     string    `json:"username"`
	IDToken      string    `json:"idToken"`
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken"`
	ExpiresAt    time.Time `json:"expiresAt"` // of the access token
}

// DefaultDir is NOTESCTL_CONFIG_DIR when set (tests use it), else <user config dir>/authnotes.
func DefaultDir() (string, error) {
	if d := os.Getenv("NOTESCTL_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory (set NOTESCTL_CONFIG_DIR): %w", err)
	}
	return filepath.Join(d, "authnotes"), nil
}

// Cache stores sessions under dir/tokens/<key>.json.
type Cache struct {
	dir string
}

// New returns a cache rooted at dir (see DefaultDir).
func New(dir string) *Cache { return &Cache{dir: dir} }

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// Path is the file that holds key's session.
func (c *Cache) Path(key string) string {
	return filepath.Join(c.dir, "tokens", unsafeKey.ReplaceAllString(key, "_")+".json")
}

// Load returns key's session, or ErrNotSignedIn.
func (c *Cache) Load(key string) (Tokens, error) { return c.load(key, true) }

// LoadForSignOut is Load without the permission check: a session that may have leaked is exactly the one to sign
// out at Cognito, so logout must still be able to read it.
func (c *Cache) LoadForSignOut(key string) (Tokens, error) { return c.load(key, false) }

func (c *Cache) load(key string, private bool) (Tokens, error) {
	p := c.Path(key)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Tokens{}, ErrNotSignedIn
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("read token cache: %w", err)
	}
	// Like ssh with its keys: a token file others can read may have leaked, so it is not used.
	if private && fi.Mode().Perm()&0o077 != 0 {
		return Tokens{}, fmt.Errorf("token cache %s is readable by others (mode %04o): delete it and run `notesctl login -u <you>`", p, fi.Mode().Perm())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Tokens{}, fmt.Errorf("read token cache: %w", err)
	}
	var t Tokens
	if err := json.Unmarshal(b, &t); err != nil {
		return Tokens{}, fmt.Errorf("token cache %s is damaged (%v): run `notesctl login -u <you>`", p, err)
	}
	if t.AccessToken == "" {
		return Tokens{}, fmt.Errorf("token cache %s is damaged (no access token): run `notesctl login -u <you>`", p)
	}
	return t, nil
}

// Save writes key's session atomically, the file 0600 in a 0700 directory.
func (c *Cache) Save(key string, t Tokens) error {
	p := c.Path(key)
	for _, d := range []string{c.dir, filepath.Dir(p)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create token cache directory: %w", err)
		}
		// MkdirAll keeps an existing directory's mode; tighten it so the token names do not show either.
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("restrict token cache directory: %w", err)
		}
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode tokens: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tokens-*") // created 0600
	if err != nil {
		return fmt.Errorf("write token cache: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write token cache: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write token cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write token cache: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("write token cache: %w", err)
	}
	return nil
}

// Delete forgets key's session; forgetting a session that is not there is fine.
func (c *Cache) Delete(key string) error {
	if err := os.Remove(c.Path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete token cache: %w", err)
	}
	return nil
}

// Refresher trades a refresh token for new tokens (Cognito REFRESH_TOKEN_AUTH). The result's RefreshToken may
// be empty: Cognito returns none unless refresh-token rotation is on, and the old one stays valid.
type Refresher interface {
	Refresh(ctx context.Context, username, refreshToken string) (Tokens, error)
}

// DefaultSkew is how long before expiry an access token is refreshed, so a request never leaves with a token
// that expires on the way.
const DefaultSkew = 2 * time.Minute

// Source hands out a valid access token for one target, refreshing and saving it when it is about to expire.
// It implements client.TokenSource.
type Source struct {
	Cache     *Cache
	Key       string
	Refresher Refresher
	Skew      time.Duration    // 0: DefaultSkew
	Now       func() time.Time // nil: time.Now

	mu sync.Mutex
}

// Tokens returns the session, refreshed first if its access token expires within the skew.
func (s *Source) Tokens(ctx context.Context) (Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.Cache.Load(s.Key)
	if err != nil {
		return Tokens{}, err
	}
	now, skew := time.Now, s.Skew
	if s.Now != nil {
		now = s.Now
	}
	if skew == 0 {
		skew = DefaultSkew
	}
	if now().Add(skew).Before(t.ExpiresAt) {
		return t, nil
	}
	if t.RefreshToken == "" {
		return Tokens{}, fmt.Errorf("session expired and has no refresh token: run `notesctl login -u %s`", loginName(t))
	}
	fresh, err := s.Refresher.Refresh(ctx, t.Username, t.RefreshToken)
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh the session (run `notesctl login -u %s` to sign in again): %w", loginName(t), err)
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = t.RefreshToken
	}
	if fresh.Username == "" {
		fresh.Username = t.Username
	}
	if err := s.Cache.Save(s.Key, fresh); err != nil {
		return Tokens{}, err
	}
	return fresh, nil
}

// loginName is the user name to suggest for signing in again.
func loginName(t Tokens) string {
	if t.Username == "" {
		return "<you>"
	}
	return t.Username
}

// AccessToken returns a valid access token.
func (s *Source) AccessToken(ctx context.Context) (string, error) {
	t, err := s.Tokens(ctx)
	return t.AccessToken, err
}
