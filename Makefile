# tessera: one non-recursive GNU make file.
#
#   make            build everything into build/
#   make deps       install the Debian packages that are missing (needs root)
#   make check      deps + build + every test; ends with "N passed, N failed, N skipped"
#   make demo       deps + build + the end-to-end demonstration (needs root)
#   make bench      benchmarks, printed beside their baselines
#   make install    DESTDIR/PREFIX honoured
#   make format     clang-format every C file;  make lint: format check + cppcheck
#
# Overrides go in config.mk (CC, CFLAGS, PREFIX ...). SANITIZE=1 builds with ASan+UBSan.

-include config.mk

VERSION  := 0.1.0

CC       ?= cc
# SANITIZE=1 builds into build-san/: it never clobbers build/.
B        ?= $(if $(filter 1,$(SANITIZE)),build-san,build)
PREFIX   ?= /usr
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/tessera
RUNDIR   ?= /run/tessera
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR   ?= $(PREFIX)/lib/$(MULTIARCH)
NSSDIR   ?= $(LIBDIR)
PAMDIR   ?= $(LIBDIR)/security
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share/tessera
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SLAPD_MODULEDIR ?= /usr/lib/ldap

OPT      ?= -O2
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror
CFLAGS   ?= -g
SAN      :=
ifeq ($(SANITIZE),1)
OPT      := -O1
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
FORTIFY  := $(if $(filter -O0,$(OPT)),,-D_FORTIFY_SOURCE=2)
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(OPT) $(CFLAGS) $(WARN) $(SAN) $(FORTIFY) -fPIC -fvisibility=hidden \
              -fstack-protector-strong -ffunction-sections -fdata-sections -Ilib -I/usr/include/iniparser \
              -DTSR_SYSCONFDIR='"$(SYSCONFDIR)"' -DTSR_STATEDIR='"$(STATEDIR)"' \
              -DTSR_RUNDIR='"$(RUNDIR)"' -DTSR_DATADIR='"$(DATADIR)"' \
              -DTSR_SLAPD_MODULEDIR='"$(SLAPD_MODULEDIR)"' -DTSR_VERSION='"$(VERSION)"'
LDFLAGS  ?=
ALL_LDFLAGS := $(SAN) $(LDFLAGS) -Wl,-z,relro,-z,now
MODULE_LDFLAGS := -shared -Wl,-z,defs $(ALL_LDFLAGS)
LDAP_LIBS := -lldap -llber
LIBS     := $(LDAP_LIBS) -lsodium -liniparser -lpthread


# Debian packages: build, runtime and test. `make deps` installs the missing ones.
DEB_PKGS := build-essential libldap-dev libpam0g-dev libsodium-dev libiniparser-dev \
            slapd ldap-utils openssl pamtester openssh-server openssh-client sshpass expect \
            util-linux procps iproute2 valgrind clang perl python3 man-db

.PHONY: all deps check demo bench install format lint clean unit integration
# Keep intermediate objects (harness.o ...): nothing is deleted behind the test totals.
.SECONDARY:
# Components appear in `all` as their sources land.
all: $(B)/tessera $(B)/tessera.bash $(if $(wildcard tools/tesserad/*.c),$(B)/tesserad) \
     $(if $(wildcard pam_module/*.c),$(B)/pam_tessera.so) \
     $(if $(wildcard nss_module/*.c),$(B)/libnss_tessera.so.2) $(B)/tessera_pwcheck.so $(B)/tessera_guard.so unit-build

# ---- internal library (PIC, never installed) ----
LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)

Q        := $(if $(V),,@)
$(B)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libtessera.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# ---- admin tool: every tools/tessera/*.c, plus the embedded LDIF templates ----
TOOL_SRC := $(wildcard tools/tessera/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o) $(B)/gen/templates.o
TEMPLATES := $(wildcard etc/ldap/*.ldif.in) etc/ldap/tessera.ldif

$(B)/gen/templates.c: $(TEMPLATES) tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(B)/gen/templates.o: $(B)/gen/templates.c
	$(CC) $(ALL_CFLAGS) -Itools/tessera -c -o $@ $<

$(B)/tessera: $(TOOL_OBJ) $(B)/libtessera.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(TOOL_OBJ) $(B)/libtessera.a $(LIBS)

# ---- daemon ----
DAEMON_SRC := $(wildcard tools/tesserad/*.c)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
$(B)/tesserad: $(DAEMON_OBJ) $(B)/libtessera.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(DAEMON_OBJ) $(B)/libtessera.a $(LIBS)

# ---- hosted modules: export only their entry points ----
# -z nodelete: libldap and Cyrus SASL set up global state once per load and never free it;
# unloaded at every pam_end(), the module leaked it once per transaction (E15, valgrind).
$(B)/pam_tessera.so: $(B)/pam_module/pam_tessera.o $(B)/libtessera.a pam_module/pam_tessera.map
	$(CC) $(MODULE_LDFLAGS) -Wl,-z,nodelete -Wl,--version-script=pam_module/pam_tessera.map -o $@ \
	    $(B)/pam_module/pam_tessera.o $(B)/libtessera.a $(LIBS) -lpam

# The NSS module links libc alone: only the objects it names, never ldapc/cfg/hash; and of
# those only the functions it calls (--gc-sections drops the image writer, among others).
NSS_LIB_OBJ := $(filter $(B)/lib/cache.o $(B)/lib/cache_format.o $(B)/lib/util.o $(B)/lib/validate.o,$(LIB_OBJ))
$(B)/libnss_tessera.so.2: $(B)/nss_module/nss_tessera.o $(NSS_LIB_OBJ) nss_module/nss_tessera.map
	$(CC) $(MODULE_LDFLAGS) -Wl,--gc-sections -Wl,--version-script=nss_module/nss_tessera.map \
	    -Wl,-soname,libnss_tessera.so.2 -o $@ $(B)/nss_module/nss_tessera.o $(NSS_LIB_OBJ)

# ---- slapd password check module (ppolicy pwdCheckModule): lib/pwpolicy on libc alone.
# `tessera server init` names it by absolute path: next to the tool (build tree) or in
# $(SLAPD_MODULEDIR) (installed).
# Built without sanitizers even with SANITIZE=1: slapd (not instrumented) loads it.
PWCHECK_SRC := ppolicy_module/tessera_pwcheck.c lib/pwpolicy.c lib/util.c lib/validate.c
PWCHECK_OBJ := $(PWCHECK_SRC:%.c=$(B)/pwcheck/%.o)
$(B)/pwcheck/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SAN),$(ALL_CFLAGS)) -MMD -MP -c -o $@ $<
$(B)/tessera_pwcheck.so: $(PWCHECK_OBJ) ppolicy_module/tessera_pwcheck.map
	$(CC) $(filter-out $(SAN),$(MODULE_LDFLAGS)) \
	    -Wl,--version-script=ppolicy_module/tessera_pwcheck.map -o $@ $(PWCHECK_OBJ)

# ---- slapd guard (SLAPI pre-operation plugin): lib/perm's table for every write that
# reaches the directory. slapd resolves the slapi_* symbols when it loads the plugin, so
# no -z defs. Built without sanitizers, like the check module.
GUARD_SRC := guard_module/tessera_guard.c lib/perm.c lib/account.c lib/photo.c lib/util.c \
             lib/validate.c lib/phone.c lib/hash.c lib/profile.c lib/secret.c
GUARD_OBJ := $(GUARD_SRC:%.c=$(B)/guard/%.o)
$(B)/guard/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SAN),$(ALL_CFLAGS)) -MMD -MP -c -o $@ $<
$(B)/tessera_guard.so: $(GUARD_OBJ) guard_module/tessera_guard.map
	$(CC) -shared $(filter-out $(SAN),$(ALL_LDFLAGS)) \
	    -Wl,--version-script=guard_module/tessera_guard.map -o $@ $(GUARD_OBJ) -lsodium -lpthread

# ---- tests ----
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
HELPER_SRC := $(wildcard tests/integration/*.c)
HELPER_BIN := $(HELPER_SRC:tests/integration/%.c=$(B)/tests/integration/%)
.PHONY: unit-build
unit-build: $(UNIT_BIN) $(HELPER_BIN)

$(B)/tests/unit/%: tests/unit/%.c $(B)/tests/unit/harness.o $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(B)/tests/unit/harness.o \
	    $(B)/libtessera.a $(LIBS)

# The verb table's test links the tool's objects (all but main).
TOOL_LIB_OBJ := $(filter-out $(B)/tools/tessera/main.o,$(TOOL_OBJ))
$(B)/tests/unit/test_verbs: tests/unit/test_verbs.c $(B)/tests/unit/harness.o $(TOOL_LIB_OBJ) \
    $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Itools/tessera $(ALL_LDFLAGS) -o $@ $< \
	    $(B)/tests/unit/harness.o $(TOOL_LIB_OBJ) $(B)/libtessera.a $(LIBS)

$(B)/tests/integration/%: tests/integration/%.c $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libtessera.a $(LIBS) -lpam -ldl

# ---- fuzzing: `make check` replays each corpus; `make fuzz` runs libFuzzer (clang) ----
FUZZ_SRC := $(filter-out tests/fuzz/fuzz_main.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/tests/fuzz/replay_%)
FUZZ_SECONDS ?= 60
unit-build: $(FUZZ_REPLAY)

$(B)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_main.c $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/fuzz_main.c $(B)/libtessera.a $(LIBS)

# libFuzzer binaries: the library built with coverage, each target linked with the fuzzer.
$(B)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(ALL_LDFLAGS) -o $@ $< $(B)/libtessera.a $(LIBS)

fuzz-targets: $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/tests/fuzz/fuzz_%)

.PHONY: fuzz fuzz-targets
fuzz: deps
	$(MAKE) B=build-fuzz CC=clang SANITIZE=1 CFLAGS="-g -fsanitize=fuzzer-no-link" fuzz-targets
	@for t in $(or $(FUZZ_TARGETS),$(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)); do \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s (log: build-fuzz/fuzz-$$t.log)"; \
	    mkdir -p build-fuzz/corpus/$$t; \
	    build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	        >build-fuzz/fuzz-$$t.log 2>&1; rc=$$?; \
	    grep -E '^(stat::number_of_executed_units|stat::new_units_added|==|SUMMARY)' \
	        build-fuzz/fuzz-$$t.log; \
	    [ $$rc -eq 0 ] || { echo "FAIL fuzz $$t: see build-fuzz/crash-$$t-*"; exit 1; }; done

# make bench: the NSS benchmark driver (tests/bench/bench_nss.sh)
BENCH_BIN := $(B)/tests/bench/nss_bench
$(B)/tests/bench/nss_bench: tests/bench/nss_bench.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -ldl
bench: $(BENCH_BIN)
# A PAM module for tests (a stand-in for a quality module stacked above pam_tessera).
$(B)/tests/integration/pam_settok.so: tests/integration/modules/pam_settok.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(MODULE_LDFLAGS) -o $@ $< -lpam
unit-build: $(B)/tests/integration/pam_settok.so
# faults: an LD_PRELOAD shim that steps one process's wall clock (host_clock.sh)
$(B)/tests/integration/clockshift.so: tests/integration/modules/clockshift.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(MODULE_LDFLAGS) -o $@ $< -ldl
unit-build: $(B)/tests/integration/clockshift.so

# make bench: PAM login latency (tests/bench/bench_pam.sh)
$(B)/tests/bench/pam_bench: tests/bench/pam_bench.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpam -lldap -llber \
	    -Wl,--no-as-needed -lsodium -liniparser
unit-build: $(B)/tests/bench/pam_bench

# make soak: the load tier (tests/soak/soak.sh; SOAK_SECONDS, default 600). Its login
# driver is built with the tests, since make check runs 20 s of it (robust_soak.sh).
$(B)/tests/soak/soak_login: tests/soak/soak_login.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpam -lldap -llber \
	    -Wl,--no-as-needed -lsodium -liniparser
unit-build: $(B)/tests/soak/soak_login

TEST_ENV := TSR_SRC=$(CURDIR) TSR_BUILD=$(abspath $(B)) TSR_SANITIZE=$(SANITIZE)

check: deps all
	@$(TEST_ENV) bash tests/run.sh $(T)

unit: all
	@$(TEST_ENV) bash tests/run.sh unit $(T)

integration: all
	@$(TEST_ENV) bash tests/run.sh integration $(T)

demo: deps all
	@$(TEST_ENV) bash tools/demo.sh

bench: deps all
	@$(TEST_ENV) bash tests/bench/run.sh

.PHONY: soak
SOAK_SECONDS ?= 600
soak: deps all
	@$(TEST_ENV) SOAK_SECONDS=$(SOAK_SECONDS) bash tests/soak/soak.sh

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	        || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then echo "make deps: missing packages:$$missing (run as root)" >&2; exit 1; fi; \
	    echo "make deps: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing; \
	fi

install: all
	install -D -m 0755 $(B)/tessera $(DESTDIR)$(PREFIX)/bin/tessera
	install -D -m 0755 $(B)/tesserad $(DESTDIR)$(SBINDIR)/tesserad
	install -D -m 0644 $(B)/pam_tessera.so $(DESTDIR)$(PAMDIR)/pam_tessera.so
	install -D -m 0644 $(B)/libnss_tessera.so.2 $(DESTDIR)$(NSSDIR)/libnss_tessera.so.2
	install -D -m 0644 $(B)/tessera_pwcheck.so $(DESTDIR)$(SLAPD_MODULEDIR)/tessera_pwcheck.so
	install -D -m 0644 $(B)/tessera_guard.so $(DESTDIR)$(SLAPD_MODULEDIR)/tessera_guard.so
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/tessera $(DESTDIR)$(STATEDIR)
	[ -e $(DESTDIR)$(SYSCONFDIR)/tessera/tessera.conf ] || \
	    install -m 0644 etc/tessera/tessera.conf $(DESTDIR)$(SYSCONFDIR)/tessera/tessera.conf
	install -D -m 0644 etc/ldap/tessera.ldif $(DESTDIR)$(DATADIR)/tessera.ldif
	install -D -m 0644 etc/ldap/tessera.schema $(DESTDIR)$(DATADIR)/tessera.schema
	for f in etc/pam.d/* etc/nsswitch.conf.example; do \
	    install -D -m 0644 $$f $(DESTDIR)$(DATADIR)/examples/$${f#etc/}; done
	for f in $(wildcard etc/systemd/*); do \
	    install -D -m 0644 $$f $(DESTDIR)/lib/systemd/system/$${f##*/}; done
	for m in $(wildcard man/*.[1-8]); do \
	    install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	install -D -m 0644 $(B)/tessera.bash $(DESTDIR)$(BASHCOMPDIR)/tessera

# bash completion and the man page's synopsis are made from the tool's verb table.
$(B)/tessera.bash: $(B)/tessera
	$(B)/tessera help --bash-completion > $@.tmp && mv $@.tmp $@

.PHONY: man
man: $(B)/tessera
	{ sed '/^\.\\" Made by `tessera help --man`/q' man/tessera.1; $(B)/tessera help --man; \
	  sed -n '/^\.\\" End of the made synopsis/,$$p' man/tessera.1; } > man/tessera.1.tmp
	mv man/tessera.1.tmp man/tessera.1

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(C_FILES)

lint:
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck -q --error-exitcode=1 --enable=warning,portability --inline-suppr --library=tools/cppcheck.cfg \
	    -I lib -I /usr/include/iniparser $(filter %.c,$(C_FILES))

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- sanitizers, fuzzing, leaks (tests/fuzz, tests/integration/robust_leaks.sh) ----
# fuzz_cache drives the NSS module's own entry points: it links nss_tessera.o as well.
$(B)/tests/fuzz/replay_cache: tests/fuzz/fuzz_cache.c tests/fuzz/fuzz_main.c \
    $(B)/nss_module/nss_tessera.o $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LIBS)
$(B)/tests/fuzz/fuzz_cache: tests/fuzz/fuzz_cache.c $(B)/nss_module/nss_tessera.o $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
# The cache seeds are valid images from the real writer: `make fuzz-corpus-cache`.
$(B)/tests/fuzz/gen_cache: tests/fuzz/gen_cache.c $(B)/libtessera.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
.PHONY: fuzz-corpus-cache
fuzz-corpus-cache: $(B)/tests/fuzz/gen_cache
	mkdir -p tests/fuzz/corpus/cache && $< tests/fuzz/corpus/cache
# make leakcheck: robust_leaks.sh with LEAK_ITERS NSS lookup rounds and PAM transactions under
# valgrind (E15); LEAK_PAM_ITERS overrides the PAM count. Figures: docs/performance.md,
# "Sanitizers, fuzzing and leaks".
LEAK_ITERS ?= 100000
.PHONY: leakcheck
leakcheck: deps all
	@$(TEST_ENV) LEAK_NSS_ITERS=$(LEAK_ITERS) LEAK_PAM_ITERS=$(or $(LEAK_PAM_ITERS),$(LEAK_ITERS)) \
	    bash tests/run.sh integration robust_leaks
