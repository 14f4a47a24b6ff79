#!/usr/bin/python3
"""reposts_py_client.py API_BASE MIDS_FILE OUT [--count 200] [--max-pages 10]: the Python peer of
`rankpool reposts --variant serial`, for hpc/bench/reposts_cpu.sh. Standard library only: urllib for
each page (page 1 first, then as many as total_number calls for, stopping at an empty page),
json.loads of the answer, json.dumps of each repost, newest first per post, each id once, one per
line into OUT. The token comes from $WEIBO_ACCESS_TOKEN. Prints {"pages": N, "reposts": M}."""
import argparse
import json
import os
import urllib.parse
import urllib.request


def page(api_base, token, mid, count, number):
    query = urllib.parse.urlencode({'id': mid, 'count': count, 'page': number, 'access_token': token})
    with urllib.request.urlopen(f'{api_base}/2/statuses/repost_timeline.json?{query}', timeout=60) as answer:
        return json.loads(answer.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('api_base')
    ap.add_argument('mids_file')
    ap.add_argument('out')
    ap.add_argument('--count', type=int, default=200)
    ap.add_argument('--max-pages', type=int, default=10)
    args = ap.parse_args()
    token = os.environ['WEIBO_ACCESS_TOKEN']
    with open(args.mids_file) as f:
        mids = [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]
    pages = written = 0
    with open(args.out, 'w', encoding='utf-8') as out:
        for mid in mids:
            first = page(args.api_base, token, mid, args.count, 1)
            pages += 1
            last = min(-(-first['total_number'] // args.count), args.max_pages)
            reposts = list(first['reposts'])
            for number in range(2, last + 1):
                more = page(args.api_base, token, mid, args.count, number)['reposts']
                pages += 1
                if not more:
                    break
                reposts.extend(more)
            seen = set()
            for status in sorted(reposts, key=lambda s: s['id'], reverse=True):
                if status['id'] not in seen:
                    seen.add(status['id'])
                    out.write(json.dumps(status, ensure_ascii=False, separators=(',', ':')) + '\n')
                    written += 1
    print(json.dumps({'pages': pages, 'reposts': written}))


if __name__ == '__main__':
    main()
