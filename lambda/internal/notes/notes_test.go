package notes

import (
	"errors"
	"strings"
	"testing"
)

func TestInputValidate(t *testing.T) {
	tests := []struct {
		name      string
		in        Input
		wantField string // "" = valid
	}{
		{"content only", Input{Content: "x"}, ""},
		{"largest content", Input{Content: strings.Repeat("x", MaxContentBytes)}, ""},
		{"largest title in characters, not bytes", Input{Title: strings.Repeat("ü", MaxTitleChars), Content: "x"}, ""},
		{"empty content", Input{Title: "t"}, "content"},
		{"content one byte too long", Input{Content: strings.Repeat("x", MaxContentBytes+1)}, "content"},
		{"content of multibyte characters over the byte limit", Input{Content: strings.Repeat("é", MaxContentBytes/2+1)}, "content"},
		{"content not UTF-8", Input{Content: "\xff\xfe"}, "content"},
		{"title too long", Input{Title: strings.Repeat("t", MaxTitleChars+1), Content: "x"}, "title"},
		{"title not UTF-8", Input{Title: "\xc3", Content: "x"}, "title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			var ve *ValidationError
			switch {
			case tc.wantField == "" && err != nil:
				t.Errorf("Validate() = %v; want nil", err)
			case tc.wantField != "" && (!errors.As(err, &ve) || ve.Field != tc.wantField || !errors.Is(err, ErrInvalid)):
				t.Errorf("Validate() = %v; want a ValidationError on %q matching ErrInvalid", err, tc.wantField)
			}
		})
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"01JAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"01ARZ3NDEKTSV4RRFFQ69G5FAV", true},
		{"01arz3ndektsv4rrffq69g5fav", false}, // lower case would alias the same key
		{"01ARZ3NDEKTSV4RRFFQ69G5FA", false},
		{"01ARZ3NDEKTSV4RRFFQ69G5FAVX", false},
		{"01ARZ3NDEKTSV4RRFFQ69G5FAU", false}, // U is not Crockford base32
		{"81ARZ3NDEKTSV4RRFFQ69G5FAV", false}, // overflows 128 bits
		{"", false},
		{"../../etc/passwd", false},
	}
	for _, tc := range tests {
		if err := ValidateID(tc.id); (err == nil) != tc.want {
			t.Errorf("ValidateID(%q) = %v; want valid %v", tc.id, err, tc.want)
		}
	}
}

func TestValidateLimit(t *testing.T) {
	for limit, want := range map[int]bool{0: false, 1: true, 20: true, 100: true, 101: false, -1: false} {
		if err := ValidateLimit(limit); (err == nil) != want {
			t.Errorf("ValidateLimit(%d) = %v; want valid %v", limit, err, want)
		}
	}
}

func TestCursor(t *testing.T) {
	const owner, id = "sub-a", "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	c, err := EncodeCursor(owner, id)
	if err != nil {
		t.Fatalf("EncodeCursor() error = %v", err)
	}
	if strings.Contains(c, id) || strings.Contains(c, owner) {
		t.Errorf("EncodeCursor() = %q; want an opaque value", c)
	}
	got, err := DecodeCursor(owner, c)
	if err != nil || got != id {
		t.Errorf("DecodeCursor(EncodeCursor()) = %q, %v; want %q", got, err, id)
	}
	if _, err := DecodeCursor("sub-b", c); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeCursor(other owner) error = %v; want ErrInvalid", err)
	}
}

func TestPageTruncate(t *testing.T) {
	const owner = "sub-a"
	ids := []string{"01ARZ3NDEKTSV4RRFFQ69G5FAX", "01ARZ3NDEKTSV4RRFFQ69G5FAW", "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
	page := Page{Items: []Note{{ID: ids[0]}, {ID: ids[1]}, {ID: ids[2]}}}
	got, err := page.Truncate(owner, 2)
	if err != nil || len(got.Items) != 2 {
		t.Fatalf("Truncate(2) = %+v, %v; want 2 items", got, err)
	}
	if after, err := DecodeCursor(owner, got.NextCursor); err != nil || after != ids[1] {
		t.Errorf("Truncate(2) cursor continues after %q, %v; want after %q", after, err, ids[1])
	}
	for _, n := range []int{0, 3, 4} {
		if got, _ := page.Truncate(owner, n); len(got.Items) != 3 || got.NextCursor != "" {
			t.Errorf("Truncate(%d) = %+v; want the page unchanged", n, got)
		}
	}
}
