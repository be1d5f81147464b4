package notestest

import (
	"testing"

	"github.com/authnotes/authnotes/lambda/internal/notes"
)

func TestFakeStore(t *testing.T) {
	RunStoreSuite(t, func(*testing.T) notes.Store { return NewStore() })
}
