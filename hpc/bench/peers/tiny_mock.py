#!/usr/bin/env python3
"""tiny_mock.py - a stand-in for the Weibo repost_timeline API (stdlib only).

Serves
    GET /2/statuses/repost_timeline.json?id=MID&count=C&page=P&access_token=T
and answers
    {"reposts": [...], "total_number": N, "previous_cursor": 0,
     "next_cursor": ..., "hasvisible": false}
like the real API: newest reposts first, at most `count` (<= 200) a page,
only the newest `--cap` (2000) reposts reachable, pages past the end empty.
Each request sleeps `--latency-ms` before answering (the seed saw ~830 ms a
page from api.weibo.com).  The server is threaded, so concurrent requests
overlap their latency, as they would against the real service.

It is a test fixture for hpc/bench/peers/seed_pool.py and mpi4py_futures.py
until rankpool's own (C++) mock server exists.

    python3 tiny_mock.py --port 0 --latency-ms 100 --total 2000

prints its base URL (e.g. http://127.0.0.1:40123) as the first stdout line,
then serves until killed (SIGTERM / Ctrl-C).  GET /stats answers
{"requests": n, "pages": n} (the count of repost_timeline requests served).
The access token is never logged or echoed back.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PATH = '/2/statuses/repost_timeline.json'


class MockState:
    def __init__(self, args):
        self.latency_s = args.latency_ms / 1000.0
        self.total = args.total
        self.cap = args.cap
        self.max_count = args.max_count
        self.require_token = args.require_token
        self.text = 'x' * args.text_bytes
        self.lock = threading.Lock()
        self.requests = 0

    def count_request(self):
        with self.lock:
            self.requests += 1


def make_repost(mid, index, text):
    # index 0 is the newest repost.  Ids are unique per (mid, index).
    rid = int(mid) * 10000 + index if str(mid).isdigit() else index
    return {
        'id': rid,
        'idstr': str(rid),
        'mid': str(rid),
        'created_at': 'Sun Jan 12 12:00:00 +0800 2014',
        'text': text,
        'user': {'id': 1000 + index % 97},
        'retweeted_status': {'id': int(mid) if str(mid).isdigit() else 0},
    }


class Handler(BaseHTTPRequestHandler):
    server_version = 'tiny_mock/1'
    state = None  # set in main()

    def log_message(self, fmt, *args):  # quiet: never log URLs (tokens)
        pass

    def _send(self, code, obj):
        body = json.dumps(obj, separators=(',', ':')).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json;charset=UTF-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.state
        parts = urlsplit(self.path)
        if parts.path == '/stats':
            return self._send(200, {'requests': st.requests})
        if parts.path != PATH:
            return self._send(404, {'error': 'not found', 'error_code': 10023,
                                    'request': parts.path})
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        st.count_request()
        if st.require_token and not q.get('access_token'):
            return self._send(403, {'error': 'auth faild!', 'error_code': 21301,
                                    'request': PATH})
        mid = q.get('id', '')
        if not mid:
            return self._send(400, {'error': 'id is required', 'error_code': 10016,
                                    'request': PATH})
        try:
            count = int(q.get('count', 20))
            page = int(q.get('page', 1))
        except ValueError:
            return self._send(400, {'error': 'bad count/page', 'error_code': 10017,
                                    'request': PATH})
        count = max(1, min(count, st.max_count))
        page = max(1, page)
        if st.latency_s > 0:
            time.sleep(st.latency_s)
        reachable = min(st.total, st.cap)
        lo = (page - 1) * count
        hi = min(lo + count, reachable)
        reposts = [make_repost(mid, i, st.text) for i in range(lo, hi)]
        return self._send(200, {
            'reposts': reposts,
            'hasvisible': False,
            'previous_cursor': 0,
            'next_cursor': reposts[-1]['id'] if hi < reachable and reposts else 0,
            'total_number': st.total,
        })


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0, help='0 = pick a free port')
    ap.add_argument('--latency-ms', type=float, default=0.0,
                    help='sleep before each repost_timeline answer')
    ap.add_argument('--total', type=int, default=2000,
                    help='total_number of reposts the post has')
    ap.add_argument('--cap', type=int, default=2000,
                    help='only the newest CAP reposts are served (Weibo: 2000)')
    ap.add_argument('--max-count', type=int, default=200,
                    help='largest page size honoured (Weibo: 200)')
    ap.add_argument('--text-bytes', type=int, default=64,
                    help='length of each repost text (payload size)')
    ap.add_argument('--require-token', action='store_true',
                    help='answer 403 / error_code 21301 without access_token')
    args = ap.parse_args(argv)

    Handler.state = MockState(args)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = httpd.server_address[:2]
    print('http://%s:%d' % (host, port), flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
