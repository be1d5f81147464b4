package main

import (
	"strings"
	"testing"
)

func TestSmokeHintFindsTheStateDirectory(t *testing.T) {
	tests := []struct {
		outputs, want string
	}{
		{outputs: "/repo/.local/dev/outputs.json", want: "go run ./cmd/notesctl --local --stage dev smoke"},
		{outputs: "/tmp/twins/dev/outputs.json", want: "go run ./cmd/notesctl --local --stage dev --local-dir /tmp/twins smoke"},
		{outputs: "/tmp/state/outputs.json", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.outputs, func(t *testing.T) {
			got := smokeHint(tt.outputs, "dev", "http://127.0.0.1:9229")
			if tt.want == "" && got != "" || tt.want != "" && !strings.HasPrefix(got, "  "+tt.want+"\n") {
				t.Errorf("smokeHint(%s) = %q; want %q", tt.outputs, got, tt.want)
			}
		})
	}
}
