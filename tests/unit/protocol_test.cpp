// Every message of the wire protocol survives a round trip, and keeps its
// byte layout.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {
namespace {

/// `value`'s bytes as this host stores them, as the protocol sends them.
template <class T>
std::string raw(T value) {
  std::string bytes(sizeof value, '\0');
  std::memcpy(bytes.data(), &value, sizeof value);
  return bytes;
}

/// What an unframed writer holds after writing `message`.
template <class M>
std::string bytes_of(const M& message) {
  ByteWriter out(/*framed=*/false);
  write(out, message);
  return std::move(out).finish();
}

TEST(Protocol, EveryMessageKeepsItsByteLayout) {
  using U64 = std::uint64_t;
  using U8 = std::uint8_t;
  EXPECT_EQ(bytes_of(JobSpec{42, "fac", "p", true}),
            raw<U64>(42) + raw<U64>(3) + "fac" + raw<U64>(1) + "p" + raw<U8>(1));
  EXPECT_EQ(bytes_of(ChunkHeader{1, 2, 3, ArgKind::kTyped}), raw<U64>(1) + raw<U64>(2) + raw<U64>(3) + raw<U8>(1));
  EXPECT_EQ(bytes_of(ResultsHeader{7, 8}), raw<U64>(7) + raw<U64>(8));
  EXPECT_EQ(
      bytes_of(MapHeader{1, 4, 25, 3, ArgKind::kIndex, 99, 7, true}),
      raw<U64>(1) + raw<U64>(4) + raw<U64>(25) + raw<U64>(3) + raw<U8>(0) + raw<U64>(99) + raw<U64>(7) + raw<U8>(1));
  EXPECT_EQ(bytes_of(TaskRecord{5, true, 1.5, 2.5, "ok", "ignored"}),
            raw<U64>(5) + raw<U8>(1) + raw(1.5) + raw(2.5) + raw<U64>(2) + "ok");
  EXPECT_EQ(bytes_of(TaskRecord{6, false, 3.0, 4.0, "boom", "E"}),
            raw<U64>(6) + raw<U8>(0) + raw(3.0) + raw(4.0) + raw<U64>(4) + "boom" + raw<U64>(1) + "E");
  ByteWriter tasks(/*framed=*/false);
  write_task(tasks, ArgKind::kIndex, 9, "unused");
  write_task(tasks, ArgKind::kTyped, 10, "arg");
  EXPECT_EQ(std::move(tasks).finish(), raw<U64>(9) + raw<U64>(10) + raw<U64>(3) + "arg");
  EXPECT_EQ(encode_value<std::int32_t>(-3), raw<U64>(12) + raw<std::int32_t>(-3));
}

TEST(Protocol, JobSpecRoundTrips) {
  const JobSpec spec{42, "factorial", std::string("\0params\xff", 8), true};
  ByteWriter out;
  write(out, spec);
  const std::string message = std::move(out).finish();
  ByteReader in(message);
  EXPECT_EQ(read_job(in), spec);
  EXPECT_TRUE(in.done());
}

TEST(Protocol, TheFrameHoldsTheMessageLength) {
  ByteWriter out;
  out.value<std::uint32_t>(7);
  const std::string message = std::move(out).finish();
  std::uint64_t length = 0;
  std::memcpy(&length, message.data(), sizeof length);
  EXPECT_EQ(length, message.size());
}

TEST(Protocol, ChunksOfIndicesAndOfTypedArgumentsRoundTrip) {
  for (ArgKind kind : {ArgKind::kIndex, ArgKind::kTyped}) {
    const ChunkHeader header{3, 99, 3, kind};
    ByteWriter out;
    write(out, header);
    write_task(out, kind, 10, "ten");
    write_task(out, kind, 11, "");
    write_task(out, kind, 12, std::string(1000, 'x'));
    const std::string message = std::move(out).finish();
    ByteReader in(message);
    EXPECT_EQ(read_chunk_header(in), header);
    const TaskList tasks = read_tasks(in, kind, header.count);
    EXPECT_EQ(tasks.indices, (std::vector<std::uint64_t>{10, 11, 12}));
    if (kind == ArgKind::kTyped) {
      ASSERT_EQ(tasks.args.size(), 3u);
      EXPECT_EQ(tasks.args[0], "ten");
      EXPECT_EQ(tasks.args[1], "");
      EXPECT_EQ(tasks.args[2], std::string(1000, 'x'));
    } else {
      EXPECT_TRUE(tasks.args.empty());
    }
    EXPECT_TRUE(in.done());
  }
}

TEST(Protocol, ResultsAndRecordsRoundTrip) {
  const ResultsHeader header{7, 2};
  const TaskRecord good{5, true, 1.5, 2.5, "payload", ""};
  const TaskRecord bad{6, false, 3.0, 4.0, "boom", "std::domain_error"};
  ByteWriter out;
  write(out, header);
  write(out, good);
  write(out, bad);
  const std::string message = std::move(out).finish();
  ByteReader in(message);
  EXPECT_EQ(read_results_header(in), header);
  EXPECT_EQ(read_record(in), good);
  EXPECT_EQ(read_record(in), bad);
  EXPECT_TRUE(in.done());
}

TEST(Protocol, MapHeaderForgetStopAndWaitRoundTrip) {
  const MapHeader header{1, 4, 25, 3, ArgKind::kTyped, 99, 7, true};
  ByteWriter out;
  write(out, header);
  const std::string message = std::move(out).finish();
  ByteReader in(message);
  EXPECT_EQ(read_map_header(in), header);
  EXPECT_EQ(decode_value<std::uint64_t>(encode_value<std::uint64_t>(77)), 77u);
  EXPECT_EQ(decode_value<int>(encode_value<int>(-3)), -3);
  EXPECT_EQ(decode_value<std::uint8_t>(encode_value<std::uint8_t>(1)), 1u);
}

TEST(Protocol, UnitPaddingAndRawReadersAgree) {
  ByteWriter out(/*framed=*/false);
  write_task(out, ArgKind::kTyped, 0, "abc");
  out.pad_to_units();
  EXPECT_EQ(out.size() % kUnitBytes, 0u);
  const std::string bytes = std::move(out).finish();
  ByteReader in(bytes, /*framed=*/false);
  EXPECT_EQ(read_tasks(in, ArgKind::kTyped, 1).args.at(0), "abc");
}

TEST(Protocol, AWriterGivenABufferKeepsItsMemoryButNotItsBytes) {
  std::string used(std::size_t{1} << 20, 'x');
  const char* memory = used.data();
  ByteWriter out(std::move(used));
  write(out, ResultsHeader{7, 8});
  out.bytes(std::string(1000, 'y'));
  const std::string message = std::move(out).finish();
  ByteWriter fresh;
  write(fresh, ResultsHeader{7, 8});
  fresh.bytes(std::string(1000, 'y'));
  EXPECT_EQ(message, std::move(fresh).finish());
  EXPECT_EQ(message.data(), memory);  // written in place: no fresh allocation
  ByteWriter raw_out(std::string("old"), /*framed=*/false);
  EXPECT_EQ(raw_out.size(), 0U);
}

TEST(Protocol, ATruncatedMessageThrows) {
  ByteWriter out;
  write(out, JobSpec{1, "name", "params", false});
  std::string message = std::move(out).finish();
  message.resize(message.size() - 3);
  ByteReader in(message);
  EXPECT_THROW(read_job(in), std::runtime_error);
}

TEST(Codec, TuplesPairsAndRawValuesRoundTrip) {
  const std::tuple<std::string, int, std::vector<double>> value{"word", 3, {1.5, 2.5}};
  std::string bytes;
  Codec<std::remove_const_t<decltype(value)>>::encode(value, bytes);
  EXPECT_EQ(Codec<std::remove_const_t<decltype(value)>>::decode(bytes), value);
  const std::pair<std::string, std::string> pair{"a", "bc"};
  Codec<std::pair<std::string, std::string>>::encode(pair, bytes);
  EXPECT_EQ((Codec<std::pair<std::string, std::string>>::decode(bytes)), pair);
  Codec<double>::encode(2.25, bytes);
  EXPECT_EQ(Codec<double>::decode(bytes), 2.25);
  EXPECT_THROW(Codec<double>::decode("abc"), std::length_error);
}

}  // namespace
}  // namespace rankpool::detail
