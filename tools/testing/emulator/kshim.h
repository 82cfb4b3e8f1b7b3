/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What arch/x86/kvm/emulate.[ch] take from the kernel, for building them in userspace: the
 * fixed-size types, bool, memcpy/memset. Included with -include before everything else.
 */
#ifndef EMULATOR_TEST_KSHIM_H
#define EMULATOR_TEST_KSHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#endif
