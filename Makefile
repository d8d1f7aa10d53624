# Makefile — a thin front over CMake and the local stack (see README.md).
#   make          build build/outbreak (warnings are errors)
#   make asan     build the ASan+UBSan configuration in build-asan/
#   make test     build both, start the local stack, run every test, stop the stack
#   make demo     install what is missing, build, start the stack, run a short load
#                 through every middleware built so far, print the summary
#   make bench    the side-by-side benchmarks of bench/ (not part of the tests)
#   make fuzz     build the libFuzzer targets with clang in build-fuzz/
#   make fuzz-run build them and fuzz each for FUZZ_SECONDS (60): tests/fuzz/campaign.sh
#   make clean

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all deps build asan test demo bench fuzz fuzz-run clean

all: build

# Installs what is missing (quick when everything is there).
deps:
	@bash scripts/deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DOB_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Unit and fuzz-replay tests under the sanitizers, then every test (integration too)
# against the real servers on the release build. The stack is stopped afterwards
# only if this target started it.
test: build asan
	@started=$$(scripts/stack status >/dev/null 2>&1 && echo no || echo yes); \
	scripts/stack up || exit 1; \
	rc=0; \
	(cd $(ASAN_BUILD) && ctest --output-on-failure -L 'unit|fuzz' -j 2) || rc=1; \
	(cd $(BUILD) && ctest --output-on-failure) || rc=1; \
	if [ $$started = yes ]; then scripts/stack down; fi; \
	exit $$rc

demo:
	scripts/demo

bench: build
	bench/run-all

fuzz:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOB_FUZZ=ON -DOB_SANITIZE=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)

fuzz-run: fuzz
	tests/fuzz/campaign.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
