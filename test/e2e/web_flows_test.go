package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// The web app's flows in headless Chromium against the twin (README "The web app"). Each test has users of its
// own; the screenshots of the README come from these tests (go test ./test/e2e -run Browser -screenshots docs/images).

// appPageSize is how many notes the web app asks for at a time (web/src/api.ts, Api.list).
const appPageSize = 20

// TestBrowserCreateAccountConfirmAndSignIn: a newcomer creates an account (the pool's rules are checked before
// anything is sent), confirms it with the code from the twin's outbox (a wrong code is refused with a sentence)
// and signs in with SRP.
func TestBrowserCreateAccountConfirmAndSignIn(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-newcomer@example.com"
	b := newUser(t, tw, "newcomer")

	b.open("")
	b.find("Sign in", "heading")
	b.find("Email", "textbox")
	b.screenshot("sign-in")
	b.click("Create an account")
	b.find("Create an account", "heading")
	b.fill("Email", email)
	b.fill("Password", "Correct-hor") // 11 characters: the rules met so far are ticked off
	b.screenshot("create-account")
	b.click("Create account")
	b.message("alert", "The password still needs at least 12 characters, a digit.")
	if msgs, err := e.outbox(email); err != nil || len(msgs) != 0 {
		t.Errorf("a password the pool refuses was sent anyway: outbox %v, %v", msgs, err)
	}
	b.fill("Password", password)
	b.click("Create account")

	b.find("Confirm your account", "heading")
	b.message("status", "We sent a confirmation code to")
	code := e.mustOutboxCode(email, "SignUp")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.fill("Confirmation code", wrong)
	b.click("Confirm")
	b.message("alert", "That code is not right.")
	b.fill("Confirmation code", code)
	b.click("Confirm")

	b.find("Sign in", "heading")
	b.message("status", "Your account is confirmed.")
	if got := b.value("Email"); got != email {
		t.Errorf("the sign-in screen's Email = %q; want the address typed before, %q", got, email)
	}
	b.fill("Password", password)
	b.click("Sign in")
	b.find("Your notes", "heading")
	b.text("No notes yet.")
	b.text(email) // who is signed in
}

// TestBrowserCreateEditAndReload: notes created in the app list newest first; an edit is saved and survives a
// reload, which keeps the user signed in.
func TestBrowserCreateEditAndReload(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-writer@example.com"
	e.signUp(email)
	b := newUser(t, tw, "writer")
	b.signIn(email, password)

	b.createNote("Groceries", "milk")
	b.click("Back to your notes")
	b.createNote("Ideas", "a garden on the roof")
	b.click("Back to your notes")
	b.find("Groceries", "link")
	if got := b.names("link"); !cmp.Equal(noteLinks(got, "Groceries", "Ideas"), []string{"Ideas", "Groceries"}) {
		t.Errorf("the list's links are %q; want Ideas before Groceries (newest first)", got)
	}
	b.screenshot("notes")

	b.click("Groceries")
	b.find("Groceries", "heading")
	b.text("milk")
	b.screenshot("note")
	b.click("Edit")
	b.find("Edit “Groceries”", "heading")
	if title, content := b.value("Title"), b.value("Content"); title != "Groceries" || content != "milk" {
		t.Errorf("the editor opens with Title %q, Content %q; want the note's Groceries, milk", title, content)
	}
	b.fill("Content", "milk, eggs, bread")
	b.screenshot("editor")
	b.click("Save")
	b.message("status", "Saved.")
	b.text("milk, eggs, bread")

	b.reload()
	b.find("Groceries", "heading") // still signed in, on the same note
	b.text("milk, eggs, bread")
	b.text("version 2")
	token := aws.ToString(e.signIn(email).AccessToken)
	if got := listTitles(t, e, token); !cmp.Equal(got, []string{"Ideas", "Groceries"}) {
		t.Errorf("the API lists %q; want the two notes made in the app", got)
	}
}

// TestBrowserSecondUserSeesNoneOfTheFirstUsersNotes: two users in two browser contexts at once; the second sees
// an empty list, and the first user's note by its address is an API error told as a sentence (role="alert").
func TestBrowserSecondUserSeesNoneOfTheFirstUsersNotes(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const alice, bob = "browser-alice@example.com", "browser-bob@example.com"
	e.signUp(alice)
	e.signUp(bob)
	id := createNote(t, e, aws.ToString(e.signIn(alice).AccessToken), "Alice's plan", "take over the world")

	a := newUser(t, tw, "alice")
	a.signIn(alice, password)
	a.find("Alice's plan", "link")
	b := newUser(t, tw, "bob")
	b.signIn(bob, password)
	b.text("No notes yet.")
	b.text(bob)
	if b.shows("Alice's plan", "link") {
		t.Errorf("bob's list shows alice's note")
	}
	b.open("note/" + id)
	b.message("alert", "This note does not exist any more") // the API's 404
	b.open("note/not-a-note-id")
	b.message("alert", "This address does not point to a note.") // the API's 400 InvalidId

	a.reload()
	a.find("Alice's plan", "link")
	a.text(alice) // bob's sign-in in the other context left alice's session alone
}

// TestBrowserEditConflictBetweenTabs: two tabs of one user edit the same note; the second save gets the API's 412,
// which the app tells as "changed elsewhere" while keeping the text typed; loading the latest version and saving
// again replaces it. A note deleted elsewhere while being edited can be saved as a new note.
func TestBrowserEditConflictBetweenTabs(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-two-tabs@example.com"
	e.signUp(email)
	token := aws.ToString(e.signIn(email).AccessToken)
	id := createNote(t, e, token, "Trip", "pack the tent")

	a := newUser(t, tw, "tab A")
	a.signIn(email, password)
	b := a.newTab("tab B") // same browser context: signed in through the stored session
	for _, tb := range []*tab{a, b} {
		tb.open("note/" + id + "/edit")
		tb.find("Edit “Trip”", "heading")
		if got := tb.value("Content"); got != "pack the tent" {
			t.Fatalf("%s: the editor opens with %q; want the note's content", tb.who, got)
		}
	}
	a.fill("Content", "pack the tent and the stove")
	a.click("Save")
	a.message("status", "Saved.")

	const typedInB = "pack the tent and two sleeping bags"
	b.fill("Content", typedInB)
	b.click("Save")
	b.message("alert", "This note was changed elsewhere since you opened it.")
	b.screenshot("conflict")
	if got := b.value("Content"); got != typedInB {
		t.Errorf("after the 412 the Content field holds %q; want the text typed, %q", got, typedInB)
	}
	b.click("Load the latest version")
	b.message("status", "Loaded version 2")
	b.text("pack the tent and the stove") // the other tab's version, shown beside
	if got := b.value("Content"); got != typedInB {
		t.Errorf("loading the latest version replaced the typed text with %q", got)
	}
	b.click("Save")
	b.message("status", "Saved.")
	b.text(typedInB)

	r := e.call("GET", "/notes/"+id, token, "")
	var n struct {
		Content string
		Version int
	}
	r.json(t, &n)
	if n.Content != typedInB || n.Version != 3 {
		t.Errorf("the API holds %+v; want tab B's text at version 3", n)
	}

	// Deleted elsewhere while being edited: the text typed can still be kept, as a new note.
	b.open("note/" + id + "/edit")
	b.find("Edit “Trip”", "heading")
	const lastWords = "the tent went to the attic"
	b.fill("Content", lastWords)
	want(t, "DELETE the note from elsewhere", e.call("DELETE", "/notes/"+id, token, ""), 204, "")
	b.click("Save")
	b.message("alert", "This note does not exist any more")
	if got := b.value("Content"); got != lastWords {
		t.Errorf("after the 404 the Content field holds %q; want the text typed, %q", got, lastWords)
	}
	b.click("Save as a new note")
	b.message("status", "Note created.")
	b.find("Trip", "heading")
	b.text(lastWords)
}

// TestBrowserLoadMore: the list shows a page of notes and "Load more" fetches the next with the API's cursor,
// moving the keyboard focus to the first note added.
func TestBrowserLoadMore(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-many@example.com"
	e.signUp(email)
	token := aws.ToString(e.signIn(email).AccessToken)
	total := appPageSize + 3
	var want []string // newest first
	for i := 1; i <= total; i++ {
		title := fmt.Sprintf("Note %02d", i)
		createNote(t, e, token, title, "note number "+title)
		want = append([]string{title}, want...)
	}

	b := newUser(t, tw, "reader")
	b.signIn(email, password)
	b.find(want[0], "link")
	if got := noteLinks(b.names("link"), want...); !cmp.Equal(got, want[:appPageSize]) {
		t.Errorf("the first page lists %q; want the %d newest, %q", got, appPageSize, want[:appPageSize])
	}
	b.click("Load more")
	b.find(want[total-1], "link")
	b.gone("Load more", "button") // the last page has no cursor
	if got := noteLinks(b.names("link"), want...); !cmp.Equal(got, want) {
		t.Errorf("after Load more the list is %q; want %q", got, want)
	}
	if got := evaluate[string](b, `document.activeElement ? document.activeElement.textContent : ""`); got != want[appPageSize] {
		t.Errorf("after Load more the focus is on %q; want the first note added, %q", got, want[appPageSize])
	}
}

// TestBrowserDeleteAsksFirst: Delete opens a confirmation dialog (focus on Cancel); Cancel keeps the note,
// Delete note deletes it.
func TestBrowserDeleteAsksFirst(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-deleter@example.com"
	e.signUp(email)
	token := aws.ToString(e.signIn(email).AccessToken)
	createNote(t, e, token, "Keep me", "still useful")
	id := createNote(t, e, token, "Old receipt", "a coffee, 2019")

	b := newUser(t, tw, "deleter")
	b.signIn(email, password)
	b.click("Old receipt")
	b.find("Old receipt", "heading")
	b.gone("Delete note", "button") // the dialog is closed
	b.click("Delete")
	b.find("Delete this note?", "dialog")
	if got := evaluate[string](b, `document.activeElement ? document.activeElement.textContent : ""`); got != "Cancel" {
		t.Errorf("the dialog opens with the focus on %q; want Cancel, the safe choice", got)
	}
	b.screenshot("delete-dialog")
	b.click("Cancel")
	b.gone("Delete this note?", "dialog")
	b.find("Old receipt", "heading")
	if r := e.call("GET", "/notes/"+id, token, ""); r.status != 200 {
		t.Fatalf("after Cancel GET the note = %d; want 200", r.status)
	}

	b.click("Delete")
	b.click("Delete note")
	b.find("Your notes", "heading")
	b.message("status", "Deleted “Old receipt”.")
	b.gone("Old receipt", "link")
	b.find("Keep me", "link")
	want(t, "GET the deleted note", e.call("GET", "/notes/"+id, token, ""), 404, "")
}

// TestBrowserSignOutEndsEverySession: Sign out is a global sign-out plus the revocation of the app's refresh
// token: afterwards Cognito refuses the app's refresh token and another device's, and a reload stays signed out.
// Another tab of the same browser stops showing notes at once, and keeps the text being typed there for the next
// sign-in.
func TestBrowserSignOutEndsEverySession(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-leaver@example.com"
	e.signUp(email)
	b := newUser(t, tw, "leaver")
	b.signIn(email, password)
	elsewhere := e.signIn(email) // the same user on another device
	s, ok := b.session()
	if !ok {
		t.Fatal("the app keeps no session after signing in")
	}
	other := b.newTab("another tab")
	other.open("new-note")
	other.find("New note", "heading")
	const typed = "typed in another tab"
	other.fill("Content", typed)

	b.click("Sign out")
	b.find("Sign in", "heading")
	b.message("status", "You are signed out.")
	other.find("Sign in", "heading")
	other.message("status", "You signed out in another window. What you typed is kept")
	other.fill("Email", email)
	other.fill("Password", password)
	other.click("Sign in")
	other.find("New note", "heading")
	if got := other.value("Content"); got != typed {
		t.Errorf("after signing in again the other tab's Content holds %q; want %q", got, typed)
	}
	other.click("Sign out") // the session the check below must not see
	if _, ok := b.session(); ok {
		t.Error("the session is still stored after Sign out")
	}
	for name, token := range map[string]string{"the app's": s.RefreshToken, "another device's": aws.ToString(elsewhere.RefreshToken)} {
		var na *types.NotAuthorizedException
		if err := e.refresh(token); !errors.As(err, &na) {
			t.Errorf("refresh with %s refresh token after Sign out = %v; want NotAuthorizedException", name, err)
		}
	}
	b.reload()
	b.find("Sign in", "heading")
}

// TestBrowserForgotPassword: a reset code from the outbox and a new password; the old password stops working.
func TestBrowserForgotPassword(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-forgetful@example.com"
	const newPassword = "Another-horse-staple-77?"
	e.signUp(email)
	b := newUser(t, tw, "forgetful")

	b.open("")
	b.click("Forgot your password?")
	b.find("Reset your password", "heading")
	b.fill("Email", email)
	b.click("Send code")
	b.message("status", "We sent a code to")
	b.fill("Confirmation code", e.mustOutboxCode(email, "ForgotPassword"))
	b.fill("New password", newPassword)
	b.click("Set new password")

	b.find("Sign in", "heading")
	b.message("status", "Your password is changed.")
	b.fill("Password", password)
	b.click("Sign in")
	b.message("alert", "Incorrect email or password.")
	b.fill("Password", newPassword)
	b.click("Sign in")
	b.find("Your notes", "heading")
}

// TestBrowserRefreshAndRefusedRefresh: an expired access token is replaced with the refresh token without the user
// noticing; once the user signed out elsewhere, the refused refresh returns to sign-in with a message, and the text
// being written when it happened comes back after signing in again (the same account only).
func TestBrowserRefreshAndRefusedRefresh(t *testing.T) {
	tw := webStage(t)
	e := newEnv(t, tw)
	const email = "browser-expired@example.com"
	e.signUp(email)
	b := newUser(t, tw, "expired")
	b.signIn(email, password)
	before, _ := b.session()

	// The twin has no clock to move and a token lives an hour: the app is told its access token expires now.
	b.expireAccessToken()
	b.reload()
	b.find("Your notes", "heading")
	b.text("No notes yet.")
	after, ok := b.session()
	if !ok || after.AccessToken == before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Fatalf("after the expiry the session is %v (stored: %v); want a new access token and the same refresh token", after.AccessToken != before.AccessToken, ok)
	}
	if r := e.call("GET", "/notes", after.AccessToken, ""); r.status != 200 {
		t.Errorf("the refreshed access token: GET /notes = %d; want 200", r.status)
	}

	elsewhere := aws.ToString(e.signIn(email).AccessToken)
	if _, err := e.idp.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(elsewhere)}); err != nil {
		t.Fatalf("GlobalSignOut from another device: %v", err)
	}
	const typed = "written while the session was ending elsewhere"
	b.click("New note")
	b.find("New note", "heading")
	b.fill("Content", typed)
	b.expireAccessToken()
	b.click("Save")
	b.find("Sign in", "heading")
	b.message("alert", "Your session has ended (it expired or was signed out elsewhere). Sign in again.")
	b.message("alert", "What you typed is kept")
	if _, ok := b.session(); ok {
		t.Error("the refused session is still stored")
	}
	b.fill("Email", email)
	b.fill("Password", password)
	b.click("Sign in")
	b.find("New note", "heading")
	b.message("status", "What you typed before you were signed out is back")
	if got := b.value("Content"); got != typed {
		t.Fatalf("after signing in again the Content field holds %q; want the text typed before, %q", got, typed)
	}
	b.click("Save")
	b.message("status", "Note created.")
	b.text(typed)
}

// TestBrowserEnforcesCSPAndTheWatchSeesIt: the twin's Content-Security-Policy blocks an inline script in the app's
// page, and the console watch every browser test relies on reports the violation.
func TestBrowserEnforcesCSPAndTheWatchSeesIt(t *testing.T) {
	tw := webStage(t)
	b := newUser(t, tw, "csp")
	b.open("")
	b.find("Sign in", "heading")
	ran := evaluate[bool](b, `(() => {
		const s = document.createElement('script');
		s.textContent = 'window.inlineRan = true';
		document.head.append(s);
		return window.inlineRan === true;
	})()`)
	if ran {
		t.Error("an inline script ran: the page has no strict Content-Security-Policy")
	}
	var seen bool
	if err := b.waitFor(func(context.Context) (bool, error) {
		for _, m := range b.problems() {
			seen = seen || strings.Contains(m.text, "Content Security Policy")
		}
		return seen, nil
	}); err != nil {
		t.Errorf("the console watch saw no CSP violation for the blocked inline script: %v (problems %v)", err, b.problems())
	}
	b.mu.Lock()
	b.logs = nil // the violation was made on purpose
	b.mu.Unlock()
}

// signIn signs in on the start page and waits for the notes list.
func (b *tab) signIn(email, pw string) {
	b.t.Helper()
	b.open("")
	b.find("Sign in", "heading")
	b.fill("Email", email)
	b.fill("Password", pw)
	b.click("Sign in")
	b.find("Your notes", "heading")
}

// createNote writes a note with the editor and waits for it to open.
func (b *tab) createNote(title, content string) {
	b.t.Helper()
	b.click("New note")
	b.find("New note", "heading")
	b.fill("Title", title)
	b.fill("Content", content)
	b.click("Save")
	b.find(title, "heading")
	b.message("status", "Note created.")
}

// storedSession is what the app keeps in localStorage (web/src/auth.ts).
type storedSession struct {
	AccessToken  string  `json:"accessToken"`
	RefreshToken string  `json:"refreshToken"`
	ExpiresAt    float64 `json:"expiresAt"`
}

func (b *tab) sessionKey() string { return "authnotes.session." + b.out["UserPoolClientId"] }

// session reads the app's stored session, if there is one.
func (b *tab) session() (storedSession, bool) {
	b.t.Helper()
	raw := evaluate[string](b, fmt.Sprintf(`localStorage.getItem(%q) ?? ""`, b.sessionKey()))
	var s storedSession
	if raw == "" {
		return s, false
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		b.t.Fatalf("the stored session %q: %v", raw, err)
	}
	return s, true
}

// expireAccessToken makes the app count its access token as expired, as it does an hour after sign-in.
func (b *tab) expireAccessToken() {
	b.t.Helper()
	evaluate[bool](b, fmt.Sprintf(`(() => {
		const s = JSON.parse(localStorage.getItem(%[1]q));
		s.expiresAt = Date.now();
		localStorage.setItem(%[1]q, JSON.stringify(s));
		return true;
	})()`, b.sessionKey()))
}

// noteLinks keeps the names that are note titles among a page's link names, in order.
func noteLinks(names []string, titles ...string) []string {
	var got []string
	for _, n := range names {
		if slices.Contains(titles, n) {
			got = append(got, n)
		}
	}
	return got
}

func createNote(t *testing.T, e *env, token, title, content string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"title": title, "content": content})
	r := e.call("POST", "/notes", token, string(body))
	want(t, "POST /notes", r, 201, "")
	return noteID(t, r)
}

// listTitles lists the titles of all the user's notes through the API, newest first.
func listTitles(t *testing.T, e *env, token string) []string {
	t.Helper()
	r := e.call("GET", "/notes?limit=100", token, "")
	want(t, "GET /notes", r, 200, "")
	var page struct{ Items []struct{ Title string } }
	r.json(t, &page)
	var titles []string
	for _, it := range page.Items {
		titles = append(titles, it.Title)
	}
	return titles
}

// refresh asks Cognito for new tokens with a refresh token.
func (e *env) refresh(refreshToken string) error {
	_, err := e.idp.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(e.out["UserPoolClientId"]),
		AuthParameters: map[string]string{"REFRESH_TOKEN": refreshToken},
	})
	return err
}
