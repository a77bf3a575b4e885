// SPDX-License-Identifier: MIT
// Status strings and the thread-local message behind bp_last_error().
#include <stdio.h>
#include <string.h>

#include "bp_internal.h"

static _Thread_local char last_error[512];

// Formats into a local buffer first: callers may pass bp_last_error() itself
// as an argument to wrap a message with context.
bp_status bp_fail(bp_status status, const char *fmt, ...) {
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return status;
}

void bp_clear_error(void) { last_error[0] = '\0'; }

const char *bp_last_error(void) { return last_error; }

const char *bp_status_string(bp_status status) {
    switch (status) {
    case BP_STATUS_OK: return "ok";
    case BP_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case BP_STATUS_INVALID_STATE: return "invalid state";
    case BP_STATUS_OUT_OF_MEMORY: return "out of memory";
    case BP_STATUS_INVALID_ISA: return "invalid ISA name";
    case BP_STATUS_UNSUPPORTED_ISA: return "unsupported ISA";
    case BP_STATUS_IO_ERROR: return "I/O error";
    case BP_STATUS_FORMAT_ERROR: return "format error";
    case BP_STATUS_NUMERIC_ERROR: return "numeric error";
    case BP_STATUS_STOPPED: return "stopped";
    }
    return "unknown status";
}

const char *bp_version(void) { return BP_VERSION_STRING; }
