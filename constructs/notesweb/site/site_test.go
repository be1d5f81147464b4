package site

import (
	"strconv"
	"strings"
	"testing"
)

func TestContentSecurityPolicyConnectSrc(t *testing.T) {
	got := ContentSecurityPolicy("https://b.example", " ", "https://a.example", "https://b.example")
	want := "connect-src 'self' https://a.example https://b.example;"
	if !strings.Contains(got, want) {
		t.Errorf("ContentSecurityPolicy(...) = %q; want it to contain %q", got, want)
	}
	for _, forbidden := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(got, forbidden) {
			t.Errorf("ContentSecurityPolicy(...) = %q; must not contain %q", got, forbidden)
		}
	}
	if !strings.Contains(got, "frame-ancestors 'none'") {
		t.Errorf("ContentSecurityPolicy(...) = %q; want frame-ancestors 'none'", got)
	}
}

func TestHeadersHSTSMatchesMaxAge(t *testing.T) {
	h := Headers("https://api.example")
	want := "max-age=" + strconv.Itoa(StrictTransportSecurityMaxAgeSeconds) + "; includeSubDomains"
	if got := h["Strict-Transport-Security"]; got != want {
		t.Errorf("Headers()[Strict-Transport-Security] = %q; want %q", got, want)
	}
}
