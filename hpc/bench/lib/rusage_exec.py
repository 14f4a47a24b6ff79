#!/usr/bin/python3
"""rusage_exec.py OUT CMD...: runs CMD as a child and writes its resource use
to OUT as JSON (user/sys CPU seconds with microsecond resolution from wait4,
peak RSS in KiB, wall seconds). /usr/bin/time reports the same wait4 figures,
but CPU only to 10 ms. Exits with CMD's status."""
import json
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, 'w') as f:
    json.dump({'user': ru.ru_utime, 'sys': ru.ru_stime, 'cpu': ru.ru_utime + ru.ru_stime,
               'maxrss_kb': ru.ru_maxrss, 'wall': wall}, f)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
