// Test helpers for refusals: the message of the slm::Error a call throws.
#pragma once
#include <string>

#include <gtest/gtest.h>

#include "workloads/common/error.h"

namespace slm::test {

// The message of the slm::Error thrown by f ("" and a test failure when none is thrown).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no slm::Error thrown";
  return "";
}

}  // namespace slm::test

#define EXPECT_HAS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)
