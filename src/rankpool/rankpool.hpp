#pragma once
/// \file
/// rankpool: Python's multiprocessing.Pool over MPI ranks. The one header a
/// program includes: Session, Pool, jobs, results, errors.

#include "rankpool/async_result.hpp"   // IWYU pragma: export
#include "rankpool/codec.hpp"          // IWYU pragma: export
#include "rankpool/errors.hpp"         // IWYU pragma: export
#include "rankpool/job.hpp"            // IWYU pragma: export
#include "rankpool/outcome.hpp"        // IWYU pragma: export
#include "rankpool/pool.hpp"           // IWYU pragma: export
#include "rankpool/pool_stats.hpp"     // IWYU pragma: export
#include "rankpool/rate_budget.hpp"    // IWYU pragma: export
#include "rankpool/result_stream.hpp"  // IWYU pragma: export
#include "rankpool/session.hpp"        // IWYU pragma: export
#include "rankpool/task_set.hpp"       // IWYU pragma: export
