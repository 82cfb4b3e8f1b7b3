// SPDX-License-Identifier: GPL-2.0-only
/* The instruction emulator under test, the same file kvm.ko builds (emulate_kunit.c). */
#include "../../../arch/x86/kvm/emulate.c"
