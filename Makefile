# Orbital's build. `make run` opens the shell on a fresh home with the demo modules installed;
# `make test` runs every test; `make bench` prints the benchmark table. Each target installs the
# Debian packages it needs first (make deps), so a fresh machine needs nothing by hand.
SHELL   := /bin/bash
GO      ?= go
BUILD   := build
BIN     := $(BUILD)/orbital
HOMEDIR ?= $(BUILD)/home
MODULES := $(sort $(notdir $(patsubst %/main.go,%,$(wildcard modules/*/main.go))))
WASM    := $(MODULES:%=$(BUILD)/modules/%.wasm)
# The modules with a manifest (modules/NAME/module.toml) are the ones `make run` installs; the
# others are test probes.
# Libraries (a `reactor` marker) go first: the modules that import them are checked against
# what is installed.
DEMOS   := $(sort $(notdir $(patsubst %/module.toml,%,$(wildcard modules/*/module.toml))))
# A demo without a main.go is a script (its manifest names a .js entry, run by the JavaScript
# engine module, modules/js): it is installed from its directory.
SCRIPTDEMOS := $(filter-out $(MODULES),$(DEMOS))
DEMOS   := $(filter $(MODULES),$(DEMOS))
DEMOLIBS := $(filter $(notdir $(patsubst %/reactor,%,$(wildcard modules/*/reactor))),$(DEMOS))
DEMOS   := $(DEMOLIBS) $(filter-out $(DEMOLIBS),$(DEMOS))

export ORBITAL_BIN     := $(abspath $(BIN))
export ORBITAL_MODULES := $(abspath $(BUILD)/modules)

# System packages: GL/X11 headers for GLFW, Xvfb and xdotool for the GUI tests, ImageMagick for
# screenshots of the X display, xclip for the clipboard tests, Chromium for the admin page
# tests, fonts for the shell; EGL and OpenGL headers and Mesa's drivers (llvmpipe) for the GPU
# driver's context without a window; PulseAudio (a private daemon with a null sink) and parec
# for the sound tests of WASM-4 carts.
DEBS := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
        libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth xdotool imagemagick x11-utils \
        xclip chromium libegl-dev libopengl-dev libegl-mesa0 libgl1-mesa-dri \
        pulseaudio pulseaudio-utils

.PHONY: all deps build modules drivers test test-unit test-e2e bench run clean fmt vet

all: build modules

deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build:
	$(GO) build -o $(BIN) ./cmd/orbital

modules: $(WASM)

$(BUILD)/modules/%.wasm: FORCE
	@mkdir -p $(BUILD)/modules
	cd modules && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(GO) build \
		$$( [ -f $*/reactor ] && echo -buildmode=c-shared ) -o ../$@ ./$*

FORCE:

# Native drivers: drivers/<name>/cmd/orbital-<name> packed as a registry package directory
# build/drivers/<name> (module.toml from drivers/<name>/module.toml.in, the executable under
# bin/<GOOS>-<GOARCH>/), which `orbital install` takes. Drivers are static executables except
# those in CGO_DRIVERS, which link C libraries (the GPU driver: EGL and OpenGL).
DRIVERS  := camera gpu
CGO_DRIVERS := gpu
PLATFORM := $(shell $(GO) env GOOS)-$(shell $(GO) env GOARCH)

drivers:
	@for d in $(DRIVERS); do \
		mkdir -p $(BUILD)/drivers/$$d/bin/$(PLATFORM) && \
		CGO_ENABLED=$$(case " $(CGO_DRIVERS) " in *" $$d "*) echo 1;; *) echo 0;; esac) \
			$(GO) build -trimpath -o $(BUILD)/drivers/$$d/bin/$(PLATFORM)/orbital-$$d ./drivers/$$d/cmd/orbital-$$d && \
		sed 's|@PLATFORM@|$(PLATFORM)|' drivers/$$d/module.toml.in > $(BUILD)/drivers/$$d/module.toml || exit 1; \
	done

vet:
	$(GO) vet ./...
	cd modules && GOOS=wasip1 GOARCH=wasm $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# The concurrent packages' tests run under the race detector; every other package's tests
# (the end-to-end tests that drive the real binary, Xvfb and Chromium among them) run once
# without it. A package is tested once: the race run is the stricter of the two.
RACE_PKGS := bus kernel policies registry drivers admin system storage cluster audio
SPACE     := $(subst ,, )
RACE_RE   := ^github.com/orbital/orbital/($(subst $(SPACE),|,$(RACE_PKGS)))(/|$$)

test: deps build modules vet
	cd modules && $(GO) test -count=1 $$($(GO) list -f '{{if .TestGoFiles}}{{.ImportPath}}{{end}}' ./...)
	$(GO) test -race -count=1 $(RACE_PKGS:%=./%/...)
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -Ev '$(RACE_RE)')

bench: deps build modules
	$(GO) run ./internal/benchtable

run: deps build modules drivers
	$(BIN) install --home $(HOMEDIR) --replace --manifests modules $(DEMOS:%=$(BUILD)/modules/%.wasm)
	$(BIN) install --home $(HOMEDIR) --replace $(SCRIPTDEMOS:%=modules/%)
	@for d in $(DRIVERS); do \
		$(BIN) install -q --home $(HOMEDIR) $(BUILD)/drivers/$$d >/dev/null 2>&1 || \
		{ $(BIN) rm --home $(HOMEDIR) $$d && $(BIN) install -q --home $(HOMEDIR) $(BUILD)/drivers/$$d; } || exit 1; \
	done
	$(BIN) --home $(HOMEDIR)

clean:
	rm -rf $(BUILD)
