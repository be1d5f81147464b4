package twin

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authnotes/authnotes/local/cfn"
)

// Watch mode: the twin watches the module's sources (fsnotify: inotify on Linux) and reloads what a change
// affects. A burst of events (an editor saving several files, git checkout) is one reload: the debouncer waits
// until the files have been quiet for debounceQuiet, and never longer than debounceMax after the first event.
//
//   - A change that may alter what a function runs (any file but those ignored) rebuilds for the host the
//     functions whose dependency fingerprint (constructs/notesapi/gobuild) changed, starts them, switches new
//     invocations to them and stops the old processes once their invocations are done (reloadCode).
//   - A change to the infrastructure (app.go, cdk.json, stacks/, constructs/, go.mod, go.sum) synthesizes the
//     stage in the background and applies the new template without a restart (reloadStack).
const (
	debounceQuiet = 100 * time.Millisecond
	debounceMax   = time.Second
)

// changeKind says what a changed file may affect; a bit set.
type changeKind int

const (
	changeCode  changeKind = 1 << iota // what a function runs: the fingerprints decide which
	changeStack                        // the synthesized stack
)

// classify says what a change of the file at rel (slash-separated, relative to the repository) may affect; 0 for
// a file the twin ignores. ignoredDir is checked for every directory on the way.
func classify(rel string) changeKind {
	rel = filepath.ToSlash(rel)
	parts := strings.Split(rel, "/")
	for i, p := range parts[:len(parts)-1] {
		if ignoredDir(strings.Join(parts[:i+1], "/"), p) {
			return 0
		}
	}
	name := parts[len(parts)-1]
	if editorTemp(name) || strings.HasSuffix(name, "_test.go") {
		return 0
	}
	switch {
	case rel == "go.mod" || rel == "go.sum":
		return changeCode | changeStack
	case rel == "app.go" || rel == "cdk.json" || strings.HasPrefix(rel, "stacks/") || strings.HasPrefix(rel, "constructs/"):
		return changeStack
	}
	return changeCode
}

// ignoredDir reports whether the directory at rel (named name) is outside what the twin watches: version control
// and editor folders, the twin's state, cloud assemblies, npm packages, the web app (built on its own, `make web`)
// and build output.
func ignoredDir(rel, name string) bool {
	switch {
	case strings.HasPrefix(name, "."), name == "node_modules":
		return true
	case rel == "web", rel == "bin", rel == "cdk.out", strings.HasPrefix(rel, "cdk.") && strings.HasSuffix(rel, ".out"):
		return true
	}
	return false
}

// editorTemp reports whether a file name is one editors write while saving: backups (x~), Vim swap files and its
// write test (4913), Emacs lock and autosave files, JetBrains' safe-write copies, hidden files.
func editorTemp(name string) bool {
	ext := filepath.Ext(name)
	return strings.HasSuffix(name, "~") || strings.HasPrefix(name, ".") || name == "4913" ||
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#") ||
		ext == ".swp" || ext == ".swo" || ext == ".swx" || ext == ".tmp" || ext == ".crswap" ||
		strings.Contains(name, "___jb_")
}

// debouncer coalesces file events into one batch. It only keeps time; the watch loop drives it.
type debouncer struct {
	quiet, max  time.Duration
	files       map[string]changeKind
	born        map[string]bool // created within the batch
	first, last time.Time
}

// add records a change at now; created says the file was created by it.
func (d *debouncer) add(rel string, kind changeKind, created bool, now time.Time) {
	if len(d.files) == 0 {
		d.files, d.born = map[string]changeKind{}, map[string]bool{}
		d.first = now
	}
	d.files[rel] |= kind
	if created {
		d.born[rel] = true
	}
	d.last = now
}

// due is when the batch is ready: quiet after the last change, at most max after the first; ok is false with
// nothing pending.
func (d *debouncer) due() (at time.Time, ok bool) {
	if len(d.files) == 0 {
		return time.Time{}, false
	}
	at = d.last.Add(d.quiet)
	if limit := d.first.Add(d.max); limit.Before(at) {
		at = limit
	}
	return at, true
}

// take returns the batch if it is due at now, and starts a new one. A file created within the batch that exists
// no more is left out: it was an editor's or a tool's temporary file (sed -i, a safe write), renamed or removed.
func (d *debouncer) take(now time.Time, exists func(rel string) bool) (changeBatch, bool) {
	at, ok := d.due()
	if !ok || now.Before(at) {
		return changeBatch{}, false
	}
	b := changeBatch{first: d.first}
	for f, k := range d.files {
		if d.born[f] && !exists(f) {
			continue
		}
		b.files = append(b.files, f)
		b.kind |= k
	}
	sort.Strings(b.files)
	d.files, d.born = nil, nil
	return b, len(b.files) > 0
}

// watcher is the running watch: fsnotify on every directory of the repository that is not ignored.
type watcher struct {
	fs     *fsnotify.Watcher
	repo   string
	skip   map[string]bool // absolute directories never watched: the state and the assembly
	cancel context.CancelFunc
	done   chan struct{}
}

// startWatching watches the repository and reloads on changes until Close.
func (t *Twin) startWatching() error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch the sources: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{fs: fw, repo: t.opts.RepoDir, cancel: cancel, done: make(chan struct{}),
		skip: map[string]bool{filepath.Clean(t.opts.StateDir): true, filepath.Clean(t.opts.AssemblyDir): true}}
	n, err := w.addTree(t.opts.RepoDir)
	if err != nil {
		_ = fw.Close()
		cancel()
		return fmt.Errorf("watch the sources: %w (on Linux, raise fs.inotify.max_user_watches, or run with --watch=false)", err)
	}
	t.watch = w
	go t.watchLoop(ctx, w)
	fmt.Fprintf(t.opts.Log, "twin: watching %d folders of %s: a changed handler is rebuilt and swapped in, a changed stack is synthesized and applied (--watch=false turns this off)\n", n, t.opts.RepoDir)
	return nil
}

// addTree watches dir and the folders below it that are not ignored; it returns how many it added.
func (w *watcher) addTree(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed meanwhile
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if w.ignored(path) {
			return filepath.SkipDir
		}
		if err := w.fs.Add(path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		n++
		return nil
	})
	return n, err
}

// ignored reports whether a directory is not watched.
func (w *watcher) ignored(dir string) bool {
	if w.skip[filepath.Clean(dir)] {
		return true
	}
	rel, err := filepath.Rel(w.repo, dir)
	if err != nil || rel == "." {
		return false
	}
	return ignoredDir(filepath.ToSlash(rel), filepath.Base(dir))
}

func (w *watcher) close() {
	w.cancel()
	<-w.done
	_ = w.fs.Close()
}

// synthResult is a background synth's outcome.
type synthResult struct {
	batch changeBatch
	stack *cfn.Stack
	took  time.Duration
	err   error
}

// watchLoop turns file events into reloads, one at a time; a synth runs in the background while code reloads go
// on, and changes during a synth start one more synth after it.
func (t *Twin) watchLoop(ctx context.Context, w *watcher) {
	defer close(w.done)
	d := debouncer{quiet: debounceQuiet, max: debounceMax}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	exists := func(rel string) bool {
		_, err := os.Lstat(filepath.Join(w.repo, filepath.FromSlash(rel)))
		return err == nil
	}
	synthDone := make(chan synthResult, 1)
	synthing := false
	var pending *changeBatch // infrastructure changes that came during a synth
	startSynth := func(b changeBatch) {
		synthing = true
		go func() { synthDone <- t.synthStage(ctx, b) }()
	}
	for {
		select {
		case <-ctx.Done():
			if synthing {
				<-synthDone
			}
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if info, err := os.Stat(ev.Name); err == nil && info.IsDir() && !w.ignored(ev.Name) {
					if _, err := w.addTree(ev.Name); err != nil {
						fmt.Fprintf(t.opts.Log, "twin: watch %s: %v\n", ev.Name, err)
					}
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			rel, err := filepath.Rel(w.repo, ev.Name)
			if err != nil {
				continue
			}
			kind := classify(rel)
			if kind == 0 {
				continue
			}
			d.add(filepath.ToSlash(rel), kind, ev.Has(fsnotify.Create), time.Now())
			at, _ := d.due()
			timer.Reset(time.Until(at))
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			fmt.Fprintf(t.opts.Log, "twin: watch: %v\n", err)
		case <-timer.C:
			b, ok := d.take(time.Now(), exists)
			if !ok {
				if at, ok := d.due(); ok {
					timer.Reset(time.Until(at))
				}
				continue
			}
			if b.kind&changeCode != 0 {
				t.reloadCode(ctx, b)
			}
			if b.kind&changeStack != 0 {
				switch {
				case !synthing:
					startSynth(b)
				case pending == nil:
					pending = &b
				default:
					pending.files = append(pending.files, b.files...)
				}
			}
		case res := <-synthDone:
			synthing = false
			if res.err != nil {
				t.reloadFailed(res.batch, res.err, "still serving the running stage")
			} else {
				t.reloadStack(ctx, res.batch, res.stack, res.took)
			}
			if pending != nil {
				startSynth(*pending)
				pending = nil
			}
		}
	}
}

// withoutBanners drops the boxes of "!!" lines the CDK CLI prints about Node.js versions: the error is below them.
func withoutBanners(out string) string {
	lines := strings.Split(out, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "!!") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// synthStage synthesizes the stage into the assembly directory, as a start of the twin would, and reads it.
func (t *Twin) synthStage(ctx context.Context, b changeBatch) synthResult {
	began := time.Now()
	name := "NotesApi-" + t.opts.Stage
	res := synthResult{batch: b}
	if err := synth(ctx, t.opts.RepoDir, t.opts.AssemblyDir, name, io.Discard); err != nil {
		res.err = fmt.Errorf("synth failed: %s", withoutBanners(err.Error()))
		return res
	}
	res.took = time.Since(began)
	asm, err := cfn.LoadAssembly(t.opts.AssemblyDir)
	if err == nil {
		res.stack, err = asm.Stack(name)
	}
	res.err = err
	return res
}
