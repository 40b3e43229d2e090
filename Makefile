# kubepp: the commands a newcomer needs. See README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps build test test-unit test-asan fuzz bench format lint lint-all start clean

all: build

deps:
	@scripts/install-deps.sh

build/build.ninja:
	cmake --preset dev

build-asan/build.ninja:
	cmake --preset asan

build: deps build/build.ninja
	cmake --build build -j $(JOBS)

# Every test (unit, integration, e2e). The ASan+UBSan pass of the unit tests is `make test-asan`:
# a second full build under the sanitizers pushes CI on 2 cores past 45 minutes (issue #2 allows
# the split); run it before every submission.
test: build
	cd build && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS) -L unit $(CTEST_ARGS)

test-asan: deps build-asan/build.ninja
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -L unit $(CTEST_ARGS)

build-fuzz/build.ninja:
	cmake --preset fuzz

# libFuzzer (clang, ASan+UBSan) on every kind's decode + defaults + validation, the protobuf body
# decoder and the patches, for FUZZ_SECONDS. New inputs go to build-fuzz/corpus/api_decode,
# crashes to build-fuzz/fuzz-artifacts/. docs/DEVELOPMENT.md#fuzzing.
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
fuzz: build-fuzz/build.ninja
	cmake --build build-fuzz -j $(JOBS) --target api_decode_fuzz
	mkdir -p build-fuzz/corpus/api_decode build-fuzz/fuzz-artifacts
	UBSAN_OPTIONS=print_stacktrace=1 build-fuzz/fuzz/api_decode_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-dict=fuzz/api_decode.dict -artifact_prefix=build-fuzz/fuzz-artifacts/ $(FUZZ_ARGS) \
		build-fuzz/corpus/api_decode fuzz/corpus/api_decode

bench: build
	scripts/run-bench.sh build

format:
	scripts/lint.sh format

# clang-format check of the whole tree + clang-tidy on files changed since LINT_BASE
# (default: the merge-base with origin/main, else the last commit).
lint: build/build.ninja
	scripts/lint.sh check

lint-all: build/build.ninja
	scripts/lint.sh all

start: build
	scripts/start.sh build

clean:
	rm -rf build build-asan build-tsan build-release build-fuzz
