# OpsConductor: build, run and test. The only entry points a user needs.
#
#   make run     install missing packages, build, start the stack, Ctrl-C stops
#   make check   install what tests need, build, run every test under prove
#   make start / stop / status   the stack in the background
#   make bench   benchmarks against a started stack
#   make rotate-secrets   new secret key version, every secret re-sealed
#                under it (ARGS="--retire" removes unused old versions)
#   make SAN=1   build with AddressSanitizer and UndefinedBehaviorSanitizer

SHELL := /bin/bash
.SECONDEXPANSION:
CC ?= cc

ifeq ($(SAN),1)
BUILD ?= build-san
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
      -fno-sanitize-recover=all
SANLD = -fsanitize=address,undefined
else
BUILD ?= build
OPT = -O2 -g -D_FORTIFY_SOURCE=2
SANLD =
endif

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wcast-qual -Wsign-compare -Wformat=2 \
       -Wpointer-arith -Wundef -Wvla -Wwrite-strings -Wmissing-declarations \
       -Wold-style-definition -Wimplicit-fallthrough
CFLAGS = -std=c11 -D_GNU_SOURCE -fPIE -fstack-protector-strong $(OPT) \
	 $(WARN) -I. -Ifcgi -I/usr/include/postgresql -MMD -MP
LDFLAGS = -pie -Wl,-z,relro,-z,now $(SANLD)
LIBS = -lfcgi -lpq -ljson-c -ljwt -lssl -lcrypto -largon2 -lcurl -lssh2 \
       -lpthread -lm

FCGI_SRC = $(wildcard fcgi/*.c)
FCGI_OBJ = $(FCGI_SRC:%.c=$(BUILD)/%.o)
FCGI_LIB = $(BUILD)/lib/liboc.a

# Every handlers/<domain>/ with a main.c is a pool program.
DOMAINS = $(patsubst handlers/%/main.c,%,$(wildcard handlers/*/main.c))
# Each domain: handlers/<d>/main.c holds main(); the rest is a library so
# unit tests can link it.
define domain_rules
$(1)_SRC = $$(filter-out handlers/$(1)/main.c,$$(wildcard handlers/$(1)/*.c))
$(1)_OBJ = $$($(1)_SRC:%.c=$$(BUILD)/%.o)
$$(BUILD)/lib/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(dir $$@)
	$$(AR) rcs $$@ $$^
$$(BUILD)/bin/oc-$(1): $$(BUILD)/handlers/$(1)/main.o $$(BUILD)/lib/lib$(1).a $$(FCGI_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach d,$(DOMAINS),$(eval $(call domain_rules,$(d))))

PROGRAMS = $(DOMAINS:%=$(BUILD)/bin/oc-%)
DOMAIN_LIBS = $(DOMAINS:%=$(BUILD)/lib/lib%.a)

# The worker: worker/main.c holds main(); the rest (executors, scanner,
# scheduler) is a library the tests link too.
WORKER_SRC = $(filter-out worker/main.c,$(wildcard worker/*.c))
WORKER_OBJ = $(WORKER_SRC:%.c=$(BUILD)/%.o)
ifneq ($(WORKER_SRC),)
WORKER_LIB = $(BUILD)/lib/libworker.a
$(WORKER_LIB): $(WORKER_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
endif
ifneq ($(wildcard worker/main.c),)
PROGRAMS += $(BUILD)/bin/oc-worker
$(BUILD)/bin/oc-worker: $(BUILD)/worker/main.o $(WORKER_LIB) $(FCGI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
endif

# Test fixtures (protocol peers for tests): tests/fixtures/<name>/*.c is
# linked into build/fixtures/<name>.
FIXTURE_DIRS = $(patsubst %/,%,$(dir $(wildcard tests/fixtures/*/*.c)))
FIXTURES = $(sort $(FIXTURE_DIRS:tests/fixtures/%=$(BUILD)/fixtures/%))
fixture_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fixtures/$(1)/*.c))
# Found through secondary expansion, the objects would count as
# intermediate and be deleted after each link.
.SECONDARY: $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fixtures/*/*.c))
$(BUILD)/fixtures/%: $$(call fixture_objs,$$*) $(WORKER_LIB) $(FCGI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

TAP_SRC = $(wildcard tests/lib/*.c)
TAP_OBJ = $(TAP_SRC:%.c=$(BUILD)/%.o)
TAP_LIB = $(BUILD)/lib/libtesthelp.a
UNIT_SRC = $(wildcard tests/unit/*.c)
INTEG_SRC = $(wildcard tests/integration/*.c)
TESTS = $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%.t) \
	$(INTEG_SRC:tests/%.c=$(BUILD)/tests/%.t)

.PHONY: all deps build tests web run start stop status check bench \
	rotate-secrets format format-check clean
.DEFAULT_GOAL := all

all: $(PROGRAMS) $(TESTS) $(FIXTURES) web

build: $(PROGRAMS)
tests: $(TESTS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(FCGI_LIB): $(FCGI_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(TAP_LIB): $(TAP_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/tests/%.t: $(BUILD)/tests/%.o $(TAP_LIB) $(DOMAIN_LIBS) $(WORKER_LIB) $(FCGI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The single-page app: web/ built by npm and Vite into web/dist (npm ci
# only when node_modules is missing or the lockfile changed; no rebuild
# when nothing changed).
web:
	@scripts/web-build.sh

deps:
	@scripts/deps.sh $(DEPS_FOR)

run: DEPS_FOR = run
run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/stack.sh run

start: DEPS_FOR = run
start: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/stack.sh start

stop:
	@BUILD=$(BUILD) scripts/stack.sh stop

status:
	@BUILD=$(BUILD) scripts/stack.sh status

check: DEPS_FOR = check
check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SAN=$(SAN) T="$(T)" scripts/check.sh

rotate-secrets: $(BUILD)/bin/oc-worker
	@BUILD=$(BUILD) scripts/stack.sh rotate-secrets $(ARGS)

bench: DEPS_FOR = bench
bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san web/dist web/node_modules/.oc-dist

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
