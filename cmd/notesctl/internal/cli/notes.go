package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/authnotes/authnotes/client"
)

// maxContent is read from a file or stdin at most: the API refuses content over 64 KiB (65,536 bytes) with a clear
// error, so reading a huge file whole would only waste memory before the same answer.
const maxContent = 1 << 20

// contentFlags are --title, --content and --file on create and edit.
type contentFlags struct {
	title, content, file string
}

func (f *contentFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.title, "title", "", "the note's title (up to 256 characters)")
	cmd.Flags().StringVar(&f.content, "content", "", "the note's text")
	cmd.Flags().StringVar(&f.file, "file", "", "read the note's text from a file (- for stdin)")
	_ = cmd.MarkFlagFilename("file")
}

// noteIDArg wants exactly one argument, and a non-empty one: `notes get ""` would otherwise ask for GET /notes/,
// a route that does not exist, and the user would read a bare 404.
func noteIDArg(cmd *cobra.Command, args []string) error {
	if err := cobra.ExactArgs(1)(cmd, args); err != nil {
		return fmt.Errorf("%w: the note ID (from `notesctl notes list`)", err)
	}
	if strings.TrimSpace(args[0]) == "" {
		return errors.New("the note ID is empty: pass one from `notesctl notes list`")
	}
	return nil
}

// completeNoteID completes a note ID argument with the signed-in user's notes (ID and title), through the cached
// session of the target flags already typed. Without a session or a reachable API it offers nothing.
func (a *app) completeNoteID(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	api, err := a.notesAPI(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	notes, err := api.ListAll(cmd.Context(), 100)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ids := make([]cobra.Completion, 0, len(notes))
	for _, n := range notes {
		ids = append(ids, cobra.CompletionWithDesc(n.ID, label(n)))
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// read applies the flags that were set to in; it reports whether any was.
func (f *contentFlags) read(cmd *cobra.Command, stdin io.Reader, in *client.NoteInput) (bool, error) {
	fl := cmd.Flags()
	if fl.Changed("content") && fl.Changed("file") {
		return false, errors.New("pass --content or --file, not both")
	}
	changed := false
	if fl.Changed("title") {
		in.Title, changed = f.title, true
	}
	if fl.Changed("content") {
		in.Content, changed = f.content, true
	}
	if fl.Changed("file") {
		r, name := stdin, "stdin"
		if f.file != "-" {
			name = f.file
			fh, err := os.Open(f.file)
			if err != nil {
				return false, fmt.Errorf("read note text: %w", err)
			}
			defer fh.Close()
			r = fh
		}
		b, err := io.ReadAll(io.LimitReader(r, maxContent+1))
		if err != nil {
			return false, fmt.Errorf("read note text: %w", err)
		}
		if len(b) > maxContent {
			return false, fmt.Errorf("note text in %s is over 1 MiB: the API takes at most 64 KiB (65,536 bytes)", name)
		}
		in.Content, changed = string(b), true
	}
	return changed, nil
}

// explainAPI adds what to do to the notes API's errors.
func explainAPI(err error, id string) error {
	var e *client.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ue) && ue.Timeout():
		return fmt.Errorf("the API did not answer in time (%w): check the target and your network, or raise --timeout", err)
	case errors.As(err, &ue) && !errors.Is(err, context.Canceled):
		return fmt.Errorf("cannot reach the API (%w): check the target and your network", err)
	case errors.Is(err, client.ErrUnauthorized):
		return fmt.Errorf("the API refused the session (%w): run `notesctl login -u <you>`", err)
	case errors.Is(err, client.ErrForbidden):
		return fmt.Errorf("the API refused the token's scope (%w): sign in again with `notesctl login -u <you>`", err)
	case errors.Is(err, client.ErrNotFound) && id != "":
		return fmt.Errorf("note %s not found (%w): list yours with `notesctl notes list`", id, err)
	case errors.Is(err, client.ErrPreconditionFailed):
		return fmt.Errorf("note %s changed since the version you had (%w): run `notesctl notes get %s` and try again", id, err, id)
	case errors.As(err, &e) && e.Status == 429:
		return fmt.Errorf("throttled by the API (%w): wait a moment and retry", err)
	}
	return err
}

// staleVersion explains a 412: it reads the note again to tell which version it is at now, since "it changed"
// alone leaves the user guessing what to pass next.
func staleVersion(ctx context.Context, api *client.Client, id string, had int, err error) error {
	cur, gerr := api.Get(ctx, id)
	if gerr != nil {
		return explainAPI(err, id)
	}
	return fmt.Errorf("note %s is at version %d now, not %d: someone changed it since (%w); see it with `notesctl notes get %s`, then try again",
		id, cur.Version, had, err, id)
}

func (a *app) notesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "notes", Short: "Create, list, read, edit and delete your notes"}
	cmd.AddCommand(a.notesCreateCmd(), a.notesListCmd(), a.notesGetCmd(), a.notesEditCmd(), a.notesDeleteCmd())
	return cmd
}

func (a *app) notesCreateCmd() *cobra.Command {
	var f contentFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a note (--content TEXT or --file PATH)",
		Example: `  notesctl --local notes create --title first --content hello
  notesctl --local notes create --title README --file README.md
  echo hello | notesctl --local notes create --file -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in client.NoteInput
			if _, err := f.read(cmd, a.stdin, &in); err != nil {
				return err
			}
			if in.Content == "" {
				return errors.New("a note needs text: pass --content TEXT or --file PATH")
			}
			api, err := a.notesAPI(cmd.Context())
			if err != nil {
				return err
			}
			n, err := api.Create(cmd.Context(), in)
			if err != nil {
				return explainAPI(err, "")
			}
			return a.print(n, fmt.Sprintf("Created note %s (version %d).", n.ID, n.Version))
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) notesListCmd() *cobra.Command {
	var limit int
	var cursor string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your notes, newest first, one page at a time (--all for every page)",
		Example: `  notesctl --local notes list --limit 5
  notesctl --local --json notes list --all | jq -r '.items[].noteId'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && cursor != "" {
				return errors.New("pass --all or --cursor, not both")
			}
			api, err := a.notesAPI(cmd.Context())
			if err != nil {
				return err
			}
			var page client.Page
			if all {
				page.Items, err = api.ListAll(cmd.Context(), limit)
			} else {
				page, err = api.List(cmd.Context(), client.ListOptions{Limit: limit, Cursor: cursor})
			}
			if err != nil {
				return explainAPI(err, "")
			}
			if page.Items == nil {
				page.Items = []client.Note{}
			}
			var b strings.Builder
			if len(page.Items) == 0 {
				b.WriteString("No notes.\n")
			} else {
				tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUPDATED\tVERSION\tTITLE")
				for _, n := range page.Items {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", n.ID, n.UpdatedAt.Local().Format(time.DateTime), n.Version, label(n))
				}
				tw.Flush()
			}
			if page.NextCursor != "" {
				more := "notes list"
				if limit != 0 {
					more += fmt.Sprintf(" --limit %d", limit)
				}
				fmt.Fprintf(&b, "More: notesctl %s %s --cursor %s (or --all)\n", a.targetArgs(), more, page.NextCursor)
			}
			return a.print(page, b.String())
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "notes per page, 1–100 (default: the API's, 20)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "the page after this cursor (printed by the previous page)")
	cmd.Flags().BoolVar(&all, "all", false, "page through every note")
	return cmd
}

// label names a note in a list: its title, or else the start of its text in quotes (a note made with only
// --content, as the login hint suggests, would otherwise show as a blank).
func label(n client.Note) string {
	if t := oneLine(n.Title, 50); t != "" {
		return t
	}
	return `"` + oneLine(n.Content, 48) + `"`
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func (a *app) notesGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "get ID",
		Short:             "Show one note with its version",
		Example:           `  notesctl --local notes get 01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R`,
		Args:              noteIDArg,
		ValidArgsFunction: a.completeNoteID,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.notesAPI(cmd.Context())
			if err != nil {
				return err
			}
			n, err := api.Get(cmd.Context(), args[0])
			if err != nil {
				return explainAPI(err, args[0])
			}
			return a.print(n, fmt.Sprintf("id:       %s\ntitle:    %s\nversion:  %d\ncreated:  %s\nupdated:  %s\n\n%s",
				n.ID, n.Title, n.Version, n.CreatedAt.Local().Format(time.RFC3339), n.UpdatedAt.Local().Format(time.RFC3339), n.Content))
		},
	}
}

func (a *app) notesEditCmd() *cobra.Command {
	var f contentFlags
	var version int
	cmd := &cobra.Command{
		Use:   "edit ID",
		Short: "Change a note's title and/or text; refused if someone changed it since the version read (If-Match)",
		Example: `  notesctl --local notes edit 01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R --title "renamed"
  notesctl --local notes edit 01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R --file draft.md --version 3   # only if still at version 3`,
		Args:              noteIDArg,
		ValidArgsFunction: a.completeNoteID,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, id := cmd.Context(), args[0]
			api, err := a.notesAPI(ctx)
			if err != nil {
				return err
			}
			// PUT replaces the whole note: read it to keep what the flags leave alone, and to learn its version.
			cur, err := api.Get(ctx, id)
			if err != nil {
				return explainAPI(err, id)
			}
			in := client.NoteInput{Title: cur.Title, Content: cur.Content}
			changed, err := f.read(cmd, a.stdin, &in)
			if err != nil {
				return err
			}
			if !changed {
				return errors.New("nothing to change: pass --title, --content or --file")
			}
			match := cur.Version
			if cmd.Flags().Changed("version") {
				match = version
			}
			n, err := api.Update(ctx, id, in, match)
			if errors.Is(err, client.ErrPreconditionFailed) {
				return staleVersion(ctx, api, id, match, err)
			}
			if err != nil {
				return explainAPI(err, id)
			}
			return a.print(n, fmt.Sprintf("Updated note %s (version %d).", n.ID, n.Version))
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&version, "version", 0, "only if the note is at this version (default: the version just read)")
	return cmd
}

func (a *app) notesDeleteCmd() *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:               "delete ID",
		Short:             "Delete a note (with --version: only if it is still at that version)",
		Example:           `  notesctl --local notes delete 01JD7Q6R0Z8XKJ3Y4M5N6P7Q8R`,
		Args:              noteIDArg,
		ValidArgsFunction: a.completeNoteID,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.notesAPI(cmd.Context())
			if err != nil {
				return err
			}
			err = api.Delete(cmd.Context(), args[0], version)
			if errors.Is(err, client.ErrPreconditionFailed) {
				return staleVersion(cmd.Context(), api, args[0], version, err)
			}
			if err != nil {
				return explainAPI(err, args[0])
			}
			return a.print(map[string]any{"noteId": args[0], "deleted": true}, fmt.Sprintf("Deleted note %s.", args[0]))
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "only if the note is at this version (If-Match)")
	return cmd
}
