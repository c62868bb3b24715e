#pragma once
// RapidJSON 1.1.0 (Debian's rapidjson-dev, the copy cereal 1.3.2 uses) for rules/, included
// through this header only, and before any other RapidJSON header in a file.
//
// Its internal Stack is allocated lazily and its first push computes `nullptr + n`
// (internal/stack.h:117) only to compare it; clang's UBSan reports that as "applying non-zero
// offset to null pointer" (Tencent/rapidjson#1724, fixed upstream after 1.1.0). The
// pointer-overflow check is switched off for RapidJSON's own functions and nothing else.
// Remove once RapidJSON is newer than 1.1.0.

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wignored-attributes"
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/filereadstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang diagnostic pop
#endif
