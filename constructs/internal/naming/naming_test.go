package naming

import (
	"strings"
	"testing"
)

func TestShorten(t *testing.T) {
	tests := []struct {
		name string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly-10", 10, "exactly-10"},
		{"a-name-that-is-far-too-long", 16, "a-name--"},
	}
	for _, tt := range tests {
		got := Shorten(tt.name, tt.max)
		if len(got) > tt.max || !strings.HasPrefix(got, tt.want) {
			t.Errorf("Shorten(%q, %d) = %q; want at most %d characters starting %q", tt.name, tt.max, got, tt.max, tt.want)
		}
	}
	a, b := Shorten("prefix-shared-by-both-names-one", 20), Shorten("prefix-shared-by-both-names-two", 20)
	if a == b {
		t.Errorf("Shorten gave %q for two different long names; want distinct", a)
	}
}
