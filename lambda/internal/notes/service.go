package notes

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// Service is the notes use cases. Every method takes the owner (the JWT sub
// the adapter extracted) and never trusts anything else to identify the user.
type Service struct {
	store Store
	now   func() time.Time
}

// entropy makes IDs unguessable (crypto/rand) and monotonic within a process,
// so notes created in the same millisecond still list in creation order.
var entropy = &ulid.LockedMonotonicReader{MonotonicReader: ulid.Monotonic(rand.Reader, 0)}

func newID(t time.Time) (string, error) {
	u, err := ulid.New(ulid.Timestamp(t), entropy)
	if err != nil {
		return "", fmt.Errorf("new note ID: %w", err)
	}
	return u.String(), nil
}

// Option adjusts a Service (tests pin the clock).
type Option func(*Service)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store: store,
		now:   time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// timestamp is the service's clock: UTC, millisecond precision, so what is
// stored is exactly what is returned.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Create validates in and stores a new note with version 1.
func (s *Service) Create(ctx context.Context, owner string, in Input) (Note, error) {
	if err := in.Validate(); err != nil {
		return Note{}, err
	}
	now := s.timestamp()
	id, err := newID(now)
	if err != nil {
		return Note{}, err
	}
	n := Note{ID: id, Title: in.Title, Content: in.Content, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.Create(ctx, owner, n); err != nil {
		return Note{}, fmt.Errorf("create note: %w", err)
	}
	return n, nil
}

// Get returns one of the owner's notes.
func (s *Service) Get(ctx context.Context, owner, id string) (Note, error) {
	if err := ValidateID(id); err != nil {
		return Note{}, err
	}
	n, err := s.store.Get(ctx, owner, id)
	if err != nil {
		return Note{}, fmt.Errorf("get note %s: %w", id, err)
	}
	return n, nil
}

// List returns a page of the owner's notes, newest first. cursor is "" for the
// first page or a NextCursor this owner received earlier.
func (s *Service) List(ctx context.Context, owner string, limit int, cursor string) (Page, error) {
	if err := ValidateLimit(limit); err != nil {
		return Page{}, err
	}
	var after string
	if cursor != "" {
		id, err := DecodeCursor(owner, cursor)
		if err != nil {
			return Page{}, err
		}
		after = id
	}
	items, more, err := s.store.List(ctx, owner, limit, after)
	if err != nil {
		return Page{}, fmt.Errorf("list notes: %w", err)
	}
	page := Page{Items: items}
	if page.Items == nil {
		page.Items = []Note{} // "items": [] rather than null
	}
	if more && len(items) > 0 {
		if page.NextCursor, err = EncodeCursor(owner, items[len(items)-1].ID); err != nil {
			return Page{}, fmt.Errorf("list notes: %w", err)
		}
	}
	return page, nil
}

// Truncate keeps the first n items of a page of owner's notes and points
// NextCursor after the last one kept, so a caller following it misses nothing.
// The adapter uses it when a page would not fit in one response.
func (p Page) Truncate(owner string, n int) (Page, error) {
	if n < 1 || n >= len(p.Items) {
		return p, nil
	}
	cursor, err := EncodeCursor(owner, p.Items[n-1].ID)
	if err != nil {
		return Page{}, fmt.Errorf("truncate page: %w", err)
	}
	return Page{Items: p.Items[:n], NextCursor: cursor}, nil
}

// Update replaces a note's title and content; it never creates one.
func (s *Service) Update(ctx context.Context, owner, id string, in Input, pre Precondition) (Note, error) {
	if err := ValidateID(id); err != nil {
		return Note{}, err
	}
	if err := in.Validate(); err != nil {
		return Note{}, err
	}
	n, err := s.store.Update(ctx, owner, id, in, s.timestamp(), pre)
	if err != nil {
		return Note{}, fmt.Errorf("update note %s: %w", id, err)
	}
	return n, nil
}

// Delete removes a note.
func (s *Service) Delete(ctx context.Context, owner, id string, pre Precondition) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, owner, id, pre); err != nil {
		return fmt.Errorf("delete note %s: %w", id, err)
	}
	return nil
}
