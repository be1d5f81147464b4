package notestest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Users of the suite: two subs shaped like Cognito's.
const (
	Alice = "8c5b1f0e-1111-4a8e-9d3b-a11ce0000001"
	Bob   = "8c5b1f0e-2222-4a8e-9d3b-b0b000000002"
)

// Clock is a deterministic clock that advances one millisecond per reading.
type Clock struct{ ms atomic.Int64 }

// Now implements the service clock.
func (c *Clock) Now() time.Time {
	return time.UnixMilli(1_767_225_600_000 + c.ms.Add(1)).UTC() // from 2026-01-01
}

// RunStoreSuite runs the behaviours every notes.Store must have, through the
// notes.Service as the handlers use it. newStore returns an empty store
// (a fresh table) for each subtest.
func RunStoreSuite(t *testing.T, newStore func(t *testing.T) notes.Store) {
	t.Helper()
	setup := func(t *testing.T) (notes.Store, *notes.Service) {
		st := newStore(t)
		return st, notes.NewService(st, notes.WithClock(new(Clock).Now))
	}
	ctx := context.Background()

	t.Run("create then get returns the same note", func(t *testing.T) {
		_, svc := setup(t)
		created, err := svc.Create(ctx, Alice, notes.Input{Title: "Groceries", Content: "milk, eggs — ünïcode ✓"})
		if err != nil {
			t.Fatalf("Create() error = %v", err)
		}
		if created.Version != 1 || !created.CreatedAt.Equal(created.UpdatedAt) || created.ID == "" {
			t.Errorf("Create() = %+v; want version 1, createdAt = updatedAt, an ID", created)
		}
		got, err := svc.Get(ctx, Alice, created.ID)
		if err != nil {
			t.Fatalf("Get() error = %v", err)
		}
		if diff := cmp.Diff(created, got); diff != "" {
			t.Errorf("Get() mismatch (-created +got):\n%s", diff)
		}
	})

	t.Run("largest content round-trips", func(t *testing.T) {
		_, svc := setup(t)
		big := strings.Repeat("é", notes.MaxContentBytes/2)
		created, err := svc.Create(ctx, Alice, notes.Input{Title: strings.Repeat("t", notes.MaxTitleChars), Content: big})
		if err != nil {
			t.Fatalf("Create() error = %v", err)
		}
		got, err := svc.Get(ctx, Alice, created.ID)
		if err != nil || got.Content != big {
			t.Errorf("Get() = %d bytes, %v; want %d bytes", len(got.Content), err, len(big))
		}
	})

	t.Run("create refuses an existing ID", func(t *testing.T) {
		st, svc := setup(t)
		created, err := svc.Create(ctx, Alice, notes.Input{Content: "first"})
		if err != nil {
			t.Fatalf("Create() error = %v", err)
		}
		dup := created
		dup.Content = "overwritten?"
		if err := st.Create(ctx, Alice, dup); !errors.Is(err, notes.ErrAlreadyExists) {
			t.Errorf("store.Create(existing ID) error = %v; want ErrAlreadyExists", err)
		}
		if got, _ := svc.Get(ctx, Alice, created.ID); got.Content != "first" {
			t.Errorf("after refused create, content = %q; want %q", got.Content, "first")
		}
	})

	t.Run("get of a missing note is not found", func(t *testing.T) {
		_, svc := setup(t)
		if _, err := svc.Get(ctx, Alice, "01JAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, notes.ErrNotFound) {
			t.Errorf("Get(missing) error = %v; want ErrNotFound", err)
		}
	})

	t.Run("list pages newest first across pages", func(t *testing.T) {
		for _, tc := range []struct{ count, limit int }{{0, 3}, {1, 3}, {6, 3}, {7, 3}, {5, 1}, {3, 100}} {
			t.Run(fmt.Sprintf("%d notes by %d", tc.count, tc.limit), func(t *testing.T) {
				_, svc := setup(t)
				var want []string
				for i := range tc.count {
					n, err := svc.Create(ctx, Alice, notes.Input{Content: fmt.Sprintf("note %d", i)})
					if err != nil {
						t.Fatalf("Create() error = %v", err)
					}
					want = append([]string{n.ID}, want...) // newest first
				}
				got, pages := listAll(t, svc, Alice, tc.limit)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("listed IDs mismatch (-want +got):\n%s", diff)
				}
				wantPages := max(1, (tc.count+tc.limit-1)/tc.limit)
				if pages != wantPages {
					t.Errorf("pages = %d; want %d (no nextCursor on the last page)", pages, wantPages)
				}
			})
		}
	})

	t.Run("list fills a page larger than one DynamoDB response", func(t *testing.T) {
		_, svc := setup(t)
		big := strings.Repeat("x", notes.MaxContentBytes)
		const count = 20 // 20 × 64 KiB > the 1 MB a single Query returns
		for range count {
			if _, err := svc.Create(ctx, Alice, notes.Input{Content: big}); err != nil {
				t.Fatalf("Create() error = %v", err)
			}
		}
		page, err := svc.List(ctx, Alice, count, "")
		if err != nil {
			t.Fatalf("List() error = %v", err)
		}
		if len(page.Items) != count || page.NextCursor != "" {
			t.Errorf("List(limit %d) = %d items, cursor %q; want %d items and no cursor", count, len(page.Items), page.NextCursor, count)
		}
	})

	t.Run("update replaces fields and increments the version", func(t *testing.T) {
		_, svc := setup(t)
		n := mustCreate(t, svc, Alice, notes.Input{Title: "old", Content: "old"})
		tests := []struct {
			name    string
			in      notes.Input
			pre     notes.Precondition
			wantErr error
			want    int64 // version after the call
		}{
			{"without If-Match", notes.Input{Title: "a", Content: "a"}, notes.Precondition{}, nil, 2},
			{"with the current version", notes.Input{Content: "b"}, notes.Precondition{Version: 2}, nil, 3},
			{"with a stale version", notes.Input{Title: "lost", Content: "lost"}, notes.Precondition{Version: 2}, notes.ErrConflict, 3},
			{"with a future version", notes.Input{Content: "lost"}, notes.Precondition{Version: 9}, notes.ErrConflict, 3},
		}
		last := notes.Input{Title: "old", Content: "old"}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := svc.Update(ctx, Alice, n.ID, tc.in, tc.pre)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Update() error = %v; want %v", err, tc.wantErr)
				}
				if err == nil {
					last = tc.in
					if got.Version != tc.want || got.Title != tc.in.Title || got.Content != tc.in.Content || !got.CreatedAt.Equal(n.CreatedAt) || !got.UpdatedAt.After(n.UpdatedAt) {
						t.Errorf("Update() = %+v; want version %d with the new fields", got, tc.want)
					}
				}
				stored, _ := svc.Get(ctx, Alice, n.ID)
				if stored.Version != tc.want || stored.Title != last.Title || stored.Content != last.Content {
					t.Errorf("stored = %+v; want version %d, %+v (nothing written on a conflict)", stored, tc.want, last)
				}
			})
		}
	})

	t.Run("update never creates", func(t *testing.T) {
		_, svc := setup(t)
		const id = "01JAAAAAAAAAAAAAAAAAAAAAAA"
		for _, pre := range []notes.Precondition{{}, {Version: 1}} {
			if _, err := svc.Update(ctx, Alice, id, notes.Input{Content: "x"}, pre); !errors.Is(err, notes.ErrNotFound) {
				t.Errorf("Update(missing, %+v) error = %v; want ErrNotFound", pre, err)
			}
		}
		if _, err := svc.Get(ctx, Alice, id); !errors.Is(err, notes.ErrNotFound) {
			t.Errorf("Get() after update of a missing note: error = %v; want ErrNotFound (no upsert)", err)
		}
	})

	t.Run("delete honours the version and removes the note", func(t *testing.T) {
		_, svc := setup(t)
		a := mustCreate(t, svc, Alice, notes.Input{Content: "a"})
		b := mustCreate(t, svc, Alice, notes.Input{Content: "b"})
		if err := svc.Delete(ctx, Alice, a.ID, notes.Precondition{Version: 2}); !errors.Is(err, notes.ErrConflict) {
			t.Fatalf("Delete(stale version) error = %v; want ErrConflict", err)
		}
		if _, err := svc.Get(ctx, Alice, a.ID); err != nil {
			t.Fatalf("Get() after refused delete: %v; want the note kept", err)
		}
		if err := svc.Delete(ctx, Alice, a.ID, notes.Precondition{Version: 1}); err != nil {
			t.Fatalf("Delete(current version) error = %v", err)
		}
		if err := svc.Delete(ctx, Alice, b.ID, notes.Precondition{}); err != nil {
			t.Fatalf("Delete(no precondition) error = %v", err)
		}
		for _, id := range []string{a.ID, b.ID} {
			if _, err := svc.Get(ctx, Alice, id); !errors.Is(err, notes.ErrNotFound) {
				t.Errorf("Get(deleted) error = %v; want ErrNotFound", err)
			}
			if err := svc.Delete(ctx, Alice, id, notes.Precondition{}); !errors.Is(err, notes.ErrNotFound) {
				t.Errorf("Delete(deleted) error = %v; want ErrNotFound", err)
			}
		}
	})

	t.Run("another user can neither see nor change a note", func(t *testing.T) {
		_, svc := setup(t)
		n := mustCreate(t, svc, Alice, notes.Input{Title: "private", Content: "alice only"})
		mustCreate(t, svc, Alice, notes.Input{Content: "second"})
		mustCreate(t, svc, Alice, notes.Input{Content: "third"})

		if _, err := svc.Get(ctx, Bob, n.ID); !errors.Is(err, notes.ErrNotFound) {
			t.Errorf("Get as Bob error = %v; want ErrNotFound", err)
		}
		for _, pre := range []notes.Precondition{{}, {Version: 1}} {
			if _, err := svc.Update(ctx, Bob, n.ID, notes.Input{Content: "bob was here"}, pre); !errors.Is(err, notes.ErrNotFound) {
				t.Errorf("Update as Bob (%+v) error = %v; want ErrNotFound", pre, err)
			}
			if err := svc.Delete(ctx, Bob, n.ID, pre); !errors.Is(err, notes.ErrNotFound) {
				t.Errorf("Delete as Bob (%+v) error = %v; want ErrNotFound", pre, err)
			}
		}
		page, err := svc.List(ctx, Bob, notes.MaxLimit, "")
		if err != nil || len(page.Items) != 0 || page.NextCursor != "" {
			t.Errorf("List as Bob = %+v, %v; want an empty page", page, err)
		}
		alicePage, err := svc.List(ctx, Alice, 1, "")
		if err != nil || alicePage.NextCursor == "" {
			t.Fatalf("List as Alice = %+v, %v; want a next cursor", alicePage, err)
		}
		if _, err := svc.List(ctx, Bob, 1, alicePage.NextCursor); !errors.Is(err, notes.ErrInvalid) {
			t.Errorf("List as Bob with Alice's cursor error = %v; want ErrInvalid", err)
		}
		got, err := svc.Get(ctx, Alice, n.ID)
		if err != nil {
			t.Fatalf("Get as Alice error = %v", err)
		}
		if diff := cmp.Diff(n, got); diff != "" {
			t.Errorf("Alice's note changed (-before +after):\n%s", diff)
		}
		// Bob's own notes live beside Alice's without mixing.
		bobs := mustCreate(t, svc, Bob, notes.Input{Content: "bob's"})
		page, _ = svc.List(ctx, Bob, notes.MaxLimit, "")
		if len(page.Items) != 1 || page.Items[0].ID != bobs.ID {
			t.Errorf("List as Bob = %+v; want only Bob's note", page.Items)
		}
	})

	t.Run("tampered cursors are refused", func(t *testing.T) {
		_, svc := setup(t)
		for range 3 {
			mustCreate(t, svc, Alice, notes.Input{Content: "n"})
		}
		page, err := svc.List(ctx, Alice, 1, "")
		if err != nil || page.NextCursor == "" {
			t.Fatalf("List() = %+v, %v; want a next cursor", page, err)
		}
		c := page.NextCursor
		flip := func(i int) string {
			b := []byte(c)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}
		for _, bad := range []string{flip(0), flip(len(c) / 2), flip(len(c) - 1), c[:len(c)-1], c + "A", "not a cursor!", "%00"} {
			if _, err := svc.List(ctx, Alice, 1, bad); !errors.Is(err, notes.ErrInvalid) {
				t.Errorf("List(cursor %q) error = %v; want ErrInvalid", bad, err)
			}
		}
	})

	t.Run("concurrent updates without If-Match each increment the version", func(t *testing.T) {
		_, svc := setup(t)
		n := mustCreate(t, svc, Alice, notes.Input{Content: "counter"})
		const writers = 8
		versions := make(chan int64, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				got, err := svc.Update(ctx, Alice, n.ID, notes.Input{Content: fmt.Sprintf("writer %d", w)}, notes.Precondition{})
				if err != nil {
					t.Errorf("writer %d: Update() error = %v", w, err)
					return
				}
				versions <- got.Version
			})
		}
		wg.Wait()
		close(versions)
		// A read-modify-write of the version would hand two writers the same number.
		seen := map[int64]bool{}
		for v := range versions {
			if seen[v] {
				t.Errorf("two writers were both given version %d", v)
			}
			seen[v] = true
		}
		if got, _ := svc.Get(ctx, Alice, n.ID); got.Version != writers+1 {
			t.Errorf("version after %d writers = %d; want %d (no lost increment)", writers, got.Version, writers+1)
		}
	})

	t.Run("notes created in the same millisecond list newest first", func(t *testing.T) {
		st := newStore(t)
		frozen := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		svc := notes.NewService(st, notes.WithClock(func() time.Time { return frozen }))
		var want []string
		for i := range 7 {
			n := mustCreate(t, svc, Alice, notes.Input{Content: fmt.Sprintf("note %d", i)})
			want = append([]string{n.ID}, want...)
		}
		got, _ := listAll(t, svc, Alice, 2)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed IDs mismatch, want newest first (-want +got):\n%s", diff)
		}
	})

	t.Run("timestamps come back in UTC", func(t *testing.T) {
		_, svc := setup(t)
		n := mustCreate(t, svc, Alice, notes.Input{Content: "x"})
		updated, err := svc.Update(ctx, Alice, n.ID, notes.Input{Content: "y"}, notes.Precondition{})
		if err != nil {
			t.Fatalf("Update() error = %v", err)
		}
		got, _ := svc.Get(ctx, Alice, n.ID)
		page, _ := svc.List(ctx, Alice, 1, "")
		for name, n := range map[string]notes.Note{"Update": updated, "Get": got, "List": page.Items[0]} {
			if n.CreatedAt.Location() != time.UTC || n.UpdatedAt.Location() != time.UTC {
				t.Errorf("%s() times %v, %v; want UTC (RFC 3339 with Z)", name, n.CreatedAt, n.UpdatedAt)
			}
		}
	})

	t.Run("concurrent updates with If-Match lose no write", func(t *testing.T) {
		_, svc := setup(t)
		n := mustCreate(t, svc, Alice, notes.Input{Content: "counter"})
		const writers = 6
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for {
					cur, err := svc.Get(ctx, Alice, n.ID)
					if err != nil {
						errs <- err
						return
					}
					in := notes.Input{Content: fmt.Sprintf("writer %d saw version %d", w, cur.Version)}
					_, err = svc.Update(ctx, Alice, n.ID, in, notes.Precondition{Version: cur.Version})
					if errors.Is(err, notes.ErrConflict) {
						continue // someone else won this round: re-read and retry
					}
					errs <- err
					return
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("writer error = %v", err)
			}
		}
		got, _ := svc.Get(ctx, Alice, n.ID)
		if got.Version != writers+1 {
			t.Errorf("version after %d writers = %d; want %d", writers, got.Version, writers+1)
		}
	})
}

func mustCreate(t *testing.T, svc *notes.Service, owner string, in notes.Input) notes.Note {
	t.Helper()
	n, err := svc.Create(context.Background(), owner, in)
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	return n
}

// listAll follows nextCursor to the end and returns the IDs and the page count.
func listAll(t *testing.T, svc *notes.Service, owner string, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	cursor, pages := "", 0
	for {
		page, err := svc.List(context.Background(), owner, limit, cursor)
		if err != nil {
			t.Fatalf("List(cursor %q) error = %v", cursor, err)
		}
		pages++
		if len(page.Items) > limit {
			t.Fatalf("List(limit %d) returned %d items", limit, len(page.Items))
		}
		for _, n := range page.Items {
			ids = append(ids, n.ID)
		}
		if page.NextCursor == "" {
			return ids, pages
		}
		if pages > 1000 {
			t.Fatal("List() never ends")
		}
		cursor = page.NextCursor
	}
}
