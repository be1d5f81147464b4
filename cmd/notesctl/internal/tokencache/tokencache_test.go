package tokencache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/client"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
)

var _ client.TokenSource = (*tokencache.Source)(nil)

var t0 = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

func TestSaveLoadPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "authnotes")
	// A pre-existing, too-open directory is tightened.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := tokencache.New(dir)
	want := tokencache.Tokens{Username: "a@example.com", IDToken: "id", AccessToken: "at", RefreshToken: "rt", ExpiresAt: t0}
	if err := c.Save("stack-NotesApi-dev/../eu", want); err != nil {
		t.Fatal(err)
	}
	p := c.Path("stack-NotesApi-dev/../eu")
	if filepath.Dir(p) != filepath.Join(dir, "tokens") {
		t.Errorf("Path() = %s; want a file directly under %s/tokens", p, dir)
	}
	for path, mode := range map[string]os.FileMode{dir: 0o700, filepath.Dir(p): 0o700, p: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("mode of %s = %04o; want %04o", path, fi.Mode().Perm(), mode)
		}
	}
	got, err := c.Load("stack-NotesApi-dev/../eu")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("tokens dir has %d entries; want 1 (no temp files left)", len(entries))
	}

	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load("stack-NotesApi-dev/../eu"); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("Load(world-readable) = %v; want a refusal", err)
	}

	if err := c.Delete("stack-NotesApi-dev/../eu"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load("stack-NotesApi-dev/../eu"); !errors.Is(err, tokencache.ErrNotSignedIn) {
		t.Errorf("Load after Delete = %v; want ErrNotSignedIn", err)
	}
	if err := c.Delete("never-there"); err != nil {
		t.Errorf("Delete(missing) = %v; want nil", err)
	}
}

func TestLoadDamaged(t *testing.T) {
	c := tokencache.New(t.TempDir())
	if err := c.Save("k", tokencache.Tokens{AccessToken: "a"}); err != nil {
		t.Fatal(err)
	}
	for content, want := range map[string]string{
		"{":                  "is damaged (unexpected end of JSON input): run `notesctl login",
		`{"username":"u"}`:   "is damaged (no access token): run `notesctl login",
		`{"accessToken":""}`: "is damaged (no access token)",
		"\x00\x01not json":   "is damaged (invalid character",
	} {
		if err := os.WriteFile(c.Path("k"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, load := range map[string]func(string) (tokencache.Tokens, error){"Load": c.Load, "LoadForSignOut": c.LoadForSignOut} {
			if _, err := load("k"); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s(%q) = %v; want an error containing %q", name, content, err, want)
			}
		}
	}
}

func TestLoadForSignOutReadsAnExposedFile(t *testing.T) {
	c := tokencache.New(t.TempDir())
	if err := c.Save("k", tokencache.Tokens{AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(c.Path("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load("k"); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("Load(0644) = %v; want refused", err)
	}
	if got, err := c.LoadForSignOut("k"); err != nil || got.RefreshToken != "r" {
		t.Errorf("LoadForSignOut(0644) = %+v, %v; want the session", got, err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("NOTESCTL_CONFIG_DIR", "/tmp/x")
	if d, err := tokencache.DefaultDir(); err != nil || d != "/tmp/x" {
		t.Errorf("DefaultDir() = %q, %v; want /tmp/x", d, err)
	}
	t.Setenv("NOTESCTL_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	t.Setenv("HOME", "/tmp/home")
	if d, err := tokencache.DefaultDir(); err != nil || !strings.HasSuffix(d, "/authnotes") {
		t.Errorf("DefaultDir() = %q, %v; want <config dir>/authnotes", d, err)
	}
}

type fakeRefresher struct {
	calls  []string
	result tokencache.Tokens
	err    error
}

func (f *fakeRefresher) Refresh(_ context.Context, username, refreshToken string) (tokencache.Tokens, error) {
	f.calls = append(f.calls, username+"/"+refreshToken)
	return f.result, f.err
}

func TestSourceRefresh(t *testing.T) {
	session := tokencache.Tokens{Username: "u", IDToken: "id1", AccessToken: "at1", RefreshToken: "rt1", ExpiresAt: t0.Add(time.Hour)}
	tests := []struct {
		name      string
		now       time.Time
		stored    tokencache.Tokens
		refresh   tokencache.Tokens
		refErr    error
		want      string
		wantCalls []string
		wantSaved tokencache.Tokens
		wantErr   string
	}{
		{name: "valid token is used as is", now: t0, stored: session, want: "at1", wantSaved: session},
		{
			name: "about to expire is refreshed, refresh token kept", now: t0.Add(59 * time.Minute), stored: session,
			refresh:   tokencache.Tokens{IDToken: "id2", AccessToken: "at2", ExpiresAt: t0.Add(2 * time.Hour)},
			want:      "at2",
			wantCalls: []string{"u/rt1"},
			wantSaved: tokencache.Tokens{Username: "u", IDToken: "id2", AccessToken: "at2", RefreshToken: "rt1", ExpiresAt: t0.Add(2 * time.Hour)},
		},
		{
			name: "expired with a rotated refresh token", now: t0.Add(3 * time.Hour), stored: session,
			refresh:   tokencache.Tokens{IDToken: "id3", AccessToken: "at3", RefreshToken: "rt3", ExpiresAt: t0.Add(4 * time.Hour)},
			want:      "at3",
			wantCalls: []string{"u/rt1"},
			wantSaved: tokencache.Tokens{Username: "u", IDToken: "id3", AccessToken: "at3", RefreshToken: "rt3", ExpiresAt: t0.Add(4 * time.Hour)},
		},
		{
			name: "revoked refresh token asks to log in", now: t0.Add(3 * time.Hour), stored: session,
			refErr: errors.New("NotAuthorizedException: Refresh Token has been revoked"), wantCalls: []string{"u/rt1"},
			wantErr: "run `notesctl login -u u` to sign in again", wantSaved: session,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tokencache.New(t.TempDir())
			if err := c.Save("k", tt.stored); err != nil {
				t.Fatal(err)
			}
			r := &fakeRefresher{result: tt.refresh, err: tt.refErr}
			s := &tokencache.Source{Cache: c, Key: "k", Refresher: r, Now: func() time.Time { return tt.now }}
			got, err := s.AccessToken(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("AccessToken() = %v; want an error containing %q", err, tt.wantErr)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("AccessToken() = %q, %v; want %q", got, err, tt.want)
			}
			if diff := cmp.Diff(tt.wantCalls, r.calls); diff != "" {
				t.Errorf("refresh calls (-want +got):\n%s", diff)
			}
			saved, err := c.Load("k")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantSaved, saved); diff != "" {
				t.Errorf("saved session (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSourceNotSignedIn(t *testing.T) {
	s := &tokencache.Source{Cache: tokencache.New(t.TempDir()), Key: "k", Refresher: &fakeRefresher{}}
	if _, err := s.AccessToken(context.Background()); !errors.Is(err, tokencache.ErrNotSignedIn) {
		t.Errorf("AccessToken() = %v; want ErrNotSignedIn", err)
	}
}
