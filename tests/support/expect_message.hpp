#pragma once
/// \file
/// EXPECT_THROW_MSG: EXPECT_THROW that also checks the exception's message, word for word. An error's
/// message is what the user reads, so the tests hold it, not only the type.

#include <gtest/gtest.h>

#include <string>

#define EXPECT_THROW_MSG(statement, type, message)                          \
  do {                                                                      \
    try {                                                                   \
      statement;                                                            \
      ADD_FAILURE() << "no exception from " #statement;                     \
    } catch (const type& thrown) {                                          \
      EXPECT_EQ(std::string(thrown.what()), message) << "from " #statement; \
    }                                                                       \
  } while (false)

/// EXPECT_THROW that also checks the exception's message holds `part` (for a
/// message that names a path, a number or a rank that the test does not fix).
#define EXPECT_THROW_HAS(statement, type, part)                                                                    \
  do {                                                                                                             \
    try {                                                                                                          \
      statement;                                                                                                   \
      ADD_FAILURE() << "no exception from " #statement;                                                            \
    } catch (const type& thrown) {                                                                                 \
      EXPECT_NE(std::string(thrown.what()).find(part), std::string::npos) << thrown.what() << " from " #statement; \
    }                                                                                                              \
  } while (false)
