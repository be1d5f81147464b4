// Package notes is the notes domain: the Note, its validation rules, the cursor
// that pages through a user's notes, and the small Store interface the domain
// needs from persistence. It knows nothing about HTTP or DynamoDB.
package notes

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
)

// Limits of the API, shared by validation, the README and the tests.
const (
	MaxContentBytes = 65536 // content: 1–65,536 bytes of UTF-8
	MaxTitleChars   = 256   // title: at most 256 characters (runes)
	DefaultLimit    = 20    // page size when the caller gives none
	MaxLimit        = 100   // largest page a caller may ask for
)

// Sentinel errors. Callers map them to statuses with errors.Is; the store
// returns ErrNotFound and ErrConflict, the service wraps ErrInvalid.
var (
	// ErrNotFound means the note does not exist for this owner. A note owned by
	// someone else is indistinguishable from a missing one on purpose.
	ErrNotFound = errors.New("note not found")
	// ErrConflict means a conditional write failed: the version given as a
	// precondition is not the stored one.
	ErrConflict = errors.New("version does not match")
	// ErrAlreadyExists means a create hit an existing key (an ID collision).
	ErrAlreadyExists = errors.New("note already exists")
	// ErrInvalid marks every validation failure; see *ValidationError.
	ErrInvalid = errors.New("invalid request")
)

// Note is one user's note as the API shows it. The owner is deliberately not a
// field: it is a store key taken from the verified token, so no code path can
// leak it into a response or take it from a request body.
type Note struct {
	ID        string    `json:"noteId"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// Input is what a caller may set on a note: everything else is the server's.
type Input struct {
	Title   string `json:"title"`
	Content string `json:"content"`
}

// Precondition restricts a write to a given stored version. The zero value
// means "no precondition": last writer wins (the version still increments).
type Precondition struct {
	Version int64 // 0: any version
}

// Page is one page of a listing, newest first. NextCursor is empty on the last page.
type Page struct {
	Items      []Note `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// Store persists notes, always scoped to one owner (the JWT sub). Implementations
// return ErrNotFound, ErrConflict and ErrAlreadyExists as documented; anything
// else is unexpected.
type Store interface {
	// Create stores n only if no note with that ID exists for the owner.
	Create(ctx context.Context, owner string, n Note) error
	// Get returns the owner's note or ErrNotFound.
	Get(ctx context.Context, owner, id string) (Note, error)
	// List returns up to limit notes, newest first, strictly older than the note
	// afterID ("" = from the newest), and whether more notes follow.
	List(ctx context.Context, owner string, limit int, afterID string) (items []Note, more bool, err error)
	// Update replaces title and content, sets updatedAt and increments the
	// version atomically; it never creates. ErrNotFound if missing, ErrConflict
	// if pre.Version is set and differs from the stored version.
	Update(ctx context.Context, owner, id string, in Input, updatedAt time.Time, pre Precondition) (Note, error)
	// Delete removes the note; errors as for Update.
	Delete(ctx context.Context, owner, id string, pre Precondition) error
}

// ValidationError says which input was wrong and why. It matches ErrInvalid.
type ValidationError struct {
	Field  string // "content", "title", "id", "limit", "cursor"
	Reason string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Is makes errors.Is(err, ErrInvalid) true for every validation failure.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks the rules of a note's user-settable fields.
func (in Input) Validate() error {
	switch {
	case len(in.Content) == 0:
		return invalid("content", "content is required and must not be empty")
	case len(in.Content) > MaxContentBytes:
		return invalid("content", "content is %d bytes; the maximum is %d", len(in.Content), MaxContentBytes)
	case !utf8.ValidString(in.Content):
		return invalid("content", "content must be valid UTF-8")
	case !utf8.ValidString(in.Title):
		return invalid("title", "title must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(in.Title); n > MaxTitleChars {
		return invalid("title", "title is %d characters; the maximum is %d", n, MaxTitleChars)
	}
	return nil
}

// ValidateID accepts only canonical ULIDs (26 upper-case Crockford base32
// characters), the only IDs this service ever issues.
func ValidateID(id string) error {
	u, err := ulid.ParseStrict(id)
	if err != nil || u.String() != id {
		return invalid("id", "%q is not a note ID (a 26-character ULID)", Truncate(id, 40))
	}
	return nil
}

// ValidateLimit checks a page size.
func ValidateLimit(limit int) error {
	if limit < 1 || limit > MaxLimit {
		return invalid("limit", "limit must be between 1 and %d", MaxLimit)
	}
	return nil
}

// Truncate shortens s to at most n bytes, never splitting a character, and
// marks the cut with "…": error messages quote caller input through it.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
