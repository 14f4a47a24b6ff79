#include "cli/variant.hpp"

#include "rankpool/errors.hpp"

namespace rankpool::cli {

std::string_view variant_name(Variant variant) {
  switch (variant) {
    case Variant::kSerial:
      return "serial";
    case Variant::kApply:
      return "apply";
    case Variant::kApplyAsync:
      return "apply_async";
    case Variant::kMap:
      return "map";
    case Variant::kMapAsync:
      return "map_async";
    case Variant::kImap:
      return "imap";
    case Variant::kImapUnordered:
      return "imap_unordered";
  }
  return "?";
}

Variant parse_variant(std::string_view name) {
  for (Variant variant : kAllVariants)
    if (variant_name(variant) == name) return variant;
  throw UsageError("--variant must be one of serial, apply, apply_async, map, map_async, imap, imap_unordered; not '" +
                   std::string(name) + "'");
}

}  // namespace rankpool::cli
