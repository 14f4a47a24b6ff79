#include "cli/registry.hpp"

#include "cli/compare_command.hpp"
#include "cli/job_descriptor.hpp"

namespace rankpool::cli {

JobRegistry all_jobs() {
  JobRegistry registry;
  for (const JobDescriptor& job : all_job_descriptors()) job.add_jobs(registry);
  return registry;
}

void add_all_commands(CLI::App& app, std::vector<std::unique_ptr<Command>>& commands) {
  const std::vector<JobDescriptor> jobs = all_job_descriptors();
  for (const JobDescriptor& job : jobs) job.add_commands(app, commands);
  // compare owns second instances of the job commands, parsed under it.
  commands.push_back(std::make_unique<CompareCommand>(app, [jobs](CLI::App& compare) {
    std::vector<CompareJob> comparable;
    for (const JobDescriptor& job : jobs)
      if (job.add_compare) comparable.push_back(job.add_compare(compare));
    return comparable;
  }));
}

}  // namespace rankpool::cli
