"""Helpers the end-to-end tests share: launching rankpool under mpirun."""
import json
import os
import subprocess

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_orte_base_help_aggregate="0")


def launch(binary, np, args, timeout=60, mpiexec="mpiexec", env=None, stdin=subprocess.DEVNULL):
    """Runs rankpool on np ranks (np 0: without mpirun). Returns CompletedProcess."""
    cmd = [binary] + args if np == 0 else [mpiexec, "--oversubscribe", "-np", str(np), binary] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or ENV, stdin=stdin)


def last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON summary in: " + stdout)


def rankpool_error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("rankpool: error:")]
