package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The load and fault tests: eight users create notes at the same time through the whole twin, with throttling off,
// while nothing fails, while dynalite is killed, and while the whole twin process is killed. Whatever happens, a
// create that got a 2xx is a note that exists.

const loadUsers = 8

// signUpUsers signs up and signs in n new users named <prefix>-<i>-<nanos>@example.com; it returns their access
// tokens by e-mail.
func signUpUsers(e *env, prefix string, n int) map[string]string {
	e.t.Helper()
	stamp := time.Now().UnixNano()
	tokens := map[string]string{}
	for i := range n {
		email := fmt.Sprintf("%s-%d-%d@example.com", prefix, i, stamp)
		e.signUp(email)
		tokens[email] = aws.ToString(e.signIn(email).AccessToken)
	}
	return tokens
}

// outcome is the status each create got, by title; -1 for no answer (the connection failed).
type outcome struct {
	mu     sync.Mutex
	status map[string]map[string]int // user → title → status
}

func (o *outcome) record(user, title string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.status[user][title] = status
}

// titles lists the user's titles whose create got a status accepted by keep.
func (o *outcome) titles(user string, keep func(status int) bool) []string {
	var out []string
	for title, st := range o.status[user] {
		if keep(st) {
			out = append(out, title)
		}
	}
	slices.Sort(out)
	return out
}

// counts is how many creates got each status.
func (o *outcome) counts() map[int]int {
	c := map[int]int{}
	for _, titles := range o.status {
		for _, st := range titles {
			c[st]++
		}
	}
	return c
}

// createLoad has every user create n notes one after the other, all users at once, until stop is closed; done
// counts the answered creates.
func createLoad(e *env, tokens map[string]string, n int, done *atomic.Int64, stop <-chan struct{}) *outcome {
	httpc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: len(tokens)}}
	o := &outcome{status: map[string]map[string]int{}}
	for user := range tokens {
		o.status[user] = map[string]int{}
	}
	var wg sync.WaitGroup
	for user, token := range tokens {
		wg.Go(func() {
			for i := range n {
				select {
				case <-stop:
					return
				default:
				}
				title := user + " " + strconv.Itoa(i)
				req, _ := http.NewRequest(http.MethodPost, e.apiBase+"/notes", strings.NewReader(fmt.Sprintf(`{"title":%q,"content":"load"}`, title)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				status := -1
				if resp, err := httpc.Do(req); err == nil {
					resp.Body.Close()
					status = resp.StatusCode
				}
				o.record(user, title, status)
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return o
}

// checkNothingLost lists each user's notes: every create answered 201 is there, and so is every one answered 409
// (the SDK in the function retried a write that had landed before dynalite died, and the retry found it); nothing
// is listed twice or was never sent; every other answer is a server error or no answer, never a 2xx.
func checkNothingLost(t *testing.T, e *env, o *outcome, tokens map[string]string) {
	t.Helper()
	for user, token := range tokens {
		listed := e.listTitles(token, 100)
		slices.Sort(listed)
		if dup := slices.Compact(slices.Clone(listed)); len(dup) != len(listed) {
			t.Errorf("%s: %d notes listed, %d distinct; want no note twice", user, len(listed), len(dup))
		}
		for _, title := range o.titles(user, func(st int) bool { return st == http.StatusCreated || st == http.StatusConflict }) {
			if _, found := slices.BinarySearch(listed, title); !found {
				t.Errorf("%s: %q was created (201, or 409 after a retry) but is not listed", user, title)
			}
		}
		for _, title := range listed {
			if _, sent := o.status[user][title]; !sent {
				t.Errorf("%s: %q is listed but was never sent", user, title)
			}
		}
	}
	for st, n := range o.counts() {
		if st != http.StatusCreated && st != http.StatusConflict && st < 500 && st != -1 {
			t.Errorf("%d creates answered %d; want 201, 409 or a server error", n, st)
		}
	}
}

// TestEightUsersCreateFourThousandNotes: 8 users × 500 creates at once, throttling off: every one is a 201 and
// exactly the 4,000 notes are listed afterwards.
func TestEightUsersCreateFourThousandNotes(t *testing.T) {
	e := newEnv(t, startUnthrottled(t))
	tokens := signUpUsers(e, "load", loadUsers)
	const perUser = 500
	var done atomic.Int64
	start := time.Now()
	o := createLoad(e, tokens, perUser, &done, nil)
	t.Logf("%d creates in %.1fs: %v (status: count)", done.Load(), time.Since(start).Seconds(), o.counts())
	if c := o.counts(); c[http.StatusCreated] != loadUsers*perUser {
		t.Errorf("answers %v; want %d × 201 and nothing else", c, loadUsers*perUser)
	}
	total := 0
	for user, token := range tokens {
		listed := e.listTitles(token, 100)
		total += len(listed)
		slices.Sort(listed)
		if want := o.titles(user, func(int) bool { return true }); !slices.Equal(listed, want) {
			t.Errorf("%s lists %d notes; want exactly the %d created", user, len(listed), len(want))
		}
	}
	if total != loadUsers*perUser {
		t.Errorf("%d notes listed; want %d", total, loadUsers*perUser)
	}
}

// TestLoadSurvivesAKilledDynalite kills dynalite with SIGKILL under load: the twin says so and restarts it on the
// same data, the requests during the outage fail with server errors, and no create answered 2xx is lost.
func TestLoadSurvivesAKilledDynalite(t *testing.T) {
	tw := startUnthrottled(t)
	e := newEnv(t, tw)
	tokens := signUpUsers(e, "dynalite-kill", loadUsers)
	var done atomic.Int64
	result := make(chan *outcome)
	go func() { result <- createLoad(e, tokens, 250, &done, nil) }()
	waitFor(t, "400 creates before the kill", func() bool { return done.Load() >= 400 })

	pid := dynalitePID(t, unthrottledState())
	logged := len(twinLog.String())
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the twin to report dynalite's death", func() bool {
		return strings.Contains(twinLog.String()[logged:], "twin: dynalite failed: signal: killed; restarting it")
	})
	t.Logf("the twin reported the kill after %s", time.Since(killed).Round(time.Millisecond))
	o := <-result
	waitFor(t, "dynalite to be restarted", func() bool { return strings.Contains(twinLog.String()[logged:], "twin: dynalite restarted") })
	t.Logf("answers around the kill (status: count): %v", o.counts())
	if err := tw.Err(); err != nil {
		t.Fatalf("the twin stopped after one kill: %v", err)
	}
	if pid == dynalitePID(t, unthrottledState()) {
		t.Error("dynalite runs with the killed pid; want a new process")
	}
	checkNothingLost(t, e, o, tokens)
}

// TestTwinKilledDuringLoad kills the twin's process (cmd/twin) with SIGKILL while users create notes and sign up,
// then starts it again on the same state: every create answered 2xx is listed, and every user whose sign-up was
// confirmed before the kill signs in.
func TestTwinKilledDuringLoad(t *testing.T) {
	bin := twinCommand(t)
	p := runTwinCommand(t, bin, commandState(), "--no-throttle")
	e := p.env
	tokens := signUpUsers(e, "twin-kill", loadUsers)
	confirmed := slices.Collect(maps.Keys(tokens))

	// Sign-ups go on beside the creates; those confirmed before the kill must survive it.
	stop := make(chan struct{})
	var mu sync.Mutex
	signUps := make(chan struct{})
	go func() {
		defer close(signUps)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			email := fmt.Sprintf("during-load-%d-%d@example.com", i, time.Now().UnixNano())
			if e.trySignUp(email) == nil {
				mu.Lock()
				confirmed = append(confirmed, email)
				mu.Unlock()
			}
		}
	}()
	var done atomic.Int64
	result := make(chan *outcome)
	go func() { result <- createLoad(e, tokens, 500, &done, stop) }()
	waitFor(t, "800 creates before the kill", func() bool { return done.Load() >= 800 })
	close(stop) // each goroutine is in the middle of a request, which the kill cuts off; none starts another
	p.kill(t)
	o := <-result
	<-signUps
	t.Logf("answers (status: count; -1 cut off by the kill): %v; %d users confirmed", o.counts(), len(confirmed))

	p = runTwinCommand(t, bin, commandState(), "--no-throttle")
	e = p.env
	for _, user := range confirmed {
		token := aws.ToString(e.signIn(user).AccessToken)
		if _, creator := tokens[user]; creator {
			tokens[user] = token // the old one names the old Cognito port
		}
	}
	checkNothingLost(t, e, o, tokens)
}

// unthrottledState is the state directory of startUnthrottled's twin.
func unthrottledState() string { return filepath.Join(filepath.Dir(stateDir), "unthrottled") }

// dynalitePID finds the dynalite process serving the state directory.
func dynalitePID(t *testing.T, state string) int {
	t.Helper()
	for _, p := range processesUsing(t, state) {
		if strings.Contains(p, "dynalite/cli.js") {
			pid, err := strconv.Atoi(strings.Fields(p)[0])
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
	t.Fatalf("no dynalite process for %s", state)
	return 0
}
