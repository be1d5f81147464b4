// Package docs holds authnotes' documentation pages (Markdown) and the tests that keep them honest: every relative
// link and anchor in README.md and docs/ must resolve, and every page must be reachable from the README.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// pages returns README.md and every Markdown page under docs/, as paths relative to the repository root.
func pages(t *testing.T) []string {
	t.Helper()
	found := []string{"README.md"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			found = append(found, filepath.ToSlash(filepath.Join("docs", path)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found[1:])
	return found
}

func read(t *testing.T, page string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", page))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	// A Markdown link or image: [text](target) or ![alt](target "title"). Link text may hold `code` and brackets
	// one level deep, which is all these pages use.
	linkRE   = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	htmlIDRE = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	// A link inside a heading keeps only its text in the anchor.
	headingLinkRE = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// proseLines yields the lines outside fenced code blocks, so a `# comment` in a shell block is not a heading and a
// `[x](y)` in Go code is not a link.
func proseLines(text string) []string {
	var out []string
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			fence = trimmed[:3]
			continue
		}
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		out = append(out, line)
	}
	return out
}

// slug is GitHub's anchor for a heading: lower case, inline code and emphasis markers dropped, every character
// that is not a letter, digit, space, hyphen or underscore removed, spaces turned into hyphens.
func slug(heading string) string {
	heading = headingLinkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns every anchor a page defines: its headings' slugs (a repeated heading gets -1, -2, … as on GitHub)
// and explicit <a id="…"> targets.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(text) {
		if m := headingRE.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if n := seen[s]; n > 0 {
				out[s+"-"+strconv.Itoa(n)] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
		for _, m := range htmlIDRE.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
	}
	return out
}

type link struct{ page, target string }

// links returns the relative links of a page (external ones, mailto: and bare URLs are not checked).
func links(page, text string) []link {
	var out []link
	for _, line := range proseLines(text) {
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			out = append(out, link{page, target})
		}
	}
	return out
}

// resolve checks one link and returns what is wrong with it, or "".
func resolve(t *testing.T, l link) string {
	path, anchor, _ := strings.Cut(l.target, "#")
	targetPage := l.page
	if path != "" {
		targetPage = filepath.ToSlash(filepath.Join(filepath.Dir(l.page), path))
		if strings.HasPrefix(targetPage, "../") {
			return "points outside the repository"
		}
		info, err := os.Stat(filepath.Join("..", targetPage))
		if err != nil {
			return "no such file " + targetPage
		}
		if info.IsDir() || !strings.HasSuffix(targetPage, ".md") {
			if anchor != "" {
				return "an anchor on something that is not a Markdown page"
			}
			return ""
		}
	}
	if anchor == "" {
		return ""
	}
	if !anchors(read(t, targetPage))[anchor] {
		return "no heading with the anchor #" + anchor + " in " + targetPage
	}
	return ""
}

// TestLinksResolve fails on a relative link to a missing file or a missing anchor, in README.md and docs/.
func TestLinksResolve(t *testing.T) {
	checked := 0
	for _, page := range pages(t) {
		for _, l := range links(page, read(t, page)) {
			checked++
			if problem := resolve(t, l); problem != "" {
				t.Errorf("%s: link (%s): %s", l.page, l.target, problem)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d relative links found: the link pattern no longer matches the pages", checked)
	}
}

// TestEveryPageIsReachableFromTheReadme follows relative links from README.md and fails on a docs/ page that
// nothing leads to.
func TestEveryPageIsReachableFromTheReadme(t *testing.T) {
	reached := map[string]bool{"README.md": true}
	queue := []string{"README.md"}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		for _, l := range links(page, read(t, page)) {
			path, _, _ := strings.Cut(l.target, "#")
			if path == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			next := filepath.ToSlash(filepath.Join(filepath.Dir(page), path))
			if !reached[next] {
				reached[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, page := range pages(t) {
		if !reached[page] {
			t.Errorf("%s is not reachable by links from README.md", page)
		}
	}
}

// TestCheckerFindsBrokenLinks proves the checker itself: a missing file, a missing anchor and a missing anchor on
// another page are reported, a good link and an external one are not.
func TestCheckerFindsBrokenLinks(t *testing.T) {
	page := "docs/api.md"
	text := "# The API\n\n## Statuses and error codes\n\n```sh\n# not a heading [x](nope.md)\n```\n" +
		"[ok](#statuses-and-error-codes) [ext](https://example.com/x.md) [bad](#nope) [file](nope.md) " +
		"[other](local.md#no-such-heading) [`code` in text](README.md)\n"
	var problems []string
	for _, l := range links(page, text) {
		if l.target == "#statuses-and-error-codes" {
			if !anchors(text)["statuses-and-error-codes"] {
				t.Error("a heading's anchor was not found")
			}
			continue
		}
		if p := resolve(t, l); p != "" {
			problems = append(problems, l.target)
		}
	}
	want := []string{"#nope", "nope.md", "local.md#no-such-heading"}
	if strings.Join(problems, " ") != strings.Join(want, " ") {
		t.Errorf("broken links found %q, want %q", problems, want)
	}
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"The local twin (`make local`)":                   "the-local-twin-make-local",
		"`POST /notes` — create a note":                   "post-notes--create-a-note",
		"The web app construct: `NotesWebApp`":            "the-web-app-construct-noteswebapp",
		"Running offline: the local twin":                 "running-offline-the-local-twin",
		"`GET /notes?limit=N&cursor=C` — list your notes": "get-noteslimitncursorc--list-your-notes",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}
