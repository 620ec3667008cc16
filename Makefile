# certferry - ACME certificate connector.
#
#   make            build ./certferry (needs the packages of scripts/install-deps.sh)
#   make demo       install what is missing, build, enroll against a local Pebble
#   make check      install what is missing, build, run every test
#   make check-asan the same tests on an AddressSanitizer+UBSan build
#   make checksrc   the style checker alone (also part of make check;
#                   docs/CONTRIBUTING.md)
#   make bench      measure one issuance (docs/PERFORMANCE.md)
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (default 30;
#                   FUZZ=fuzz_pem for one; needs clang; docs/FUZZING.md)
#   make install    install binary and man page under $(PREFIX)
#
# Sources are found by directory: a new .c under src/ joins the library,
# a new tests/unit/test_*.c becomes a cmocka binary, tests/tools/*.c a tool,
# tests/fuzz/fuzz_*.c a fuzz target (a replay binary for the tests, and a
# libFuzzer binary for `make fuzz`).

PREFIX   ?= /usr/local
BUILD    ?= build
CC       ?= cc
PKGS      = libcurl jansson libxml-2.0 openssl ldns libidn2 libseccomp inih
CFLAGS   ?= -O2 -g
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -fno-common -Isrc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libxml2 and libcurl are not linked: src/iis/appconfig.c loads libxml2
# when it first parses an applicationHost.config, src/http/curlload.c
# libcurl when a process first talks HTTP (docs/PERFORMANCE.md).
PKG_LIBS   = $(shell pkg-config --libs $(filter-out libcurl libxml-2.0,$(PKGS)) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -ldl -lpthread

LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/cli/main.c'))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

.PHONY: all deps demo check check-asan checksrc test build-tests bench install \
	clean fuzz fuzz-targets

all: $(BUILD)/certferry
	@ln -sf $(BUILD)/certferry certferry

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -DCF_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

$(BUILD)/libcertferry.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# GnuTLS (loaded with libcurl, never used) looks up main.c's
# _gnutls_global_init_skip when it is loaded: the program exports it.
$(BUILD)/certferry: $(BUILD)/src/cli/main.o $(BUILD)/libcertferry.a
	$(CC) $(CFLAGS) $(LDFLAGS) \
		-Wl,--export-dynamic-symbol=_gnutls_global_init_skip \
		-o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcertferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< \
		$(BUILD)/libcertferry.a $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libcertferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libcertferry.a $(LDLIBS)

# A fuzz target with tests/fuzz/replay.c's main: replays files (any cc).
$(BUILD)/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h \
		$(BUILD)/libcertferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ $< \
		tests/fuzz/replay.c $(BUILD)/libcertferry.a $(LDLIBS)

# A fuzz target linked with libFuzzer (scripts/fuzz.sh builds these with
# clang and -fsanitize=fuzzer-no-link in CFLAGS).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libcertferry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS) \
		-o $@ $< $(BUILD)/libcertferry.a $(LDLIBS)

fuzz-targets: $(FUZZ_BIN)

build-tests: $(BUILD)/certferry $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_REPLAY)

deps:
	@scripts/install-deps.sh

demo: deps
	@$(MAKE) --no-print-directory all build-tests
	@scripts/demo.sh

# The test run ends with the line "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all build-tests
	@BUILD=$(BUILD) tests/run.sh

test: build-tests
	@BUILD=$(BUILD) tests/run.sh

checksrc:
	@scripts/checksrc
	@scripts/checkdeps

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" build-tests
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

# libFuzzer with ASan+UBSan (clang), FUZZ_SECONDS per target; new corpus
# entries and crashes go under build/fuzz-clang/, never into tests/fuzz/.
fuzz:
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30) scripts/fuzz.sh $(FUZZ)

bench: deps
	@$(MAKE) --no-print-directory all build-tests >&2
	@scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/certferry $(DESTDIR)$(PREFIX)/bin/certferry
	install -m 0644 docs/certferry.1 $(DESTDIR)$(PREFIX)/share/man/man1/certferry.1

clean:
	rm -rf build build-asan certferry

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
