package main

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestZipSize(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(bin, []byte(strings.Repeat("compressible ", 10000)), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := zipSize(bin)
	if err != nil {
		t.Fatalf("zipSize() error = %v", err)
	}
	if n <= 0 || n >= 130000 {
		t.Errorf("zipSize() = %d; want a compressed size well under 130000", n)
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "bundle-*.zip"))
	if len(zips) != 1 {
		t.Fatalf("zip files = %v; want one", zips)
	}
	zr, err := zip.OpenReader(zips[0])
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Errorf("zip holds %v; want one executable named bootstrap", zr.File)
	}
}

// buildHostT builds pkgs for this machine once per test binary run.
func buildHostT(tb testing.TB, pkgs ...string) []string {
	tb.Helper()
	bins, err := build(context.Background(), tb.TempDir(), runtime.GOARCH, pkgs)
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return bins
}

func TestColdStart(t *testing.T) {
	bins := buildHostT(t, Baseline)
	event, _ := probeEvent(Baseline, false)
	got, payload, err := ColdStart(context.Background(), bins[0], event)
	if err != nil || got.Init <= 0 || got.FirstResponse < got.Init || string(payload) != `"hello"` {
		t.Errorf("ColdStart(hello) = %+v, %s, %v; want init > 0, first response after it, payload \"hello\"", got, payload, err)
	}
	notLambda := filepath.Join(t.TempDir(), "exits")
	if err := os.WriteFile(notLambda, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ColdStart(context.Background(), notLambda, event); err == nil || !strings.Contains(err.Error(), "exited before") {
		t.Errorf("ColdStart(exiting binary) error = %v; want it to say it exited", err)
	}
}

// TestProbeEventsTakeTheMeasuredPath runs every function once with its probe
// event: the request must be refused by validation (400) without DynamoDB,
// or the measurement would not be what it claims.
func TestProbeEventsTakeTheMeasuredPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstrap binaries are built for linux")
	}
	pkgs := append(slices.Clone(Functions), SDKFloor)
	bins := buildHostT(t, pkgs...)
	for i, bin := range bins {
		t.Run(filepath.Base(pkgs[i]), func(t *testing.T) {
			event, want := probeEvent(pkgs[i], false)
			// An endpoint nothing listens on: a DynamoDB call would fail as a 500.
			_, payload, err := ColdStart(context.Background(), bin, event, "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1")
			if err != nil {
				t.Fatalf("ColdStart() error = %v", err)
			}
			if err := checkStatus(payload, want); err != nil || want != 400 {
				t.Errorf("probe: %v (want status %d = 400)", err, want)
			}
		})
	}
}

// BenchmarkColdStart measures the cold start of the hello-world baseline, of
// the dependencies-only reference and of a notes function: init-ms/op (process start to the first Runtime API
// call) and first-response-ms/op (process start to the response to a first
// request that validation refuses, before any DynamoDB call). ns/op also
// counts killing the process. The notes functions' target is ≤ 1.05× the
// SDK floor's first response (go run ./cmd/bundlesize -coldstart 21 prints the ratios).
func BenchmarkColdStart(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the bootstrap binaries are built for linux")
	}
	pkgs := []string{Baseline, SDKFloor, Functions[2]}
	bins := buildHostT(b, pkgs...)
	for i, bin := range bins {
		b.Run(filepath.Base(pkgs[i]), func(b *testing.B) {
			event, want := probeEvent(pkgs[i], false)
			var init, first time.Duration
			for b.Loop() {
				t, payload, err := ColdStart(b.Context(), bin, event)
				if err != nil {
					b.Fatal(err)
				}
				if err := checkStatus(payload, want); err != nil {
					b.Fatal(err)
				}
				init, first = init+t.Init, first+t.FirstResponse
			}
			b.ReportMetric(float64(init.Microseconds())/1000/float64(b.N), "init-ms/op")
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "first-response-ms/op")
		})
	}
}
