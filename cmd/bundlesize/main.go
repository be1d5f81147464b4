// Command bundlesize builds each notes Lambda function exactly as the CDK
// bundler does (constructs/notesapi/gobuild: CGO_ENABLED=0 GOOS=linux
// -trimpath -buildvcs=false -ldflags="-s -w" -tags lambda.norpc) and prints the
// size of the binary and of its deployment zip, against a hello-world
// baseline. With -coldstart N it also measures each function's cold start N
// times on this machine (host architecture): init (process start to its first
// Runtime API call) and first response (process start to the response to a
// first request, refused by validation before any DynamoDB call, reaching a
// minimal Runtime API); -dynalite adds a first request that reaches DynamoDB.
//
//	go run ./cmd/bundlesize [-arch arm64|x86_64] [-coldstart 21 [-dynalite]]
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
	"github.com/authnotes/authnotes/local/dynalite"
)

// Functions are the bundles measured; Baseline is the hello-world reference
// the targets are relative to; SDKFloor links the same dependencies as a
// function without any of our code, to tell what our code costs from what
// the SDK costs.
var (
	Functions = []string{
		"github.com/authnotes/authnotes/lambda/createnote",
		"github.com/authnotes/authnotes/lambda/listnotes",
		"github.com/authnotes/authnotes/lambda/getnote",
		"github.com/authnotes/authnotes/lambda/updatenote",
		"github.com/authnotes/authnotes/lambda/deletenote",
	}
	SDKFloor = "github.com/authnotes/authnotes/cmd/bundlesize/sdkfloor"
	Baseline = "github.com/authnotes/authnotes/cmd/bundlesize/hello"
)

// Targets from the product brief, relative to the SDK floor (SDKFloor: a do-nothing function linking the same SDK
// packages): our own code must cost almost nothing in size and at init.
const (
	maxZipVsFloor       = 1.05
	maxColdStartVsFloor = 1.05
)

func main() {
	arch := flag.String("arch", "arm64", "Lambda architecture to size: arm64 or x86_64")
	coldRuns := flag.Int("coldstart", 0, "also measure cold starts this many times per function (host architecture)")
	withDynalite := flag.Bool("dynalite", false, "with -coldstart, also measure a first request that reaches DynamoDB (a local dynalite)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *arch, *coldRuns, *withDynalite); err != nil {
		fmt.Fprintln(os.Stderr, "bundlesize:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, arch string, coldRuns int, withDynalite bool) error {
	goarch, err := gobuild.GOARCH(arch)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bundlesize-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkgs := append(slices.Clone(Functions), SDKFloor, Baseline)
	fmt.Fprintf(out, "building %d functions for linux/%s with %v …\n", len(pkgs), goarch, gobuild.Flags)
	bins, err := build(ctx, tmp, goarch, pkgs)
	if err != nil {
		return err
	}
	sizes, err := measureSizes(bins)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	floorZip := float64(sizes[slices.Index(pkgs, SDKFloor)].zip)
	fmt.Fprintf(tw, "function\tbinary MiB\tzip MiB\tzip × sdkfloor\ttarget ≤ %.2f×\t\n", maxZipVsFloor)
	over := 0
	for i, p := range pkgs {
		verdict := "ok"
		if float64(sizes[i].zip) > maxZipVsFloor*floorZip && slices.Contains(Functions, p) {
			verdict, over = "OVER", over+1
		}
		switch p {
		case Baseline:
			verdict = "(baseline)"
		case SDKFloor:
			verdict = "(reference: dependencies only)"
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.3f×\t%s\t\n", filepath.Base(p), mib(sizes[i].binary), mib(sizes[i].zip), float64(sizes[i].zip)/floorZip, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if coldRuns > 0 {
		if goarch != runtime.GOARCH { // cold starts run here: build for this machine
			if bins, err = build(ctx, tmp, runtime.GOARCH, pkgs); err != nil {
				return err
			}
		}
		if err := reportColdStarts(ctx, out, bins, pkgs, coldRuns, withDynalite); err != nil {
			return err
		}
	}
	if over > 0 {
		return fmt.Errorf("%d bundles exceed the zip target of %.2f× the SDK floor's", over, maxZipVsFloor)
	}
	return nil
}

type size struct{ binary, zip int64 }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// measureSizes returns the size of each binary and of its zip.
func measureSizes(bins []string) ([]size, error) {
	sizes := make([]size, len(bins))
	for i, bin := range bins {
		st, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		z, err := zipSize(bin)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", bin, err)
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

// reportColdStarts measures each function's cold start runs times (bins are
// pkgs built for this machine) and prints the medians against the hello-world
// baseline (the last of pkgs). The first request is one that validation
// refuses before any DynamoDB call, so the numbers are the functions' own (Go
// runtime, package init, main's wiring, the first request through the
// handler) with no network round trip. With withDynalite it also measures a
// first request that does reach DynamoDB (a local dynalite): that adds the
// SDK's first-call work (signing, connection) and dynalite's own latency.
func reportColdStarts(ctx context.Context, out io.Writer, bins, pkgs []string, runs int, withDynalite bool) error {
	fmt.Fprintf(out, "\nmeasuring cold starts, linux/%s, median of %d runs each …\n", runtime.GOARCH, runs)
	var endpoint string
	if withDynalite {
		srv, err := startDynalite(ctx)
		if err != nil {
			return err
		}
		defer srv.Close()
		endpoint = srv.Endpoint()
	}
	type result struct{ local, dynamo Timing }
	results := make([]result, len(pkgs))
	var dynamoPkgs, dynamoBins []string
	for i, p := range pkgs {
		if endpoint != "" && slices.Contains(Functions, p) {
			dynamoPkgs, dynamoBins = append(dynamoPkgs, p), append(dynamoBins, bins[i])
		}
	}
	local, err := medianColdStarts(ctx, bins, pkgs, runs, false)
	if err != nil {
		return err
	}
	dynamo, err := medianColdStarts(ctx, dynamoBins, dynamoPkgs, runs, true, "AWS_ENDPOINT_URL_DYNAMODB="+endpoint)
	if err != nil {
		return err
	}
	for i := range pkgs {
		results[i].local = local[i]
		if i < len(dynamo) {
			results[i].dynamo = dynamo[i] // Functions come first in pkgs
		}
	}
	base := results[len(results)-1].local
	floorRun := results[slices.Index(pkgs, SDKFloor)].local
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	ratio := func(d, base time.Duration) float64 { return float64(d) / float64(base) }
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "function\tinit ms\t× hello\tfirst response ms\t× hello\t× sdkfloor (target ≤ %.2f×)\t"
	if endpoint != "" {
		header += "first response via dynalite ms\t× hello\t"
	}
	fmt.Fprintf(tw, header+"\n", maxColdStartVsFloor)
	over := 0
	for i, p := range pkgs {
		r := results[i]
		verdict := ""
		switch {
		case p == SDKFloor:
			verdict = " (reference)"
		case p == Baseline:
			verdict = " (baseline)"
		case ratio(r.local.FirstResponse, floorRun.FirstResponse) > maxColdStartVsFloor:
			verdict, over = " OVER", over+1
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f×\t%.2f\t%.2f×\t%.3f×%s\t", filepath.Base(p), ms(r.local.Init), ratio(r.local.Init, base.Init),
			ms(r.local.FirstResponse), ratio(r.local.FirstResponse, base.FirstResponse), ratio(r.local.FirstResponse, floorRun.FirstResponse), verdict)
		if endpoint != "" && slices.Contains(Functions, p) {
			fmt.Fprintf(tw, "%.2f\t%.2f×\t", ms(r.dynamo.FirstResponse), ratio(r.dynamo.FirstResponse, base.FirstResponse))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "init: process start → first Runtime API call; first response: process start → the response to a first")
	fmt.Fprintln(out, "request that validation refuses before any DynamoDB call (400), posted to the Runtime API.")
	if endpoint != "" {
		fmt.Fprintln(out, "via dynalite: a valid first request (create 201, list 200, get/update/delete of a missing note 404); includes")
		fmt.Fprintln(out, "the SDK's first call (signing, TCP connect) and dynalite's latency, against the same hello-world first response.")
	}
	var firsts []time.Duration
	for i, p := range pkgs {
		if slices.Contains(Functions, p) {
			firsts = append(firsts, results[i].local.FirstResponse)
		}
	}
	var sum time.Duration
	for _, d := range firsts {
		sum += d
	}
	floor := results[slices.Index(pkgs, SDKFloor)].local.FirstResponse
	own := sum/time.Duration(len(firsts)) - floor
	fmt.Fprintf(out, "of a function's first response, the dependencies alone (sdkfloor) take %.2f ms (%.2f× hello); our own code\n", ms(floor), ratio(floor, base.FirstResponse))
	fmt.Fprintf(out, "adds %.2f ms on average (%.0f%% of hello's); the five functions, near-identical binaries, spread over %.2f ms.\n",
		ms(own), 100*float64(own)/float64(base.FirstResponse), ms(slices.Max(firsts)-slices.Min(firsts)))
	if over > 0 {
		fmt.Fprintf(out, "%d functions are over the cold-start target (%.2f× the SDK floor's first response) on this machine\n", over, maxColdStartVsFloor)
	}
	return nil
}

// medianColdStarts runs ColdStart runs times for each binary with the probe
// event for its package, interleaving the binaries so that a change of load
// on the machine affects them alike, and returns the median of each duration
// per binary, after checking each response's status.
func medianColdStarts(ctx context.Context, bins, pkgs []string, runs int, reachDynamoDB bool, env ...string) ([]Timing, error) {
	inits := make([][]time.Duration, len(bins))
	firsts := make([][]time.Duration, len(bins))
	for range runs {
		for i, bin := range bins {
			event, want := probeEvent(pkgs[i], reachDynamoDB)
			t, payload, err := ColdStart(ctx, bin, event, env...)
			if err == nil {
				err = checkStatus(payload, want)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Base(pkgs[i]), err)
			}
			inits[i], firsts[i] = append(inits[i], t.Init), append(firsts[i], t.FirstResponse)
		}
	}
	medians := make([]Timing, len(bins))
	for i := range bins {
		slices.Sort(inits[i])
		slices.Sort(firsts[i])
		medians[i] = Timing{Init: inits[i][runs/2], FirstResponse: firsts[i][runs/2]}
	}
	return medians, nil
}

// startDynalite starts a local dynalite with the functions' table.
func startDynalite(ctx context.Context) (*dynalite.Server, error) {
	srv, err := dynalite.Start(ctx, dynalite.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, fmt.Errorf("-dynalite: %w", err)
	}
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider("cold", "cold", "")})
	// The key schema of the construct's table (lambda/internal/dynamostore
	// has the same helper, but internal packages cannot be imported from here).
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(coldTable),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("userId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("noteId"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("userId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("noteId"), KeyType: types.KeyTypeRange},
		},
	})
	if err == nil {
		err = dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(coldTable)}, time.Minute)
	}
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("create the table in dynalite: %w", err)
	}
	return srv, nil
}

// build builds pkgs for linux/goarch as the bundler does, each into
// dir/<goarch>/<name>/bootstrap, returning the binaries in pkgs order.
func build(ctx context.Context, dir, goarch string, pkgs []string) ([]string, error) {
	located, err := gobuild.Locate(ctx, "", pkgs...)
	if err != nil {
		return nil, err
	}
	bins := make([]string, len(located))
	for i, p := range located {
		out := filepath.Join(dir, goarch, filepath.Base(p.ImportPath))
		if err := gobuild.Build(ctx, p.ModuleDir, goarch, p.ImportPath, out); err != nil {
			return nil, err
		}
		bins[i] = filepath.Join(out, "bootstrap")
	}
	return bins, nil
}
