# Convenience front end to CMake/CTest. The README's two commands:
#   make demo   bootstrap, build, and watch patience retry a flaky command
#   make test   bootstrap, build, and run every test (unit, end-to-end, fuzz corpora)
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# Developer builds treat warnings as errors; a distribution builds with
# cmake directly (PT_WERROR is off there), or here with WERROR=OFF.
WERROR     ?= ON

.PHONY: all bootstrap build demo test asan-test fuzz bench build-matrix docs clean

all: build

bootstrap:
	@./scripts/bootstrap

build: bootstrap
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_WERROR=$(WERROR)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo $(BUILD)/bin/patience

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan-test: bootstrap
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPT_SANITIZE=ON -DPT_WERROR=$(WERROR)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz: bootstrap
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_FUZZ=ON -DBUILD_TESTING=OFF \
		-DPT_WERROR=$(WERROR)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	./scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	./bench/run $(BUILD)/bin

# The man pages' OPTIONS, docs/CONFIG.md's index of settings and the shell
# completions, from the option tables (src/tools/options.h).
docs: build
	./scripts/gen-docs $(BUILD)/bin

# Every build type with gcc and RelWithDebInfo with clang, warnings as
# errors (.ci/run; the suite itself runs on $(BUILD)).
build-matrix: bootstrap
	./scripts/build-matrix

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
