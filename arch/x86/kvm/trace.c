// SPDX-License-Identifier: GPL-2.0-only
/* The "kvm" trace events (kvm_trace.h), instantiated once for kvm.ko. */
#define CREATE_TRACE_POINTS
#include "kvm_trace.h"

/* the backends trace control register accesses they handle themselves (vmx/exits.c) */
EXPORT_TRACEPOINT_SYMBOL_GPL(kvm_cr);
