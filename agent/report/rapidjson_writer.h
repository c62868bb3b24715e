#pragma once
// RapidJSON's Writer and StringBuffer for agent/report, included through this header only.
//
// RapidJSON 1.1.0 (Debian's rapidjson-dev) computes `stackTop_ + n` on its lazily allocated,
// still-null internal stack on the first push (internal/stack.h:117), which clang's UBSan
// reports as "applying non-zero offset to null pointer" (Tencent/rapidjson#1724, fixed
// upstream after 1.1.0 in 16872af). The arithmetic is only compared, never dereferenced, so
// the pointer-overflow check is switched off for RapidJSON's own functions here, and nothing
// else. Remove once RapidJSON is newer than 1.1.0.

#if defined(__clang__)
// Functions of the standard library that RapidJSON redeclares keep their own attributes.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wignored-attributes"
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang diagnostic pop
#endif
