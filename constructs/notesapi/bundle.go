package notesapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/notesapi/gobuild"
)

// codeSource makes Lambda code assets for the handler packages of one construct.
type codeSource struct {
	goarch       string
	pkgs         map[string]gobuild.Package
	fingerprints map[string]string
}

// newCodeSource locates the handler packages and, if this stack is being bundled, fingerprints them with one
// `go list`. Stacks excluded from bundling (`cdk synth NotesApi-dev` bundles only that stack) skip the
// fingerprint: their placeholder hash is never uploaded.
func newCodeSource(scope constructs.Construct, goarch string, rs []route) (*codeSource, error) {
	ctx := context.Background()
	paths := make([]string, len(rs))
	for i, r := range rs {
		paths[i] = r.pkg
	}
	located, err := gobuild.Locate(ctx, "", paths...)
	if err != nil {
		return nil, err
	}
	s := &codeSource{goarch: goarch, pkgs: map[string]gobuild.Package{}, fingerprints: map[string]string{}}
	for _, p := range located {
		s.pkgs[p.ImportPath] = p
	}
	if !*awscdk.Stack_Of(scope).BundlingRequired() {
		for _, p := range paths {
			sum := sha256.Sum256([]byte("bundling skipped " + goarch + " " + p))
			s.fingerprints[p] = hex.EncodeToString(sum[:])
		}
		return s, nil
	}
	if s.fingerprints, err = gobuild.Fingerprints(ctx, located[0].ModuleDir, goarch, paths...); err != nil {
		return nil, err
	}
	return s, nil
}

// code returns the asset of one handler. The custom hash is the dependency fingerprint, so CDK reuses an
// already staged bundle (across stages and synths) and rebuilds exactly when a source changed.
func (s *codeSource) code(importPath string) awslambda.Code {
	pkg := s.pkgs[importPath]
	return awslambda.Code_FromAsset(jsii.String(pkg.Dir), &awss3assets.AssetOptions{
		AssetHash:     jsii.String(s.fingerprints[importPath]),
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		Bundling: &awscdk.BundlingOptions{
			// Required by the API, used only if local bundling declines, which ours never does: it builds or fails.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1.26")),
			Local: &goBundler{moduleDir: pkg.ModuleDir, importPath: importPath, goarch: s.goarch},
		},
	})
}

// goBundler implements awscdk.ILocalBundling. It must be passed as a pointer: jsii panics on a value receiver.
type goBundler struct {
	moduleDir  string
	importPath string
	goarch     string
}

// TryBundle builds the handler into outputDir/bootstrap. A failure panics; jsii turns the panic into the synth
// error, which names the package and carries the compiler output.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := gobuild.Build(context.Background(), b.moduleDir, b.goarch, b.importPath, *outputDir); err != nil {
		panic(fmt.Errorf("notesapi: bundle: %w", err))
	}
	return jsii.Bool(true)
}
