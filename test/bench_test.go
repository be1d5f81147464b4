package test

import (
	"testing"

	"github.com/authnotes/authnotes/stacks"
)

// BenchmarkSynthStages measures synthesizing the three stage stacks (construct, cdk-nag, template) without
// bundling: the cost `cdk synth` pays on top of building the handlers.
func BenchmarkSynthStages(b *testing.B) {
	for b.Loop() {
		app, _ := newApp(b, nil)
		stacks.AddStages(app, stacks.Stages(), testAccount, testRegion)
		app.Synth(nil)
	}
}

// BenchmarkSynthDevBundled measures one stage with its five handlers built for arm64 into a fresh cloud assembly
// (Go build cache warm): the cost of a synth after a handler changed.
func BenchmarkSynthDevBundled(b *testing.B) {
	for b.Loop() {
		app, _ := newApp(b, []string{"NotesApi-dev"})
		cfg := stacks.Stages()[0]
		cfg.Account, cfg.Region = testAccount, testRegion
		stacks.NewNotesApiStack(app, cfg)
		app.Synth(nil)
	}
}
