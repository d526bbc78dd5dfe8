# Receptive — build, test, benchmark, demo. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
SWIFTFLAGS := -c $(CONFIG)
DEB_PACKAGES := libopenblas-dev liblapacke-dev libhdf5-dev pkg-config zlib1g-dev libcairo2-dev fonts-dejavu-core libfftw3-dev
BIN = $(shell $(SWIFT) build $(SWIFTFLAGS) --show-bin-path)

.PHONY: deps build test test-mpi bench-mpi bench bench-v4 bench-ridge sim-gain demo test-browser clean fixtures fuzz

# Installs the Debian packages the build needs, when any is missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != "0" ]; then \
	    echo "receptive: missing system packages:$$missing — run 'sudo apt-get update && sudo apt-get install -y$$missing' (or run make as root)"; exit 1; \
	  fi; \
	  echo "installing$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFTFLAGS) --product receptive

# The whole test suite, release mode (numerical kernels are too slow unoptimised).
test: deps
	$(SWIFT) build $(SWIFTFLAGS) --product receptive
	$(SWIFT) test $(SWIFTFLAGS)

# Open MPI (installed on demand, root or sudo) and the tests that run `mpirun -np 2 receptive …`
# against one process (docs/scaling.md). Without Open MPI, `make test` skips them with a reason.
# --manifest-cache none: Package.swift looks for mpi.h, which SwiftPM's manifest cache cannot see.
MPI_PACKAGES := libopenmpi-dev openmpi-bin
test-mpi: deps
	@missing=""; for p in $(MPI_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != "0" ]; then echo "receptive: missing$$missing — run 'sudo apt-get install -y$$missing'"; exit 1; fi; \
	  echo "installing$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	$(SWIFT) build $(SWIFTFLAGS) --manifest-cache none --product receptive
	$(SWIFT) build $(SWIFTFLAGS) --manifest-cache none --build-tests
	$(SWIFT) test $(SWIFTFLAGS) --skip-build --filter 'ClusterTests|MPICLITests'

# A CNN epoch under 1 process and `mpirun -np 2`, 1 thread each: seconds and bytes communicated.
bench-mpi: build
	bash scripts/bench-mpi.sh

# Python with torch (and rsatoolbox; statsmodels, nemos, h5py for the GLM lines) for the peers
# measured beside us; without it the peer figures are reported as not measured. The conv lines
# give each pass as a fraction of the measured FMA peak (AVX-512 and AVX2 kernels when the CPU
# has AVX-512); RECEPTIVE_KERNELS=avx2 makes the rest of the run use the AVX2 kernels.
# statsmodels fits the GLM's 50 units one after the other: several minutes of the run.
PYTHON ?= python3
THREADS ?= 2

bench: deps
	$(SWIFT) build $(SWIFTFLAGS) --product receptive-bench
	$(BIN)/receptive-bench all --threads $(THREADS) --python $(PYTHON)
	$(MAKE) bench-ridge
	$(MAKE) bench-mpi

# Voxel-wise ridge beside himalaya (numpy and, when installed, torch backends) on the peer's
# seeded design: RIDGE_SAMPLES × RIDGE_FEATURES × RIDGE_TARGETS, 20 penalties, 5 folds (docs/fmri.md).
RIDGE_SAMPLES ?= 2000
RIDGE_FEATURES ?= 4000
RIDGE_TARGETS ?= 20000
bench-ridge: build
	bash scripts/bench-ridge.sh $(PYTHON) $(THREADS) $(RIDGE_SAMPLES) $(RIDGE_FEATURES) $(RIDGE_TARGETS) 20 5 numpy,torch

# stacked3 on the real V4 recording, ours and the PyTorch peer side by side (about 11 minutes on 2 cores: ours about 5, the peer about 6).
bench-v4: build
	bash scripts/bench-v4.sh $(PYTHON) $(THREADS)

# stacked3 and the GLM on simulated simple and complex cells: fraction of the achievable gain
# (about 10 minutes on 2 cores with the defaults; STIMULI=, CHANNELS=).
STIMULI ?= 6000
CHANNELS ?= 32
sim-gain: build
	bash scripts/sim-gain.sh $(STIMULI) $(CHANNELS) $(THREADS)

# The long run of the mutation fuzzer over contract files (docs/reliability.md); `make test` runs
# 240 cases. Counts are printed and written to fuzz-report.txt.
N ?= 10000
SEED ?= 1
fuzz: build
	$(SWIFT) build $(SWIFTFLAGS) --build-tests
	FUZZ_CASES=$(N) FUZZ_SEED=$(SEED) FUZZ_REPORT=$(CURDIR)/fuzz-report.txt $(SWIFT) test $(SWIFTFLAGS) --skip-build --filter ReliabilityFuzzTests

# Ends by writing the CNN's report page (out/demo/report/report.html) and printing its path.
demo: build
	@mkdir -p out/demo
	$(BIN)/receptive demo --data data/demo.h5 --out out/demo --report out/demo/report

# The demo's report in headless Chromium (installed on demand): a screenshot
# (out/demo/report/screenshot.png); fails on console errors, broken images or a page narrower than
# its figures. Not part of `make test`. Runs `make demo` first when there is no demo report.
test-browser: build
	@[ -f out/demo/report/report.html ] || $(MAKE) demo
	bash scripts/test-browser.sh out/demo/report/report.html out/demo/report/screenshot.png

clean:
	rm -rf .build
