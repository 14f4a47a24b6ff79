#pragma once
/// \file
/// The variants by name, as the 2014 post named them (a contract: see docs/command.md).

#include <array>
#include <string>
#include <string_view>

namespace rankpool::cli {

enum class Variant { kSerial, kApply, kApplyAsync, kMap, kMapAsync, kImap, kImapUnordered };

inline constexpr std::array<Variant, 7> kAllVariants = {
    Variant::kSerial,   Variant::kApply, Variant::kApplyAsync,   Variant::kMap,
    Variant::kMapAsync, Variant::kImap,  Variant::kImapUnordered};

std::string_view variant_name(Variant variant);
/// Throws UsageError listing the valid names.
Variant parse_variant(std::string_view name);

}  // namespace rankpool::cli
