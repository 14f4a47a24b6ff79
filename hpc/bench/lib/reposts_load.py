#!/usr/bin/python3
"""reposts_load.py API_BASE REQUESTS [POSTS] [PAGES]: a load client for `rankpool mock-weibo`, for
hpc/bench/reposts_cpu.sh. One kept-alive connection (http.client), REQUESTS page requests of 200
reposts cycling over POSTS posts x PAGES pages (default 10 x 10), each answer read whole. Prints
{"pages": N, "bytes": B, "seconds": S}."""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    base = urllib.parse.urlsplit(sys.argv[1])
    requests = int(sys.argv[2])
    posts = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    pages = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
    total = 0
    started = time.perf_counter()
    for i in range(requests):
        mid = 3664072912104801 + i % posts
        page = 1 + (i // posts) % pages
        conn.request('GET', f'/2/statuses/repost_timeline.json?id={mid}&count=200&page={page}&access_token=bench')
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            sys.exit(f'reposts_load: HTTP {answer.status}: {body[:200]!r}')
        total += len(body)
    print(json.dumps({'pages': requests, 'bytes': total, 'seconds': time.perf_counter() - started}))


if __name__ == '__main__':
    main()
