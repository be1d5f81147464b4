package notes

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"github.com/oklog/ulid/v2"
)

// A cursor is base64url(raw ULID of the last note on the page ‖ tag), where tag
// is the first 8 bytes of SHA-256("authnotes-cursor-v1" ‖ 0 ‖ owner ‖ 0 ‖ noteId).
//
// The tag is not a secret MAC, and it does not need to be: every query is keyed
// by the caller's own sub, so a cursor can only ever choose where to start
// inside the caller's own partition — a forged cursor cannot reach another
// user's data. The tag exists so that a cursor that was edited, truncated or
// issued to another user is refused with a clear 400 instead of silently
// paging from an arbitrary point.
const (
	cursorTagLen = 8
	cursorLen    = 16 + cursorTagLen
)

var cursorEncoding = base64.RawURLEncoding

func cursorTag(owner, id string) []byte {
	h := sha256.New()
	h.Write([]byte("authnotes-cursor-v1\x00"))
	h.Write([]byte(owner))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum(nil)[:cursorTagLen]
}

// EncodeCursor returns the opaque cursor that continues a listing for owner
// after the note id.
func EncodeCursor(owner, id string) (string, error) {
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return "", invalid("cursor", "cannot encode note ID %q", id)
	}
	b := make([]byte, 0, cursorLen)
	b = append(b, u[:]...)
	b = append(b, cursorTag(owner, u.String())...)
	return cursorEncoding.EncodeToString(b), nil
}

// DecodeCursor returns the note ID a cursor points after, or a validation error
// when the cursor is malformed, was modified, or was issued to another owner.
func DecodeCursor(owner, cursor string) (string, error) {
	b, err := cursorEncoding.DecodeString(cursor)
	if err != nil || len(b) != cursorLen {
		return "", invalid("cursor", "the cursor is malformed; use nextCursor from a previous page")
	}
	var u ulid.ULID
	copy(u[:], b[:16])
	id := u.String()
	if !bytes.Equal(b[16:], cursorTag(owner, id)) {
		return "", invalid("cursor", "the cursor was not issued for this user or was modified")
	}
	return id, nil
}
