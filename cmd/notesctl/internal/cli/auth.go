package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/authnotes/authnotes/cmd/notesctl/internal/tokencache"
)

// password reads the password from the flag, NOTESCTL_PASSWORD, or a no-echo prompt when stdin is a terminal.
func (a *app) password(flag string, twice bool) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := os.Getenv("NOTESCTL_PASSWORD"); p != "" {
		return p, nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: pass --password, set NOTESCTL_PASSWORD, or run in a terminal to be asked")
	}
	read := func(prompt string) (string, error) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	p, err := read("Password: ")
	if err != nil {
		return "", err
	}
	if twice {
		again, err := read("Password again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the passwords differ: run the command again")
		}
	}
	if p == "" {
		return "", errors.New("empty password")
	}
	return p, nil
}

func usernameFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVarP(v, "username", "u", "", "the user's name (the email address, for pools that sign in by email)")
	_ = cmd.MarkFlagRequired("username")
}

func passwordFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "password", "", "the password (default: $NOTESCTL_PASSWORD, else asked without echo)")
}

func (a *app) signupCmd() *cobra.Command {
	var username, password string
	cmd := &cobra.Command{
		Use:   "signup",
		Short: "Create a user; Cognito sends a confirmation code",
		Example: `  notesctl --local signup -u alice@example.com                 # asks for the password twice
  NOTESCTL_PASSWORD='Correct-Horse-9!' notesctl --local signup -u alice@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.session(ctx)
			if err != nil {
				return err
			}
			pw, err := a.password(password, true)
			if err != nil {
				return err
			}
			r, err := s.account.SignUp(ctx, username, pw)
			if err != nil {
				return err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "Signed up %s.\n", username)
			if r.Confirmed {
				fmt.Fprintf(&b, "Already confirmed. Next: notesctl %s login -u %s\n", a.targetArgs(), username)
			} else {
				if r.Destination != "" {
					fmt.Fprintf(&b, "A confirmation code was sent to %s.\n", r.Destination)
				}
				if s.target.Local() {
					fmt.Fprintf(&b, "The local twin sends no mail: the code is in its outbox, `curl -s '%s/_local/outbox?to=%s'`.\n",
						strings.TrimSuffix(s.target.CognitoEndpoint, "/"), url.QueryEscape(username))
				}
				fmt.Fprintf(&b, "Next: notesctl %s confirm -u %s --code <code>\n", a.targetArgs(), username)
			}
			return a.print(r, b.String())
		},
	}
	usernameFlag(cmd, &username)
	passwordFlag(cmd, &password)
	return cmd
}

func (a *app) confirmCmd() *cobra.Command {
	var username, code string
	var resend bool
	cmd := &cobra.Command{
		Use:   "confirm",
		Short: "Confirm a sign-up with the emailed code (or --resend a new code)",
		Example: `  notesctl --local confirm -u alice@example.com --code 123456
  notesctl --local confirm -u alice@example.com --resend`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if resend == (code != "") {
				return errors.New("pass either --code CODE or --resend")
			}
			s, err := a.session(ctx)
			if err != nil {
				return err
			}
			if resend {
				dest, err := s.account.Resend(ctx, username)
				if err != nil {
					return err
				}
				return a.print(map[string]string{"username": username, "codeDestination": dest},
					fmt.Sprintf("A new confirmation code was sent to %s.\nNext: notesctl %s confirm -u %s --code <code>", dest, a.targetArgs(), username))
			}
			if err := s.account.Confirm(ctx, username, code); err != nil {
				return err
			}
			return a.print(map[string]any{"username": username, "confirmed": true},
				fmt.Sprintf("Confirmed %s.\nNext: notesctl %s login -u %s", username, a.targetArgs(), username))
		},
	}
	usernameFlag(cmd, &username)
	cmd.Flags().StringVar(&code, "code", "", "the 6-digit confirmation code")
	cmd.Flags().BoolVar(&resend, "resend", false, "send a new code instead (the old one expired or got lost)")
	return cmd
}

func (a *app) loginCmd() *cobra.Command {
	var username, password string
	var passwordAuth bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in (SRP: the password never leaves this machine) and cache the session for this target",
		Example: `  notesctl --local login -u alice@example.com
  notesctl --outputs cdk-outputs-dev.json login -u alice@example.com --password-auth`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.session(ctx)
			if err != nil {
				return err
			}
			pw, err := a.password(password, false)
			if err != nil {
				return err
			}
			var t tokencache.Tokens
			if passwordAuth {
				t, err = s.account.LoginPassword(ctx, username, pw)
			} else {
				t, err = s.account.LoginSRP(ctx, username, pw)
			}
			if err != nil {
				return err
			}
			if err := s.cache.Save(s.target.Key, t); err != nil {
				return err
			}
			return a.print(map[string]any{"username": username, "expiresAt": t.ExpiresAt},
				fmt.Sprintf("Signed in as %s (access token valid until %s, refreshed automatically).\nNext: notesctl %s notes create --content 'hello'",
					username, t.ExpiresAt.Local().Format(time.Kitchen), a.targetArgs()))
		},
	}
	usernameFlag(cmd, &username)
	passwordFlag(cmd, &password)
	cmd.Flags().BoolVar(&passwordAuth, "password-auth", false, "use USER_PASSWORD_AUTH (sends the password; only if the app client allows it)")
	return cmd
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "Sign out everywhere (global sign-out), revoke the refresh token, and forget the cached session",
		Example: `  notesctl --local logout`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.session(ctx)
			if err != nil {
				return err
			}
			t, err := s.tokens.Tokens(ctx)
			if errors.Is(err, tokencache.ErrNotSignedIn) {
				return a.print(map[string]bool{"signedOut": true}, "Not signed in: nothing to do.")
			}
			if err != nil {
				// The refresh failed (expired, revoked, or Cognito unreachable), or the file is readable by others:
				// sign out with what is cached, so a refresh token that still works gets revoked.
				if t, err = s.cache.LoadForSignOut(s.target.Key); err != nil {
					// Damaged beyond reading: forget it, since no command can use it, and say it may live on.
					if derr := s.cache.Delete(s.target.Key); derr != nil {
						return errors.Join(err, derr)
					}
					return fmt.Errorf("forgot the local session, but could not sign out at Cognito with it (%w): to end it there, run `notesctl login -u <you>`, then `notesctl logout`", err)
				}
			}
			global, revoke := s.account.Logout(ctx, t)
			// The session is forgotten either way: a session Cognito no longer accepts is useless, and one it does
			// accept must not linger after the user asked to sign out.
			if err := s.cache.Delete(s.target.Key); err != nil {
				return err
			}
			var na *types.NotAuthorizedException
			// NotAuthorized means the token was already dead: signed out elsewhere, expired or revoked.
			for _, e := range []error{global, revoke} {
				if e != nil && !errors.As(e, &na) {
					return fmt.Errorf("forgot the local session, but signing out at Cognito failed (%w): once it is reachable, run `notesctl login -u <you>`, then `notesctl logout` (its global sign-out ends every session)", e)
				}
			}
			return a.print(map[string]bool{"signedOut": true}, "Signed out.")
		},
	}
}

func (a *app) whoamiCmd() *cobra.Command {
	var showTokens bool
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the signed-in user (asks Cognito, so it also proves the session is still valid)",
		Example: `  notesctl --local whoami
  notesctl --local --json whoami --show-tokens | jq -r .accessToken     # for curl -H "Authorization: Bearer …"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.session(ctx)
			if err != nil {
				return err
			}
			t, err := s.tokens.Tokens(ctx)
			if err != nil {
				return err
			}
			u, err := s.account.WhoAmI(ctx, t.AccessToken)
			if err != nil {
				return err
			}
			out := map[string]any{"username": u.Username, "attributes": u.Attributes, "expiresAt": t.ExpiresAt, "target": s.target.Key}
			var b strings.Builder
			fmt.Fprintf(&b, "signed in as:  %s\n", t.Username)
			// In a pool that signs in by email, Cognito's user name is the sub: printing it twice would only puzzle.
			if u.Username != u.Attributes["sub"] && u.Username != t.Username {
				fmt.Fprintf(&b, "user name:     %s\n", u.Username)
			}
			fmt.Fprintf(&b, "sub:           %s\n", u.Attributes["sub"])
			if e := u.Attributes["email"]; e != "" {
				fmt.Fprintf(&b, "email:         %s (verified: %s)\n", e, u.Attributes["email_verified"])
			}
			fmt.Fprintf(&b, "target:        %s (%s)\nsession:       access token valid until %s, refreshed automatically\n",
				s.target.Key, s.target.ApiURL, t.ExpiresAt.Local().Format(time.RFC3339))
			if showTokens {
				out["idToken"], out["accessToken"], out["refreshToken"] = t.IDToken, t.AccessToken, t.RefreshToken
				fmt.Fprintf(&b, "id token:      %s\naccess token:  %s\nrefresh token: %s\n", t.IDToken, t.AccessToken, t.RefreshToken)
			}
			return a.print(out, b.String())
		},
	}
	cmd.Flags().BoolVar(&showTokens, "show-tokens", false, "also print the ID, access and refresh tokens (secrets: mind your terminal history)")
	return cmd
}
