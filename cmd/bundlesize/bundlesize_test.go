package main

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"runtime"
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
	bins, err := buildHost(context.Background(), tb.TempDir(), pkgs)
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return bins
}

func TestInitTime(t *testing.T) {
	bins := buildHostT(t, Baseline)
	d, err := InitTime(context.Background(), bins[0])
	if err != nil || d <= 0 {
		t.Errorf("InitTime(hello) = %v, %v; want a positive duration", d, err)
	}
	notLambda := filepath.Join(t.TempDir(), "exits")
	if err := os.WriteFile(notLambda, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := InitTime(context.Background(), notLambda); err == nil || !strings.Contains(err.Error(), "exited before") {
		t.Errorf("InitTime(exiting binary) error = %v; want it to say it exited", err)
	}
}

// BenchmarkInitTime measures cold-start init (process start to the first
// Runtime API call) of the hello-world baseline and of a notes function as
// init-ms/op; ns/op also counts killing the process. The notes function's
// target is ≤ 1.3× the baseline (go run ./cmd/bundlesize -coldstart 21 prints the ratio).
func BenchmarkInitTime(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the bootstrap binaries are built for linux")
	}
	bins := buildHostT(b, Baseline, Functions[2])
	names := []string{"hello", "getnote"}
	for i, bin := range bins {
		b.Run(names[i], func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				d, err := InitTime(b.Context(), bin)
				if err != nil {
					b.Fatal(err)
				}
				total += d
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "init-ms/op")
		})
	}
}
