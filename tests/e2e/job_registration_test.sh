#!/usr/bin/env bash
# A job is one folder plus one line: in a scratch copy of the sources, a new
# folder under jobs/ without its rankpool_add_job line stops the configure
# step with a message naming it; with the line it configures, and the
# generated list of jobs names its descriptor.
# usage: job_registration_test.sh SOURCE_DIR
set -euo pipefail
source=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$source" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | xargs -0 cp --parents -t "$work" 2>/dev/null) ||
  cp -r "$source/." "$work"
mkdir -p "$work/jobs/hello"
cat > "$work/jobs/hello/CMakeLists.txt" <<'CMAKE'
add_library(rankpool_hello hello_descriptor.cpp)
target_link_libraries(rankpool_hello PUBLIC rankpool rankpool_command_support PRIVATE rankpool_build_flags)
CMAKE
echo '// a descriptor would go here' > "$work/jobs/hello/hello_descriptor.cpp"

if out=$(cmake -S "$work" -B "$work/build" -G Ninja -DRANKPOOL_BUILD_TESTS=OFF 2>&1); then
  echo "FAIL: an unregistered jobs/hello configured"; exit 1
fi
grep -q "jobs/hello is not registered: add rankpool_add_job(hello)" <<< "$out" ||
  { echo "FAIL: no message naming jobs/hello:"; echo "$out" | tail -5; exit 1; }
echo "PASS: a folder without its line stops the configure"

sed -i 's/^rankpool_add_job(exec)$/&\nrankpool_add_job(hello)/' "$work/jobs/CMakeLists.txt"
rm -rf "$work/build"
cmake -S "$work" -B "$work/build" -G Ninja -DRANKPOOL_BUILD_TESTS=OFF > "$work/configure.log" 2>&1 ||
  { echo "FAIL: the registered job did not configure"; tail -5 "$work/configure.log"; exit 1; }
grep -q "rankpool_job_hello()" "$work/build/src/cli/all_jobs.cpp" ||
  { echo "FAIL: the generated list lacks hello"; exit 1; }
echo "PASS: with one line in jobs/CMakeLists.txt the job is in the command's list"
