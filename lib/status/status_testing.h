// GoogleTest helpers for absl::Status / absl::StatusOr (Debian's Abseil has no status matchers).
//
//   ASSERT_OK(pool.Ping());
//   EXPECT_OK(store.Save(row));
#pragma once

#include <gtest/gtest.h>

#include "absl/status/status.h"

#define P2PIMS_EXPECT_OK_IMPL(expr, fail)               \
  do {                                                  \
    const ::absl::Status p2pims_s_ = (expr);            \
    fail(p2pims_s_.ok()) << #expr << ": " << p2pims_s_; \
  } while (0)

#define ASSERT_OK(expr) P2PIMS_EXPECT_OK_IMPL(expr, ASSERT_TRUE)
#define EXPECT_OK(expr) P2PIMS_EXPECT_OK_IMPL(expr, EXPECT_TRUE)
