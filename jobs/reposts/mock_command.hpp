#pragma once
/// The `rankpool mock-weibo` subcommand: options and foreground run.

#include <CLI/CLI.hpp>

#include "reposts/mock_options.hpp"

namespace rankpool::reposts {

/// Adds subcommand `mock-weibo` to `parent`, every option bound to `options`
/// (`--token` also read from `WEIBO_ACCESS_TOKEN`). Returns the subcommand,
/// so the caller can test `*sub` after parsing and call `run_mock_weibo`.
///
/// ```
/// MockWeiboOptions mock;
/// auto* sub = add_mock_weibo_options(app, mock);
/// CLI11_PARSE(app, argc, argv);
/// if (*sub) return run_mock_weibo(mock);
/// ```
CLI::App* add_mock_weibo_options(CLI::App& parent, MockWeiboOptions& options);

/// Runs the mock in the foreground until SIGINT or SIGTERM: prints the base
/// URL as the first line of stdout (flushed) once listening, a summary on
/// stderr when stopped, and returns 0.
///
/// Throws `InputError` for an unreadable `token_file`, `UsageError`
/// for inconsistent options (exit 2), `std::runtime_error` when it cannot
/// listen (exit 1). Blocking.
int run_mock_weibo(const MockWeiboOptions& options);

}  // namespace rankpool::reposts
