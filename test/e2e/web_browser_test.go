package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/authnotes/authnotes/local/twin"
)

// The browser tests drive Debian's Chromium headless through the DevTools protocol (chromedp): one Chromium for
// the package, one browser context (a separate profile, like an incognito window) per user, one window per tab.
// Elements are found as a person or a screen reader finds them: by role and accessible name in the page's
// accessibility tree, the names being the contract of ARCHITECTURE.md.

var screenshots = flag.String("screenshots", "", "save the browser tests' screenshots of the web app into this `dir`ectory (relative to the repository root), e.g. docs/images")

// chromiumInstall is how to get the browser the tests need (what .ci/run does).
const chromiumInstall = "apt-get update && apt-get install -y chromium"

const (
	// viewport is the size of every tab, and so of the screenshots.
	viewportWidth, viewportHeight = 900, 700
	// wait bounds every wait for the page: generous, since a wait ends as soon as its condition holds.
	wait = 30 * time.Second
	// poll is how often a wait looks at the page again.
	poll = 50 * time.Millisecond
)

// browser is the Chromium shared by the package, started by the first browser test and stopped by TestMain.
var browser struct {
	ctx    context.Context // holds the browser; its own first tab stays blank
	cancel context.CancelFunc
	dir    string // its user data directory, fresh for each run of the package
	output syncBuffer
}

func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if browser.ctx != nil {
		return browser.ctx
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium, and chromium is not on PATH: install it with `%s`", chromiumInstall)
	}
	browser.dir = filepath.Join(tmpDir, "chromium")         // fresh: the package's temporary directory is new
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, no background networking, no sync, …
		chromedp.ExecPath(path),
		chromedp.UserDataDir(browser.dir),
		chromedp.NoSandbox, // the tests run as root in CI, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Env("TZ=UTC"), // dates on the screenshots do not depend on the machine
		chromedp.CombinedOutput(&browser.output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Run binds the browser's life to its context: this one, not the test's.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start Chromium (%s): %v\n%s\nSee README, Troubleshooting, Tests (Chromium).", path, err, tail(browser.output.String(), 30))
	}
	browser.ctx = ctx
	browser.cancel = func() {
		cancel()
		cancelAlloc()
	}
	return ctx
}

// stopBrowser ends Chromium, if a test started it.
func stopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// tab is one browser tab showing the web app.
type tab struct {
	t    *testing.T
	ctx  context.Context
	who  string // names the tab in failures
	web  string // the app's URL, ending in "/"
	out  map[string]string
	mu   sync.Mutex
	logs []consoleMessage
}

type consoleMessage struct {
	source, level, text string
}

func (m consoleMessage) String() string { return m.source + " " + m.level + ": " + m.text }

// newUser opens a tab in a browser context of its own: storage, cookies and cache are not shared with any other
// user's tabs.
func newUser(t *testing.T, tw *twin.Twin, who string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(startBrowser(t), chromedp.WithNewBrowserContext())
	return openTab(t, tw.Outputs(), who, ctx, cancel)
}

// newTab opens another tab of the same user (same browser context, so the same stored session).
func (b *tab) newTab(who string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	return openTab(b.t, b.out, who, ctx, cancel)
}

func openTab(t *testing.T, out map[string]string, who string, ctx context.Context, cancel context.CancelFunc) *tab {
	t.Helper()
	b := &tab{t: t, ctx: ctx, who: who, web: out["WebUrl"], out: out}
	if b.web == "" {
		t.Fatalf("the twin serves no web app (no WebUrl in %v)", out)
	}
	// Watch the console from the tab's first page on; the check runs before the tab closes.
	if err := chromedp.Listen(ctx, b.record); err != nil {
		cancel()
		t.Fatalf("open a tab: %v\n%s", err, tail(browser.output.String(), 30))
	}
	t.Cleanup(cancel)
	t.Cleanup(b.checkConsole)
	b.do(chromedp.EmulateViewport(viewportWidth, viewportHeight))
	return b
}

// record keeps what the page reports on its console: uncaught exceptions, console calls and the browser's log
// (where CSP violations, CORS refusals and failed requests appear). It runs in the tab's event loop.
func (b *tab) record(ev any) {
	var m consoleMessage
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		m = consoleMessage{source: "javascript", level: "exception", text: d.Text}
		if d.Exception != nil && d.Exception.Description != "" {
			m.text += " " + d.Exception.Description
		}
		if d.URL != "" {
			m.text += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
		}
		m = consoleMessage{source: "console", level: string(ev.Type), text: strings.Join(parts, " ")}
	case *cdplog.EventEntryAdded:
		m = consoleMessage{source: string(ev.Entry.Source), level: string(ev.Entry.Level), text: ev.Entry.Text}
		if ev.Entry.URL != "" {
			m.text += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.logs = append(b.logs, m)
	b.mu.Unlock()
}

// problems are the console messages no flow may cause: any CSP violation, any uncaught exception or unhandled
// rejection, and any error or warning of the page or the browser, except the browser's "Failed to load resource"
// lines for HTTP errors the flows provoke on purpose (a 412, a 404, a refused refresh), whose handling each test
// checks on the page.
func (b *tab) problems() []consoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	var bad []consoleMessage
	for _, m := range b.logs {
		csp := strings.Contains(m.text, "Content Security Policy") || m.source == "security" || m.source == "violation"
		httpStatus := m.source == "network" && strings.HasPrefix(m.text, "Failed to load resource: the server responded with a status of 4")
		if csp || m.level == "exception" || ((m.level == "error" || m.level == "warning" || m.level == "assert") && !httpStatus) {
			bad = append(bad, m)
		}
	}
	return bad
}

func (b *tab) checkConsole() {
	b.t.Helper()
	if bad := b.problems(); len(bad) > 0 {
		var lines []string
		for _, m := range bad {
			lines = append(lines, "  "+m.String())
		}
		b.t.Errorf("%s: the console reported %d problem(s) (CSP violations, uncaught errors, console errors):\n%s", b.who, len(bad), strings.Join(lines, "\n"))
	}
}

// within runs f with the tab's context bounded by wait.
func (b *tab) within(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	return f(ctx)
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.within(func(ctx context.Context) error { return chromedp.Do(ctx, actions...) }); err != nil {
		b.fatalf("%v", err)
	}
}

// fatalf ends the test with what the page showed, and a screenshot of it when -screenshots is given.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if *screenshots != "" {
		name := "failed-" + strings.NewReplacer("/", "-", " ", "-").Replace(b.t.Name()) + "-" + strings.ReplaceAll(b.who, " ", "-")
		if path, err := b.saveScreenshot(name); err == nil {
			msg += "\nscreenshot: " + path
		}
	}
	b.t.Fatalf("%s: %s\nthe page (%s) shows:\n%s", b.who, msg, b.location(), b.describe())
}

// open loads an app path ("" for the start page) and waits for the page's load event.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.web + strings.TrimPrefix(path, "/")))
}

// reload reloads the page, as the browser's reload button does.
func (b *tab) reload() {
	b.t.Helper()
	b.do(chromedp.Reload())
}

func (b *tab) location() string {
	var loc string
	_ = b.within(func(ctx context.Context) (err error) {
		loc, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	return loc
}

// axNode is an element the accessibility tree exposes.
type axNode struct {
	role, name string
	id         cdp.BackendNodeID
}

func (n axNode) String() string { return fmt.Sprintf("%s %q", n.role, n.name) }

func axString(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return string(v.Value)
	}
	return s
}

// query returns the exposed elements of the page with the accessible name name (any name if "") and one of the
// roles. Elements the accessibility tree ignores (hidden, in a closed dialog, behind an open modal) are left out.
func (b *tab) query(ctx context.Context, name string, roles ...string) ([]axNode, error) {
	const group = "authnotes-e2e"
	doc, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document", ObjectGroup: group})
	if err != nil {
		return nil, err
	}
	defer chromedp.Call(ctx, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
	if doc.Result == nil || doc.Result.ObjectID == "" {
		return nil, errors.New("the page has no document yet")
	}
	params := accessibility.QueryAXTreeParams{ObjectID: doc.Result.ObjectID, AccessibleName: name}
	if len(roles) == 1 {
		params.Role = roles[0]
	}
	res, err := chromedp.Call(ctx, accessibility.QueryAXTree, params)
	if err != nil {
		return nil, err
	}
	var nodes []axNode
	for _, n := range res.Nodes {
		role := axString(n.Role)
		if n.Ignored || n.BackendDOMNodeID == 0 || (len(roles) > 0 && !slices.Contains(roles, role)) {
			continue
		}
		nodes = append(nodes, axNode{role: role, name: axString(n.Name), id: n.BackendDOMNodeID})
	}
	return nodes, nil
}

// waitFor polls the page until cond holds or wait ends.
func (b *tab) waitFor(cond func(ctx context.Context) (bool, error)) error {
	return b.within(func(ctx context.Context) error {
		var last error
		for {
			ok, err := cond(ctx)
			if ok && err == nil {
				return nil
			}
			if err != nil {
				last = err
			}
			select {
			case <-ctx.Done():
				if last != nil {
					return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
				}
				return ctx.Err()
			case <-time.After(poll):
			}
		}
	})
}

// find waits until the page exposes exactly one element with one of the roles and the accessible name.
func (b *tab) find(name string, roles ...string) axNode {
	b.t.Helper()
	var found []axNode
	err := b.waitFor(func(ctx context.Context) (bool, error) {
		var err error
		found, err = b.query(ctx, name, roles...)
		return len(found) == 1, err
	})
	if err != nil {
		b.fatalf("no single %s named %q after %s (found %d: %v): %v", strings.Join(roles, " or "), name, wait, len(found), found, err)
	}
	return found[0]
}

// gone waits until the page exposes no element with one of the roles and the accessible name.
func (b *tab) gone(name string, roles ...string) {
	b.t.Helper()
	var found []axNode
	if err := b.waitFor(func(ctx context.Context) (bool, error) {
		var err error
		found, err = b.query(ctx, name, roles...)
		return len(found) == 0, err
	}); err != nil {
		b.fatalf("%v still shown after %s: %v", found, wait, err)
	}
}

// shows reports at once whether the page exposes an element with one of the roles and the accessible name.
func (b *tab) shows(name string, roles ...string) bool {
	b.t.Helper()
	var found []axNode
	if err := b.within(func(ctx context.Context) (err error) {
		found, err = b.query(ctx, name, roles...)
		return err
	}); err != nil {
		b.fatalf("read the accessibility tree: %v", err)
	}
	return len(found) > 0
}

// names lists the accessible names of the exposed elements with the role, in page order.
func (b *tab) names(role string) []string {
	b.t.Helper()
	var found []axNode
	if err := b.within(func(ctx context.Context) (err error) {
		found, err = b.query(ctx, "", role)
		return err
	}); err != nil {
		b.fatalf("read the accessibility tree: %v", err)
	}
	var names []string
	for _, n := range found {
		names = append(names, n.name)
	}
	return names
}

// click clicks the button or link with the accessible name, with the mouse, at its centre.
func (b *tab) click(name string) {
	b.t.Helper()
	n := b.find(name, "button", "link")
	if err := b.within(func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: n.id}); err != nil {
			return err
		}
		q, err := chromedp.Call(ctx, dom.GetContentQuads, dom.GetContentQuadsParams{BackendNodeID: n.id})
		if err != nil {
			return err
		}
		if len(q.Quads) == 0 || len(q.Quads[0]) != 8 {
			return errors.New("it has no box on the page")
		}
		var x, y float64
		for i := 0; i < 8; i += 2 {
			x, y = x+q.Quads[0][i]/4, y+q.Quads[0][i+1]/4
		}
		return chromedp.Do(ctx, chromedp.MouseClickXY(x, y))
	}); err != nil {
		b.fatalf("click %v: %v", n, err)
	}
}

// fill replaces the text of the field with the accessible name (its label), as typing over a selection does.
func (b *tab) fill(label, text string) {
	b.t.Helper()
	n := b.find(label, "textbox")
	if err := b.within(func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, dom.Focus, dom.FocusParams{BackendNodeID: n.id}); err != nil {
			return err
		}
		if _, err := b.callOn(ctx, n, `function() { this.select(); }`); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}); err != nil {
		b.fatalf("type into %v: %v", n, err)
	}
}

// value is the current text of the field with the accessible name.
func (b *tab) value(label string) string {
	b.t.Helper()
	n := b.find(label, "textbox")
	var v string
	if err := b.within(func(ctx context.Context) (err error) {
		v, err = b.callOn(ctx, n, `function() { return this.value; }`)
		return err
	}); err != nil {
		b.fatalf("read %v: %v", n, err)
	}
	return v
}

// callOn calls a JavaScript function with the element as this, and returns its result as a string.
func (b *tab) callOn(ctx context.Context, n axNode, fn string) (string, error) {
	const group = "authnotes-e2e"
	obj, err := chromedp.Call(ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: n.id, ObjectGroup: group})
	if err != nil {
		return "", err
	}
	defer chromedp.Call(ctx, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
	res, err := chromedp.Call(ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: fn, ObjectID: obj.Object.ObjectID, ReturnByValue: new(true),
	})
	if err != nil {
		return "", err
	}
	if res.ExceptionDetails != nil {
		return "", fmt.Errorf("%s: %s", fn, res.ExceptionDetails.Text)
	}
	var s string
	_ = json.Unmarshal(res.Result.Value, &s)
	return s, nil
}

// message waits until an element with the role ("alert" for errors, "status" for news) says text, and returns
// all it says.
func (b *tab) message(role, text string) string {
	b.t.Helper()
	var said []string
	var got string
	if err := b.waitFor(func(ctx context.Context) (bool, error) {
		nodes, err := b.query(ctx, "", role)
		if err != nil {
			return false, err
		}
		said = said[:0]
		for _, n := range nodes {
			s, err := b.callOn(ctx, n, `function() { return this.innerText; }`)
			if err != nil {
				return false, err
			}
			said = append(said, s)
			if strings.Contains(s, text) {
				got = s
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		b.fatalf("no %s saying %q after %s (the page's %ss say %q): %v", role, text, wait, role, said, err)
	}
	return got
}

// text waits until the page's visible text contains s.
func (b *tab) text(s string) {
	b.t.Helper()
	if err := b.waitFor(func(ctx context.Context) (bool, error) {
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		return strings.Contains(body, s), err
	}); err != nil {
		b.fatalf("the page does not show %q after %s: %v", s, wait, err)
	}
}

// describe lists what the page offers (headings, controls, fields, dialogs) and its visible text, for failures.
func (b *tab) describe() string {
	var lines []string
	_ = b.within(func(ctx context.Context) error {
		nodes, err := b.query(ctx, "", "heading", "button", "link", "textbox", "dialog", "alert", "status")
		if err != nil {
			lines = append(lines, "  (accessibility tree unreadable: "+err.Error()+")")
		}
		for _, n := range nodes {
			lines = append(lines, "  "+n.String())
		}
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil {
			lines = append(lines, "visible text:", "  "+strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n  "))
		}
		return nil
	})
	return strings.Join(lines, "\n")
}

// screenshot saves the page (the viewport's width, the page's height) as <name>.png in the -screenshots directory, or in the package's temporary one.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	if _, err := b.saveScreenshot(name); err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
}

func (b *tab) saveScreenshot(name string) (string, error) {
	dir := *screenshots
	if dir == "" {
		dir = filepath.Join(tmpDir, "screenshots")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoDir, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var png []byte
	if err := b.within(func(ctx context.Context) (err error) {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)) // the whole page, PNG
		return err
	}); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// evaluate runs JavaScript in the page and returns its result.
func evaluate[T any](b *tab, js string) T {
	b.t.Helper()
	var v T
	if err := b.within(func(ctx context.Context) (err error) {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](js))
		return err
	}); err != nil {
		b.fatalf("evaluate %s: %v", js, err)
	}
	return v
}
