// Command bundlesize builds each notes Lambda function exactly as the CDK
// bundler does (constructs/notesapi/gobuild: CGO_ENABLED=0 GOOS=linux
// -trimpath -buildvcs=false -ldflags="-s -w" -tags lambda.norpc) and prints the
// size of the binary and of its deployment zip, against a hello-world
// baseline. With -coldstart N it also measures each function's init time
// (process start to its first Runtime API call, host architecture) N times.
//
//	go run ./cmd/bundlesize [-arch arm64|x86_64] [-coldstart 20]
package main

import (
	"archive/zip"
	"compress/flate"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
)

// Functions are the bundles measured; Baseline is the hello-world reference.
var (
	Functions = []string{
		"github.com/authnotes/authnotes/lambda/createnote",
		"github.com/authnotes/authnotes/lambda/listnotes",
		"github.com/authnotes/authnotes/lambda/getnote",
		"github.com/authnotes/authnotes/lambda/updatenote",
		"github.com/authnotes/authnotes/lambda/deletenote",
	}
	Baseline = "github.com/authnotes/authnotes/cmd/bundlesize/hello"
)

// Targets from the product brief.
const (
	maxZipBytes    = 3.5 * (1 << 20)
	maxColdStartVs = 1.3
)

func main() {
	arch := flag.String("arch", "arm64", "Lambda architecture to size: arm64 or x86_64")
	coldRuns := flag.Int("coldstart", 0, "also measure init time this many times per function (host architecture)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *arch, *coldRuns); err != nil {
		fmt.Fprintln(os.Stderr, "bundlesize:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, arch string, coldRuns int) error {
	goarch, err := gobuild.GOARCH(arch)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bundlesize-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkgs := append(slices.Clone(Functions), Baseline)
	fmt.Fprintf(out, "building %d functions for linux/%s with %v …\n", len(pkgs), goarch, gobuild.Flags)
	sizes, err := measureSizes(ctx, tmp, goarch, pkgs)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "function\tbinary MiB\tzip MiB\tzip target ≤ %.1f MiB\t\n", float64(maxZipBytes)/(1<<20))
	over := 0
	for i, p := range pkgs {
		verdict := "ok"
		if sizes[i].zip > maxZipBytes {
			verdict, over = "OVER", over+1
		}
		if p == Baseline {
			verdict = "(baseline)"
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%s\t\n", filepath.Base(p), mib(sizes[i].binary), mib(sizes[i].zip), verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if coldRuns > 0 {
		if err := reportColdStarts(ctx, out, tmp, pkgs, coldRuns); err != nil {
			return err
		}
	}
	if over > 0 {
		return fmt.Errorf("%d bundles exceed the %.1f MiB zip target", over, float64(maxZipBytes)/(1<<20))
	}
	return nil
}

type size struct{ binary, zip int64 }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// measureSizes builds every package into dir/<goarch>/<name>/bootstrap and zips it.
func measureSizes(ctx context.Context, dir, goarch string, pkgs []string) ([]size, error) {
	located, err := gobuild.Locate(ctx, "", pkgs...)
	if err != nil {
		return nil, err
	}
	sizes := make([]size, len(located))
	for i, p := range located {
		out := filepath.Join(dir, goarch, filepath.Base(p.ImportPath))
		if err := gobuild.Build(ctx, p.ModuleDir, goarch, p.ImportPath, out); err != nil {
			return nil, err
		}
		bin := filepath.Join(out, "bootstrap")
		st, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		z, err := zipSize(bin)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", p.ImportPath, err)
		}
		sizes[i] = size{binary: st.Size(), zip: z}
	}
	return sizes, nil
}

// zipSize writes bin as "bootstrap" into a zip the way an asset is uploaded
// (deflate, best compression) and returns the archive's size.
func zipSize(bin string) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(bin), "bundle-*.zip")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return 0, err
	}
	src, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if _, err := io.Copy(w, src); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func reportColdStarts(ctx context.Context, out io.Writer, dir string, pkgs []string, runs int) error {
	goarch := runtime.GOARCH
	fmt.Fprintf(out, "\nmeasuring init time (process start → first Runtime API call), linux/%s, median of %d runs …\n", goarch, runs)
	bins, err := buildHost(ctx, dir, pkgs)
	if err != nil {
		return err
	}
	medians := make([]time.Duration, len(pkgs))
	for i, bin := range bins {
		var ds []time.Duration
		for range runs {
			d, err := InitTime(ctx, bin)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(pkgs[i]), err)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		medians[i] = ds[len(ds)/2]
	}
	base := medians[len(medians)-1]
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "function\tinit ms\tvs hello-world (target ≤ %.1f×)\t\n", maxColdStartVs)
	for i, p := range pkgs {
		ratio := float64(medians[i]) / float64(base)
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f×\t\n", filepath.Base(p), float64(medians[i].Microseconds())/1000, ratio)
	}
	return tw.Flush()
}

// buildHost builds pkgs for the host's architecture (to run them here) with
// the bundler's flags, returning the binaries in pkgs order.
func buildHost(ctx context.Context, dir string, pkgs []string) ([]string, error) {
	located, err := gobuild.Locate(ctx, "", pkgs...)
	if err != nil {
		return nil, err
	}
	bins := make([]string, len(located))
	for i, p := range located {
		out := filepath.Join(dir, "host", filepath.Base(p.ImportPath))
		if err := gobuild.Build(ctx, p.ModuleDir, runtime.GOARCH, p.ImportPath, out); err != nil {
			return nil, err
		}
		bins[i] = filepath.Join(out, "bootstrap")
	}
	return bins, nil
}
