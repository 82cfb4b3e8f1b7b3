# SPDX-License-Identifier: GPL-2.0-only
# Top-level build of the kvm module set. Run `make help` for the targets.
# The kernel build itself reads ./Kbuild (kbuild prefers it to this file).

VMHOST ?= amd
# The Debian kernel series the emulated host boots and the modules build against: 6.1
# (default, bookworm's own) or 6.12 (bookworm's linux-image-6.12-amd64; scripts/setup-deps
# unpacks that pair into a cache instead of installing it, scripts/kver finds it there).
VMKVER ?= 6.1
# What each goal needs installed: scripts/setup-deps runs (fast when nothing is missing) before
# KVER is computed, so a fresh machine gets its kernel pair before make looks for it.
GOALS := $(or $(MAKECMDGOALS),all)
ifneq ($(filter check check-intel run shell selftests bench kunit upstream-check upstream-oracle fuzz difftest fault soak,$(GOALS)),)
DEPS_LEVEL := $(if $(filter intel,$(VMHOST)) $(filter check-intel,$(GOALS)),--intel,--test)
else ifneq ($(filter all modules install,$(GOALS)),)
DEPS_LEVEL := --build
endif
ifdef DEPS_LEVEL
ifneq ($(shell scripts/setup-deps $(DEPS_LEVEL) $(if $(filter debug,$(VMKERNEL)),--debug) \
	--kver $(VMKVER) >&2 && echo ok),ok)
$(error scripts/setup-deps $(DEPS_LEVEL) failed)
endif
endif

# VMKERNEL=debug: the emulated host boots the debug kernel (scripts/debug-kernel: KASAN,
# lockdep, kmemleak, UBSAN, KUnit), built once into a cache outside the tree (a first build
# takes long); the modules build against its tree, the KUnit suites (tools/testing/kunit) run
# before the selftests and a kmemleak scan after them. VMKERNEL=stock (default): Debian's.
VMKERNEL ?= stock
ifeq ($(VMKERNEL),debug)
ifneq ($(filter-out help clean,$(GOALS)),)
DEBUG_KERNEL := $(shell scripts/debug-kernel $(if $(filter 1,$(DEBUG_KERNEL_CACHED_ONLY)),--cached-only))
ifeq ($(DEBUG_KERNEL),)
$(error scripts/debug-kernel found or built no debug kernel)
endif
KVER := $(shell cat $(DEBUG_KERNEL)/kernel.release)
KDIR := $(DEBUG_KERNEL)/build
KROOT := $(DEBUG_KERNEL)/root
endif
else ifneq ($(VMKERNEL),stock)
$(error VMKERNEL must be stock or debug, not '$(VMKERNEL)')
endif

# The Debian kernel the emulated host boots (the modules build against its headers); on a
# machine without that pair (a real host), the running kernel. KROOT: where its boot/ and
# lib/modules/ are when not installed (a VMKVER=6.12 pair unpacked by scripts/setup-deps).
ifndef KVER
KVER := $(or $(shell scripts/kver $(VMKVER) 2>/dev/null),$(shell uname -r))
endif
ifndef KROOT
KROOT := $(filter-out /,$(shell scripts/kver --root-of $(KVER) 2>/dev/null))
endif
KDIR ?= $(KROOT)/lib/modules/$(KVER)/build
# where the host kernel's modules are (zram.ko for swap_test)
HOST_MODDIR := $(KROOT)/lib/modules/$(KVER)
KVM ?= ours
TESTS ?=
# make check without these (names as in tests.list; upstream/NAME for Linux's own): CI leaves
# the long nested-QEMU scenarios out of its runs on 6.12 and the debug kernel
SKIP_TESTS ?=
V ?= 0
# seconds per test; Bochs (the Intel host) runs about 100 times slower than QEMU TCG, and
# the debug host kernel (KASAN, lockdep) slows the nested QEMU boot about tenfold
TIMEOUT ?= $(if $(filter intel,$(VMHOST)),1200,$(if $(filter debug,$(VMKERNEL)),600,300))
# Warnings are errors in this tree's own builds (not in DKMS builds for other kernels).
WERROR ?= 1

BUILD := $(CURDIR)/build
SELFTESTS := $(BUILD)/selftests
BENCH := $(BUILD)/bench
# make bench: kvm_bench arguments (benchmark names, -r REPS) and vmtest's work directory
BENCH_ARGS ?=
BENCH_WORKDIR ?= $(BUILD)/vmtest/bench$(if $(filter intel,$(VMHOST)),-intel)
KSFT_INC := $(BUILD)/ksft
# Linux's own KVM selftests (scripts/upstream-selftests builds them once into a cache outside
# the tree; tools/testing/upstream stages them and judges a run against the stock oracle)
UPSTREAM := tools/testing/upstream/upstream
UPSTREAM_OUT := $(BUILD)/upstream
# make check runs the ones the stock oracle passes from its own tests directory, under
# upstream/ (UPSTREAM_TESTS=0 leaves them out). The suite of the host kernel's series
# (linux-source-6.1 or linux-source-6.12), judged against that series' recorded oracle
# (tools/testing/upstream/VMKVER/VMHOST-stock.results): by default only where one is recorded.
export UPSTREAM_SERIES := $(VMKVER)
UPSTREAM_TESTS ?= $(if $(wildcard tools/testing/upstream/$(VMKVER)/$(VMHOST)-stock.results),1,0)
LINUX_SOURCE := /usr/src/linux-source-6.1.tar.xz
VMTEST := tools/testing/vmtest/vmtest

ifeq ($(WERROR),1)
KBUILD_EXTRA := KCFLAGS=-Werror
endif

KUNIT_DIR := tools/testing/kunit
KUNIT_KO := $(CURDIR)/$(KUNIT_DIR)/kvm_kunit.ko

# vmtest's work directory (its default, spelled out: make run reads the console log there)
VM_WORKDIR = $(or $(WORKDIR),$(BUILD)/vmtest/$(VMHOST)-$(KVM))
VMTEST_ARGS = --host $(VMHOST) --kvm $(KVM) --kver $(KVER) --ours $(CURDIR) \
	      --tests-dir $(SELFTESTS) --timeout $(TIMEOUT) \
	      $(if $(TESTS),--tests "$(TESTS)",$(if $(SKIP_TESTS),--tests "$$(sed -e 's/\#.*//' \
		$(SELFTESTS)/tests.list | grep -v -x -F $(addprefix -e ,$(SKIP_TESTS)) | tr '\n' ' ')")) \
	      $(if $(filter 1,$(V)),--verbose) \
	      --workdir $(VM_WORKDIR) $(if $(KROOT),--kroot $(KROOT)) \
	      $(if $(filter debug,$(VMKERNEL)),--append log_buf_len=8M \
		$(if $(filter check,$(GOALS)),--kmemleak $(if $(filter 0,$(KUNIT)),,--kunit $(KUNIT_KO))))
# The debug kernel boots slower and kmemleak scans take a while: more time for the host.
ifeq ($(VMKERNEL),debug)
export VMTEST_BOOT_SECS ?= 600
endif

# make run: Debian's QEMU boots a Linux guest on /dev/kvm in the emulated host, through the
# nested QEMU bundle's qemu-boot-guest (tools/testing/vmtest). QEMU_STAGE picks its command
# line: 2 (default), QEMU's defaults (-cpu host -smp QEMU_SMP, in-kernel irqchip); 1, the
# interrupt controller in userspace (-machine pc,kernel-irqchip=off -cpu qemu64). The boot's
# limit stays under vmtest's per-command TIMEOUT.
QEMU_STAGE ?= 2
QEMU_SMP ?= 2
RUN_CMD = lsmod && qemu-boot-guest --stage $(QEMU_STAGE) --smp $(QEMU_SMP) --live --summary \
	  --limit $(shell expr $(TIMEOUT) - 10)

all: modules

help:
	@echo 'Targets:'
	@echo '  make [modules]      build kvm.ko, kvm-amd.ko, kvm-intel.ko against KDIR ($(KDIR))'
	@echo '  make C=2            ... with sparse on every file'
	@echo '  make emulator-test  the instruction emulator checked against this CPU, in userspace'
	@echo '  make check          emulator-test, then build, boot the emulated host, run the selftests'
	@echo '  make check-intel    the whole suite on the Intel host (Bochs, slow)'
	@echo '  make upstream-check Linux'"'"'s own KVM selftests (linux-source-6.1), judged against the'
	@echo '                      stock KVM'"'"'s recorded results; make check runs those stock passes'
	@echo '  make upstream-oracle  run them on stock KVM, record its results (per VMHOST)'
	@echo '  make run            the emulated host loads the modules, Debian'"'"'s QEMU boots Linux on them'
	@echo '  make shell          a shell in the emulated host: /dev/kvm ready, qemu-system-x86_64 on PATH'
	@echo '  make bench          ours vs stock kvm-amd, one -icount AMD host: ns/op table, ratios,'
	@echo '                      the QEMU Linux boot among the rows'
	@echo '  make fuzz           the ioctl and guest fuzzers on our modules (FUZZ_TIME s each)'
	@echo '  make difftest       the same random guests and ioctl sequences on ours and stock: diff'
	@echo '  make fault VMKERNEL=debug  allocation failures injected in every step of a VM'"'"'s life'
	@echo '  make soak           SOAK_BOOTS nested QEMU boots in a row, some killed, memory checked'
	@echo '  make install        install the modules under updates/ and the /dev/kvm udev rule'
	@echo '  make selftests      build the selftests (static) into build/selftests'
	@echo '  make clean'
	@echo '  make kunit          the KUnit test module (VMKERNEL=debug: needs CONFIG_KUNIT)'
	@echo 'Variables: VMHOST=amd|intel  KVM=ours|stock  TESTS="a b"  V=1  TIMEOUT=s  KDIR=  KVER='
	@echo '           VMKVER=6.1|6.12 (the Debian kernel series of the emulated host; 6.12 is'
	@echo '           unpacked into /var/cache/kvm-ours/kernels, not installed; no upstream tests)'
	@echo '           VMKERNEL=stock|debug (debug: KASAN/lockdep/kmemleak/UBSAN host kernel,'
	@echo '           built once into /var/cache/kvm-ours; KUnit suites and a kmemleak scan'
	@echo '           in make check; KUNIT=0 skips the suites)'
	@echo '           WORKDIR=dir (the harness work directory: one per concurrent run)'
	@echo '           DEMO=net|blk|balloon|ksm|migrate|libvirt|perf (make run: an end-to-end'
	@echo '           scenario instead of the plain boot, live, with its checks)'
	@echo '           QEMU_STAGE=1|2 (make run: the interrupt controller in userspace, or QEMU'"'"'s'
	@echo '           defaults with the in-kernel irqchip) QEMU_SMP=n (stage 2 vCPUs, default 2)'
	@echo '           BENCH_ARGS="-r REPS NAME..." BENCH_WORKDIR=dir (make bench)'
	@echo '           UPSTREAM_TESTS=0 (make check without Linux'"'"'s own selftests)'
	@echo '           FUZZ_TIME=s FUZZ_SEED=n FUZZ_ARGS=args SOAK_BOOTS=n FAULT_PROBABILITY=percent (fuzz,'
	@echo '           difftest, fault, soak; tools/testing/fuzz/README.md)'

modules:
	@test -e $(KDIR)/Makefile || { echo "No kernel headers at KDIR=$(KDIR): install" \
		"linux-headers-$(KVER), or run scripts/setup-deps --test for the test kernel." >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_EXTRA) modules

$(KSFT_INC)/kselftest.h:
	@mkdir -p $(KSFT_INC)
	tar -xJf $(LINUX_SOURCE) --occurrence=1 -O \
		linux-source-6.1/tools/testing/selftests/kselftest.h > $@.tmp
	mv $@.tmp $@

selftests: $(KSFT_INC)/kselftest.h
	$(MAKE) -C tools/testing/selftests/kvm OUTPUT=$(SELFTESTS) KSFT_INC=$(KSFT_INC) \
		HOST_MODDIR=$(HOST_MODDIR)
	$(MAKE) -C tools/kvm-info OUTPUT=$(SELFTESTS)

# The instruction emulator built in userspace, checked against this CPU: no kernel, no VM.
emulator-test:
	$(MAKE) -C tools/testing/emulator OUTPUT=$(BUILD)/emulator V=$(V) run

# KUnit suites of the module's logic, a module of their own (tools/testing/kunit): it runs
# only on a kernel with CONFIG_KUNIT (VMKERNEL=debug); against Debian's headers, whose kernel
# has no KUnit, this is a compile check (modpost lets the KUnit symbols stay undefined).
kunit:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(KUNIT_DIR) $(KBUILD_EXTRA) \
		$(if $(filter debug,$(VMKERNEL)),,KBUILD_MODPOST_WARN=1) modules

check: emulator-test modules selftests $(if $(filter debug,$(VMKERNEL)),$(if $(filter 0,$(KUNIT)),,kunit))
ifeq ($(UPSTREAM_TESTS),1)
	@u=$$(scripts/upstream-selftests) && names=$$($(UPSTREAM) select check $(KVM) $(VMHOST)) && \
	$(UPSTREAM) insert $(SELFTESTS)/tests.list upstream $$names && \
	$(UPSTREAM) stage "$$u" $(SELFTESTS)/upstream --only \
		$(if $(TESTS),$(patsubst upstream/%,%,$(filter upstream/%,$(TESTS))),$$names)
else
	@echo "make check: without Linux's own KVM selftests (UPSTREAM_TESTS=0$(if $(wildcard tools/testing/upstream/$(VMKVER)/$(VMHOST)-stock.results),,: no stock oracle recorded for $(VMKVER) on $(VMHOST), make upstream-oracle records one))"
	@$(UPSTREAM) insert $(SELFTESTS)/tests.list upstream
	@rm -rf $(SELFTESTS)/upstream
endif
	$(VMTEST) $(VMTEST_ARGS)

# Linux's own KVM selftests, all of them (or TESTS="a b"), judged against the stock oracle
# recorded for this host (tools/testing/upstream/6.1/VMHOST-stock.results): fails when a
# test that passes on stock does not pass here. Per-test arguments: tools/testing/upstream/args.
upstream-check: modules upstream-kver
	@u=$$(scripts/upstream-selftests) && $(UPSTREAM) stage "$$u" $(UPSTREAM_OUT) $(if $(TESTS),--only $(TESTS))
	@mkdir -p $(dir $(VM_WORKDIR)); rc=0; \
	$(VMTEST) $(subst --tests-dir $(SELFTESTS),--tests-dir $(UPSTREAM_OUT),$(VMTEST_ARGS)) \
		| tee $(VM_WORKDIR).upstream.report || rc=$$?; \
	$(UPSTREAM) judge $(VM_WORKDIR).upstream.report $(KVM) $(VMHOST) || rc=1; exit $$rc

# Run every upstream test on the stock in-tree KVM and record the result as the oracle
# (a result that depends only on the kernel: CI does not spend its time on it).
upstream-oracle: modules upstream-kver
	@u=$$(scripts/upstream-selftests) && $(UPSTREAM) stage "$$u" $(UPSTREAM_OUT) $(if $(TESTS),--only $(TESTS))
	@mkdir -p $(dir $(VM_WORKDIR)); \
	$(VMTEST) $(subst --kvm $(KVM),--kvm stock,$(subst --tests-dir $(SELFTESTS),--tests-dir $(UPSTREAM_OUT),$(VMTEST_ARGS))) \
		| tee $(VM_WORKDIR).upstream.report || true
	KVER=$(KVER) $(UPSTREAM) record $(VM_WORKDIR).upstream.report $(VMHOST) \
		$$(scripts/upstream-selftests)/tests.list

# scripts/upstream-selftests builds the suite of the host kernel's series (6.1 or 6.12): a
# suite is judged only on the kernel it comes with
upstream-kver:
	@case "$(VMKVER)" in 6.1|6.12) ;; *) echo "Linux's own KVM selftests are built" \
		"for VMKVER=6.1 and 6.12, not $(VMKVER)" >&2; exit 1 ;; esac

check-intel:
	$(MAKE) check VMHOST=intel

# The summary line again at the end, after the host's power-off messages.
# make run DEMO=NAME: instead of the plain boot, one of the end-to-end scenarios, live: the
# selftest script that checks it (its TAP lines, then its summary): net (vhost-net and
# userspace virtio-net: TCP and ping6 over a tap link), blk, balloon, ksm (two guests
# merged), migrate (live migration, in-kernel irqchip, 2 vCPUs), libvirt, perf (perf kvm
# stat and trace-cmd). The bundle extras come with the test (its qemu.list line).
DEMO ?=
DEMO_TEST.net := vhost_net_test
DEMO_TEST.blk := virtio_blk_test
DEMO_TEST.balloon := virtio_balloon_test
DEMO_TEST.ksm := ksm_two_guests_test
DEMO_TEST.migrate := live_migration_stage2_test
DEMO_TEST.libvirt := libvirt_test
DEMO_TEST.perf := perf_kvm_stat_test

run: modules selftests
ifneq ($(DEMO),)
	@test -n "$(DEMO_TEST.$(DEMO))" || { echo "make run: DEMO is one of net blk balloon ksm" \
		"migrate libvirt perf, not '$(DEMO)'" >&2; exit 2; }
	@rc=0; $(VMTEST) $(VMTEST_ARGS) --qemu-extra "$$(awk '$$1 == "$(DEMO_TEST.$(DEMO))" \
		{ $$1 = ""; print }' $(SELFTESTS)/qemu.list)" --run "./$(DEMO_TEST.$(DEMO))" || rc=$$?; \
	echo "make run DEMO=$(DEMO): $(DEMO_TEST.$(DEMO)) $$(test $$rc = 0 && echo passed || echo failed) on $(KVM) KVM"; \
	exit $$rc
else
	@rc=0; $(VMTEST) $(VMTEST_ARGS) --qemu --run "$(RUN_CMD)" || rc=$$?; \
	sed -n 's/\r$$//; /^summary: /p' $(VM_WORKDIR)/console.log | tail -n 1; exit $$rc
endif

shell: modules selftests
	$(VMTEST) $(VMTEST_ARGS) --qemu --shell

bench-build: $(KSFT_INC)/kselftest.h
	$(MAKE) -C tools/testing/bench OUTPUT=$(BENCH) KSFT_INC=$(KSFT_INC)

# Deterministic timing (QEMU -icount on AMD, Bochs' instruction clock on Intel); both module
# sets in one boot.
bench: modules bench-build
	tools/testing/bench/bench --host $(VMHOST) --kver $(KVER) $(if $(KROOT),--kroot $(KROOT)) --ours $(CURDIR) --dir $(BENCH) \
		--workdir $(BENCH_WORKDIR) $(if $(BENCH_ARGS),-- $(BENCH_ARGS))

# Hostile input (tools/testing/fuzz/README.md): the fuzzers, the differential test against
# the stock module, allocation-failure injection and the nested-QEMU soak, each a test of the
# fuzz tests directory run in the emulated host; fuzz.conf carries the bounds and the seed.
# On the debug kernel (VMKERNEL=debug) kmemleak scans after each run.
FUZZ := $(BUILD)/fuzz
FUZZ_TIME ?= 60
FUZZ_SEED ?=
# difftest_guest: a program count instead of FUZZ_TIME (the same programs on any machine)
FUZZ_PROGRAMS ?=
# more kvm_ioctl_fuzz arguments for make fuzz (e.g. --emu-unsafe, --skip KVM_RUN)
FUZZ_ARGS ?=
SOAK_BOOTS ?= 100
FAULT_PROBABILITY ?= 2
# selftests that make fault runs with allocations failing at random
FUZZ_SELFTESTS := vm_lifecycle_test guest_modes_test vcpu_state_test irqfd_test ioeventfd_test \
		  dirty_log_test lapic_ipi_test
FUZZ_VMTEST = $(VMTEST) --host $(VMHOST) --kver $(KVER) --ours $(CURDIR) --tests-dir $(FUZZ) \
	      --workdir $(or $(WORKDIR),$(BUILD)/vmtest/$@-$(VMHOST)) $(if $(filter 1,$(V)),--verbose) \
	      $(if $(KROOT),--kroot $(KROOT)) \
	      $(if $(filter debug,$(VMKERNEL)),--append log_buf_len=8M --kmemleak)

fuzz-build: selftests
	$(MAKE) -C tools/testing/fuzz OUTPUT=$(FUZZ) KSFT_INC=$(KSFT_INC)
	@mkdir -p $(FUZZ)/selftests
	cp $(addprefix $(SELFTESTS)/,$(FUZZ_SELFTESTS)) $(FUZZ)/selftests/
	@printf 'FUZZ_TIME=%s\nFUZZ_SEED=%s\nFUZZ_PROGRAMS=%s\nSOAK_BOOTS=%s\nFAULT_PROBABILITY=%s\nFUZZ_ARGS="%s"\n' \
		'$(FUZZ_TIME)' '$(FUZZ_SEED)' '$(FUZZ_PROGRAMS)' '$(SOAK_BOOTS)' \
		'$(FAULT_PROBABILITY)' '$(FUZZ_ARGS)' >$(FUZZ)/fuzz.conf

fuzz: modules fuzz-build
	$(FUZZ_VMTEST) --kvm $(KVM) --tests "ioctl_fuzz guest_fuzz" --timeout $$(( $(FUZZ_TIME) * 3 + 300 ))

# both module sets staged in one boot; each test loads one, then the other
difftest: modules fuzz-build
	$(FUZZ_VMTEST) --kvm both --tests "difftest_ioctl difftest_guest" \
		--timeout $$(( $(FUZZ_TIME) * 6 + 300 ))

fault: modules fuzz-build
	@test "$(VMKERNEL)" = debug || { echo "make fault needs the debug host kernel" \
		"(fault injection): make fault VMKERNEL=debug" >&2; exit 1; }
	$(FUZZ_VMTEST) --kvm $(KVM) --alloc-failures --tests fault_inject \
		--timeout $$(( $(FUZZ_TIME) * 12 + 1800 ))

soak: modules fuzz-build
	$(FUZZ_VMTEST) --kvm $(KVM) --tests soak --timeout $$(( $(SOAK_BOOTS) * 90 + 300 ))

# DESTDIR: stage into a directory (packaging) instead of the live system.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	install -D -m 0644 scripts/65-kvm.rules $(DESTDIR)/etc/udev/rules.d/65-kvm.rules
	$(if $(DESTDIR),,getent group kvm >/dev/null || groupadd --system kvm)
	$(if $(DESTDIR),,depmod -a $(KVER))

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(KUNIT_DIR) clean 2>/dev/null || true
	rm -rf $(BUILD)

.PHONY: all help modules selftests emulator-test kunit check check-intel run shell bench bench-build fuzz-build fuzz difftest fault soak install clean \
	upstream-check upstream-oracle upstream-kver
