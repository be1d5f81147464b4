# authnotes — every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
STAGE ?= dev
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
GO_TEST_FLAGS ?= -count=1 -timeout 25m
# Extra flags for cdk synth, e.g. the pipeline's context: SYNTH_FLAGS="-c pipeline.connectionArn=… -c pipeline.repository=… -c pipeline.branch=…"
SYNTH_FLAGS ?=

.PHONY: help deps web synth test bench local deploy diff fmt vet clean docs-check

# A failed web build leaves no web/dist/index.html behind, so the next `make web` tries again.
.DELETE_ON_ERROR:

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund

# aws-cdk ships Go init templates (%name%.template.go): an empty module here keeps `go ... ./...` out of node_modules.
node_modules/go.mod: node_modules/.package-lock.json
	printf 'module ignore\n' > $@

# The web app (web/) is its own npm project; web/dist/index.html stands for the whole build, remade when a source,
# the lock file or the build configuration changed.
WEB_SOURCES := $(shell find web/src web/public web/build -type f 2>/dev/null) web/index.html web/package.json \
	web/vite.config.ts web/tsconfig.json web/tsconfig.node.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20.19+ with npm (apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html ## build the web app into web/dist (only when its sources changed; reports its JavaScript size)

deps: node_modules/.package-lock.json node_modules/go.mod ## install the pinned npm tools (aws-cdk CLI, dynalite, amazon-cognito-identity-js) and Go modules
	go mod download

# synth, deploy and diff package web/dist into the stacks: `make web` (its own target) rebuilds it when its sources changed.
synth: deps web ## synthesize the three stage stacks into cdk.out (templates, arm64 bootstrap bundles, the web app's build); SYNTH_FLAGS="-c …" adds the pipeline
	npx --no-install cdk synth --quiet $(SYNTH_FLAGS)

test: deps web ## run every test: web app (Vitest, size budget), unit, dynalite-backed store, synth assertions/snapshots/cdk-nag/cfn-lint, Cognito interop, end-to-end
	go vet ./...
	cd web && npm test
	go test $(GO_TEST_FLAGS) ./...

bench: deps ## run the benchmarks, then print each Lambda bundle size and cold start (init, first response) vs hello-world
	go test -run '^$$' -bench . -benchmem ./...
	go run ./cmd/bundlesize -coldstart 21 -dynalite

local: deps web ## run a synthesized stage offline: web app http://localhost:5173, Cognito :9229, API :3000, DynamoDB :8000 (STAGE=dev, TWIN_FLAGS=…); reloads edited handlers and stacks (TWIN_FLAGS=--watch=false: off)
	go build -o bin/twin ./cmd/twin
	./bin/twin --stage $(STAGE) $(TWIN_FLAGS)

deploy: deps web ## deploy one stage to AWS with your credentials (STAGE=dev|staging|prod)
	npx --no-install cdk deploy NotesApi-$(STAGE) --outputs-file cdk-outputs-$(STAGE).json

diff: deps web ## show what a deploy of STAGE would change
	npx --no-install cdk diff NotesApi-$(STAGE)

docs-check: deps web ## check the docs: links and anchors, the Go examples (go doc, docs/construct.md, README), the walk-through shell blocks against a twin
	go test -count=1 ./docs/
	go test -count=1 -run 'Example' ./constructs/...
	go test -count=1 -run 'TestDocsConstructExamplesCompile' ./test/
	go test -count=1 -run 'TestDocsShellBlocks' ./test/e2e/

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

vet: ## go vet the tree
	go vet ./...

clean: ## remove build output (keeps .local state)
	rm -rf cdk.out web/dist
