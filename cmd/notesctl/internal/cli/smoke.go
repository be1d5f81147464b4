package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/spf13/cobra"

	"github.com/authnotes/authnotes/client"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/account"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/outbox"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/target"
	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
)

// stepResult is one line of the smoke report.
type stepResult struct {
	Step      string  `json:"step"`
	Result    string  `json:"result"` // ok, FAIL, skipped
	LatencyMs float64 `json:"latencyMs"`
	Detail    string  `json:"detail,omitempty"`
}

// smokeRun runs steps in order; after a failure the remaining checks are skipped, but cleanup steps still run.
type smokeRun struct {
	steps  []stepResult
	failed bool
}

func (r *smokeRun) run(name string, fn func() (string, error)) {
	if r.failed {
		r.steps = append(r.steps, stepResult{Step: name, Result: "skipped"})
		return
	}
	r.record(name, fn)
}

func (r *smokeRun) cleanup(name string, fn func() (string, error)) { r.record(name, fn) }

func (r *smokeRun) record(name string, fn func() (string, error)) {
	start := time.Now()
	detail, err := fn()
	s := stepResult{Step: name, Result: "ok", LatencyMs: float64(time.Since(start).Microseconds()) / 1000, Detail: detail}
	if err != nil {
		s.Result, s.Detail, r.failed = "FAIL", err.Error(), true
	}
	r.steps = append(r.steps, s)
}

// smokeUser is one throwaway user.
type smokeUser struct {
	label, name, password string
	tokens                tokencache.Tokens
	signedUp              bool
	signedIn              bool // holds tokens Cognito still accepts
}

func newSmokeUser(label string) (*smokeUser, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random user name: %w", err)
	}
	h := hex.EncodeToString(b)
	// Upper, lower, digit and symbol: passes any password policy Cognito can express at this length.
	return &smokeUser{label: "user " + strings.ToUpper(label), name: "notesctl-smoke-" + label + "-" + h[:8] + "@example.com", password: "Sm0ke!" + h + "Aa9#"}, nil
}

func (a *app) smokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "smoke",
		Short: "Check a stack end to end with throwaway users and notes, cleaning up after itself",
		Long: `smoke signs up a throwaway user, confirms it (on the local twin with the code from the Cognito outbox; on AWS
with AdminConfirmSignUp, which needs AWS credentials allowed to call it on the pool), signs in with SRP, creates,
lists, reads, edits (If-Match) and deletes a note, checks a second user cannot see or change it, refreshes the
session, signs out, and deletes the users. It prints each step with its latency and exits 0 only if all pass.`,
		Example: `  notesctl --local smoke
  notesctl --stack NotesApi-dev --region eu-west-1 smoke
  notesctl --outputs cdk-outputs-dev.json --json smoke     # for CI: exit code 0 only if every step passed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			t, err := a.target(ctx)
			if err != nil {
				return err
			}
			acct, err := a.newAccount(ctx, t)
			if err != nil {
				return err
			}
			s := &smoke{target: t, acct: acct, timeout: a.timeout, stderr: a.stderr, api: func(tokens client.TokenSource) (*client.Client, error) {
				return a.apiClient(t, tokens)
			}}
			if !t.Local() {
				s.admin = func(ctx context.Context) (*cip.Client, error) {
					cfg, err := a.awsConfig(ctx, t.Region)
					if err != nil {
						return nil, err
					}
					return cip.NewFromConfig(cfg, func(o *cip.Options) { o.HTTPClient = a.awsHTTP() }), nil
				}
			}
			r, err := s.run(ctx)
			if err != nil {
				return err
			}
			if err := a.printSmoke(t, r); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return errors.New("smoke test interrupted: see the report for what ran and what was cleaned up")
			}
			if r.failed {
				return errors.New("smoke test failed: see the FAIL step in the report")
			}
			return nil
		},
	}
}

func (a *app) printSmoke(t target.Target, r *smokeRun) error {
	if a.json {
		return a.print(map[string]any{"target": t.Key, "apiUrl": t.ApiURL, "passed": !r.failed, "steps": r.steps}, "")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "smoke test of %s (%s)\n\n", t.Key, t.ApiURL)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESULT\tLATENCY\tDETAIL")
	var total float64
	for _, s := range r.steps {
		lat := ""
		if s.Result != "skipped" {
			lat = fmt.Sprintf("%.0f ms", s.LatencyMs)
			if s.LatencyMs < 10 {
				lat = fmt.Sprintf("%.1f ms", s.LatencyMs)
			}
			total += s.LatencyMs
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Step, s.Result, lat, s.Detail)
	}
	tw.Flush()
	verdict := "PASS"
	if r.failed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n%s: %d steps in %.0f ms\n", verdict, len(r.steps), total)
	return a.print(nil, b.String())
}

// smoke is one smoke test against one target.
type smoke struct {
	target target.Target
	acct   *account.Account
	// admin returns a Cognito client with AWS credentials, for AdminConfirmSignUp on AWS; nil on the local twin.
	admin func(ctx context.Context) (*cip.Client, error)
	// api returns a notes API client for the target.
	api     func(tokens client.TokenSource) (*client.Client, error)
	timeout time.Duration // of one request, for the outbox
	stderr  io.Writer     // for the note that cleanup runs after Ctrl-C
}

// userAPI is the notes API as u, with whatever tokens u holds at the time of each call.
func (s *smoke) userAPI(u *smokeUser) (*client.Client, error) {
	return s.api(client.TokenSourceFunc(func(context.Context) (string, error) {
		return u.tokens.AccessToken, nil
	}))
}

// signUpAndIn is the path every new user takes: sign up, confirm, SRP sign-in.
func (s *smoke) signUpAndIn(ctx context.Context, r *smokeRun, u *smokeUser) {
	r.run("sign up "+u.label, func() (string, error) {
		if _, err := s.acct.SignUp(ctx, u.name, u.password); err != nil {
			return "", err
		}
		u.signedUp = true
		return u.name, nil
	})
	r.run("confirm "+u.label, func() (string, error) { return s.confirm(ctx, u.name) })
	r.run("SRP sign-in "+u.label, func() (string, error) {
		t, err := s.acct.LoginSRP(ctx, u.name, u.password)
		if err != nil {
			return "", err
		}
		u.tokens, u.signedIn = t, true
		return fmt.Sprintf("access token valid %s", time.Until(t.ExpiresAt).Round(time.Minute)), nil
	})
}

func (s *smoke) run(ctx context.Context) (*smokeRun, error) {
	alice, err := newSmokeUser("a")
	if err != nil {
		return nil, err
	}
	bob, err := newSmokeUser("b")
	if err != nil {
		return nil, err
	}
	r := &smokeRun{}
	apiA, err := s.userAPI(alice)
	if err != nil {
		return nil, err
	}
	apiB, err := s.userAPI(bob)
	if err != nil {
		return nil, err
	}
	var note client.Note
	noteLive := false

	s.signUpAndIn(ctx, r, alice)
	r.run("GetUser", func() (string, error) {
		u, err := s.acct.WhoAmI(ctx, alice.tokens.AccessToken)
		if err != nil {
			return "", err
		}
		if u.Attributes["sub"] == "" {
			return "", errors.New("GetUser returned no sub")
		}
		return "sub " + u.Attributes["sub"], nil
	})
	r.run("create note", func() (string, error) {
		n, err := apiA.Create(ctx, client.NoteInput{Title: "smoke", Content: "written by notesctl smoke"})
		if err != nil {
			return "", err
		}
		note, noteLive = n, true
		if n.ID == "" || n.Version != 1 {
			return "", fmt.Errorf("created note has id %q, version %d; want an id and version 1", n.ID, n.Version)
		}
		return n.ID, nil
	})
	r.run("list notes", func() (string, error) {
		p, err := apiA.List(ctx, client.ListOptions{Limit: 10})
		if err != nil {
			return "", err
		}
		if len(p.Items) != 1 || p.Items[0].ID != note.ID {
			return "", fmt.Errorf("list returned %d notes; want exactly the new one", len(p.Items))
		}
		return "1 note", nil
	})
	r.run("get note", func() (string, error) {
		n, err := apiA.Get(ctx, note.ID)
		if err != nil {
			return "", err
		}
		v, err := client.ETagVersion(n.ETag)
		if err != nil || v != 1 || n.Content != "written by notesctl smoke" {
			return "", fmt.Errorf("got version %d, ETag %q (%v); want version 1 and the content written", n.Version, n.ETag, err)
		}
		return "version 1, ETag " + n.ETag, nil
	})
	r.run("edit note (If-Match)", func() (string, error) {
		n, err := apiA.Update(ctx, note.ID, client.NoteInput{Title: "smoke", Content: "edited"}, 1)
		if err != nil {
			return "", err
		}
		if n.Version != 2 || n.Content != "edited" {
			return "", fmt.Errorf("edited note has version %d, content %q; want 2, %q", n.Version, n.Content, "edited")
		}
		return "version 2", nil
	})
	r.run("stale edit refused", func() (string, error) {
		_, err := apiA.Update(ctx, note.ID, client.NoteInput{Content: "lost update"}, 1)
		if !errors.Is(err, client.ErrPreconditionFailed) {
			return "", fmt.Errorf("edit with a stale version = %v; want 412", err)
		}
		return "412", nil
	})
	s.signUpAndIn(ctx, r, bob)
	r.run("user B cannot reach A's note", func() (string, error) {
		if _, err := apiB.Get(ctx, note.ID); !errors.Is(err, client.ErrNotFound) {
			return "", fmt.Errorf("B reading A's note = %v; want 404", err)
		}
		if _, err := apiB.Update(ctx, note.ID, client.NoteInput{Content: "hijack"}, 0); !errors.Is(err, client.ErrNotFound) {
			return "", fmt.Errorf("B editing A's note = %v; want 404", err)
		}
		if err := apiB.Delete(ctx, note.ID, 0); !errors.Is(err, client.ErrNotFound) {
			return "", fmt.Errorf("B deleting A's note = %v; want 404", err)
		}
		p, err := apiB.List(ctx, client.ListOptions{})
		if err != nil {
			return "", err
		}
		if len(p.Items) != 0 {
			return "", fmt.Errorf("B's list has %d notes; want none", len(p.Items))
		}
		return "get/edit/delete 404, list empty", nil
	})
	r.run("request without a valid token refused", func() (string, error) {
		anon, err := s.api(client.StaticToken("not-a-token"))
		if err != nil {
			return "", err
		}
		if _, err := anon.List(ctx, client.ListOptions{}); !errors.Is(err, client.ErrUnauthorized) {
			return "", fmt.Errorf("list with a bogus token = %v; want 401", err)
		}
		return "401", nil
	})
	r.run("delete note", func() (string, error) {
		if err := apiA.Delete(ctx, note.ID, 2); err != nil {
			return "", err
		}
		noteLive = false
		if _, err := apiA.Get(ctx, note.ID); !errors.Is(err, client.ErrNotFound) {
			return "", fmt.Errorf("get after delete = %v; want 404", err)
		}
		return "gone (404)", nil
	})
	r.run("refresh session", func() (string, error) {
		t, err := s.acct.Refresh(ctx, alice.name, alice.tokens.RefreshToken)
		if err != nil {
			return "", err
		}
		t.RefreshToken = alice.tokens.RefreshToken
		alice.tokens = t
		if _, err := apiA.List(ctx, client.ListOptions{}); err != nil {
			return "", fmt.Errorf("list with the refreshed token: %w", err)
		}
		return "new access token accepted", nil
	})
	r.run("sign out (global + revoke)", func() (string, error) {
		if err := errors.Join(s.acct.Logout(ctx, alice.tokens)); err != nil {
			return "", err
		}
		alice.signedIn = false
		if _, err := s.acct.Refresh(ctx, alice.name, alice.tokens.RefreshToken); err == nil {
			return "", errors.New("the refresh token still works after sign-out")
		}
		return "refresh token refused afterwards", nil
	})

	// Cleanup runs whatever happened above, even after Ctrl-C: throwaway users must not pile up in a real pool.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if ctx.Err() != nil && (alice.signedUp || bob.signedUp) {
		fmt.Fprintln(s.stderr, "notesctl: interrupted: deleting the throwaway users (Ctrl-C again to leave them)")
	}
	if noteLive && alice.signedIn {
		r.cleanup("clean up: delete note", func() (string, error) { return "", apiA.Delete(cctx, note.ID, 0) })
	}
	for _, u := range []*smokeUser{bob, alice} {
		if u.signedUp {
			r.cleanup("clean up: delete "+u.label, func() (string, error) { return s.deleteUser(cctx, u) })
		}
	}
	return r, nil
}

// deleteUser removes a throwaway user: DeleteUser with its own session (signing in again if it signed out).
func (s *smoke) deleteUser(ctx context.Context, u *smokeUser) (string, error) {
	if !u.signedIn {
		t, err := s.acct.LoginSRP(ctx, u.name, u.password)
		if err != nil {
			return "", fmt.Errorf("sign in to delete the user (delete %s by hand): %w", u.name, err)
		}
		u.tokens, u.signedIn = t, true
	}
	if err := s.acct.DeleteUser(ctx, u.tokens.AccessToken); err != nil {
		return "", err
	}
	u.signedIn = false
	return "DeleteUser " + u.name, nil
}

// confirm confirms a throwaway user: from the local outbox, or with AdminConfirmSignUp on AWS.
func (s *smoke) confirm(ctx context.Context, username string) (string, error) {
	if s.admin == nil {
		octx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		code, err := outbox.LatestCode(octx, s.target.CognitoEndpoint, username)
		if err != nil {
			return "", err
		}
		if err := s.acct.Confirm(ctx, username, code); err != nil {
			return "", err
		}
		return "code from the local outbox", nil
	}
	idp, err := s.admin(ctx)
	if err != nil {
		return "", err
	}
	if _, err := idp.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &s.target.UserPoolID, Username: &username}); err != nil {
		return "", fmt.Errorf("AdminConfirmSignUp (smoke on AWS needs credentials allowed cognito-idp:AdminConfirmSignUp on %s): %w", s.target.UserPoolID, err)
	}
	return "AdminConfirmSignUp", nil
}
