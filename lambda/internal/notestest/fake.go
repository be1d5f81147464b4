// Package notestest holds test helpers for the notes domain: a hand-written
// in-memory Store and a conformance suite that every notes.Store must pass.
// The fake runs the suite too, which keeps it honest as a stand-in for
// DynamoDB in the handler tests.
package notestest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

// Store is an in-memory notes.Store. The zero value is not usable; call NewStore.
type Store struct {
	mu    sync.Mutex
	notes map[string]map[string]notes.Note // owner → id → note
	// Err, when set, is returned by every method: it simulates an outage.
	Err error
}

var _ notes.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{notes: map[string]map[string]notes.Note{}} }

// Create implements notes.Store.
func (s *Store) Create(_ context.Context, owner string, n notes.Note) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.notes[owner][n.ID]; ok {
		return notes.ErrAlreadyExists
	}
	if s.notes[owner] == nil {
		s.notes[owner] = map[string]notes.Note{}
	}
	s.notes[owner][n.ID] = n
	return nil
}

// Get implements notes.Store.
func (s *Store) Get(_ context.Context, owner, id string) (notes.Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return notes.Note{}, s.Err
	}
	n, ok := s.notes[owner][id]
	if !ok {
		return notes.Note{}, notes.ErrNotFound
	}
	return n, nil
}

// List implements notes.Store.
func (s *Store) List(_ context.Context, owner string, limit int, afterID string) ([]notes.Note, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, false, s.Err
	}
	var ids []string
	for id := range s.notes[owner] {
		if afterID == "" || id < afterID {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(b, a) }) // newest first
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	items := make([]notes.Note, 0, len(ids))
	for _, id := range ids {
		items = append(items, s.notes[owner][id])
	}
	return items, more, nil
}

// Update implements notes.Store.
func (s *Store) Update(_ context.Context, owner, id string, in notes.Input, updatedAt time.Time, pre notes.Precondition) (notes.Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.check(owner, id, pre)
	if err != nil {
		return notes.Note{}, err
	}
	n.Title, n.Content, n.UpdatedAt = in.Title, in.Content, updatedAt
	n.Version++
	s.notes[owner][id] = n
	return n, nil
}

// Delete implements notes.Store.
func (s *Store) Delete(_ context.Context, owner, id string, pre notes.Precondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.check(owner, id, pre); err != nil {
		return err
	}
	delete(s.notes[owner], id)
	return nil
}

// check applies the write conditions; s.mu must be held.
func (s *Store) check(owner, id string, pre notes.Precondition) (notes.Note, error) {
	if s.Err != nil {
		return notes.Note{}, s.Err
	}
	n, ok := s.notes[owner][id]
	switch {
	case !ok:
		return notes.Note{}, notes.ErrNotFound
	case pre.Version != 0 && pre.Version != n.Version:
		return notes.Note{}, notes.ErrConflict
	}
	return n, nil
}

// ErrOutage is a convenient value for Store.Err.
var ErrOutage = errors.New("simulated store outage: connection refused to dynamodb.internal:443")
