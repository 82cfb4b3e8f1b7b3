# shellcheck shell=bash
# Bundle extra "perf": Debian's perf (linux-perf) and trace-cmd with their libraries, for
# the tests that read KVM's trace events with them (perf_kvm_stat_test). Sourced by vmtest.
bundle_bin perf trace-cmd
