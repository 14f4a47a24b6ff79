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
