"""A fault-injecting HTTP proxy in front of OpenStack API endpoints.

One listening port on 127.0.0.1 per upstream endpoint (``host:port``).
Every request is forwarded to its upstream; a seeded share of them is
answered with a fault instead:

``500`` / ``503``
    an error status, the request never reaches the upstream;
``reset``
    the connection is closed without an answer, the request never reaches
    the upstream;
``lost``
    the request reaches the upstream, its answer is dropped and the
    connection closed (the client cannot tell whether it happened);
``delay``
    the answer is held ``delay`` seconds (past the client's timeout), then
    the request is forwarded (a late arrival, as a slow API).

``lost`` and ``delay`` reach the upstream after the client gave up, so by
default they only hit idempotent methods (GET, HEAD, PUT, DELETE); the
other kinds hit every method.  Keystone's answers name the other
endpoints (the service catalog, links): every JSON body and Location
header is rewritten so that the client keeps talking through the proxy.

Standard library only.  As a script::

    python tools/chaos/faultproxy.py --seed 1 --rate 0.1 \\
        --endpoint 127.0.0.1:15000 --endpoint 127.0.0.1:15774 ...

prints ``upstream -> proxy`` per endpoint, runs until interrupted, then
prints the faults by kind.  :func:`devcloud_clouds_yaml` writes a
clouds.yaml whose clouds reach the development cloud through a proxy.
"""

import argparse
import collections
import http.client
import http.server
import json
import random
import re
import socket
import socketserver
import sys
import threading
import time

KINDS = ('500', '503', 'reset', 'lost', 'delay')
#: kinds whose request reaches the upstream after the client gave up
LATE_KINDS = ('lost', 'delay')
IDEMPOTENT = ('GET', 'HEAD', 'PUT', 'DELETE')
HOP_BY_HOP = {
    'connection',
    'keep-alive',
    'proxy-connection',
    'transfer-encoding',
    'te',
    'trailer',
    'upgrade',
}


class Faults:
    """Which requests get which fault: seeded, thread-safe, counted."""

    def __init__(
        self,
        seed,
        rate,
        kinds=KINDS,
        methods=None,
        late_methods=IDEMPOTENT,
        delay=10.0,
        skip=(),
        weights=None,
    ):
        # Seeded: which requests fail is reproducible.
        self.rng = random.Random(seed)  # noqa: S311
        self.rate = rate
        self.kinds = tuple(kinds)
        #: None: every method
        self.methods = methods
        self.late_methods = late_methods
        self.delay = delay
        #: kind -> how likely, relative to 1 for the others
        self.weights = dict(weights or {})
        #: regexes of "METHOD path" never faulted
        self.skip = [re.compile(s) for s in skip]
        self.enabled = True
        self.counts = collections.Counter()
        #: (kind, method, path template) -> count
        self.where = collections.Counter()
        self.requests = 0
        self.lock = threading.Lock()

    def choose(self, method, path):
        """The fault for this request, or None."""
        with self.lock:
            self.requests += 1
            if not self.enabled or self.rate <= 0:
                return None
            if self.methods is not None and method not in self.methods:
                return None
            line = '%s %s' % (method, path)
            if any(s.search(line) for s in self.skip):
                return None
            if self.rng.random() >= self.rate:
                return None
            kinds = [
                k
                for k in self.kinds
                if k not in LATE_KINDS or method in self.late_methods
            ]
            if not kinds:
                return None
            kind = self.rng.choices(
                kinds, [self.weights.get(k, 1.0) for k in kinds]
            )[0]
            self.counts[kind] += 1
            self.where[(kind, method, template(path))] += 1
            return kind

    @property
    def total(self):
        return sum(self.counts.values())

    def summary(self):
        lines = [
            '%d requests, %d faults injected: %s'
            % (
                self.requests,
                self.total,
                ', '.join('%s %d' % (k, self.counts[k]) for k in self.kinds),
            )
        ]
        return '\n'.join(lines)


_ID = re.compile(r'[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{32}')


def template(path):
    return _ID.sub('{id}', path.split('?', 1)[0])


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Proxy:
    """The listeners of one proxy, one per upstream endpoint."""

    def __init__(self, upstreams, faults, timeout=120.0):
        self.faults = faults
        self.timeout = timeout
        self.servers = {}
        self.threads = []
        #: b'127.0.0.1:<upstream port>' -> b'127.0.0.1:<proxy port>'
        self.rewrites = {}
        for upstream in upstreams:
            server = _Server(('127.0.0.1', 0), self._handler(upstream))
            self.servers[upstream] = server
            port = server.server_address[1]
            self.rewrites[upstream.encode()] = ('127.0.0.1:%d' % port).encode()
        self._pattern = re.compile(
            b'|'.join(re.escape(k) for k in sorted(self.rewrites, key=len))
            + rb'(?![0-9])'
        )

    def address(self, upstream):
        return '127.0.0.1:%d' % self.servers[upstream].server_address[1]

    def rewrite(self, data):
        return self._pattern.sub(lambda m: self.rewrites[m.group(0)], data)

    def start(self):
        for server in self.servers.values():
            t = threading.Thread(target=server.serve_forever, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def _handler(self, upstream):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _body(self):
                if (
                    'chunked'
                    in (self.headers.get('Transfer-Encoding') or '').lower()
                ):
                    parts = []
                    while True:
                        size = int(self.rfile.readline().split(b';')[0], 16)
                        if not size:
                            while self.rfile.readline() not in (
                                b'\r\n',
                                b'\n',
                                b'',
                            ):
                                pass
                            return b''.join(parts)
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get('Content-Length') or 0)
                return self.rfile.read(length) if length else None

            def _reset(self):
                # RST rather than FIN: what a dead server or middlebox does.
                try:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET,
                        socket.SO_LINGER,
                        b'\x01\x00\x00\x00\x00\x00\x00\x00',
                    )
                except OSError:
                    pass
                self.close_connection = True
                self.connection.close()

            def _status(self, code):
                body = json.dumps(
                    {'error': {'code': code, 'message': 'injected fault'}}
                ).encode()
                self.send_response(code)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                if code == 503:
                    self.send_header('Retry-After', '0')
                self.end_headers()
                self.wfile.write(body)

            def _forward(self, body):
                conn = http.client.HTTPConnection(
                    upstream, timeout=proxy.timeout
                )
                try:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in HOP_BY_HOP
                        and k.lower() != 'content-length'
                    }
                    if body is not None:
                        headers['Content-Length'] = str(len(body))
                    conn.request(self.command, self.path, body, headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    return (
                        answer.status,
                        answer.reason,
                        answer.getheaders(),
                        data,
                    )
                finally:
                    conn.close()

            def _handle(self):
                body = self._body()
                kind = proxy.faults.choose(self.command, self.path)
                if kind in ('500', '503'):
                    self._status(int(kind))
                    return
                if kind == 'reset':
                    self._reset()
                    return
                if kind == 'delay':
                    time.sleep(proxy.faults.delay)
                try:
                    status, reason, headers, data = self._forward(body)
                except OSError:
                    self._status(502)
                    return
                if kind in ('lost', 'delay'):
                    self._reset()
                    return
                ctype = ''
                for k, v in headers:
                    if k.lower() == 'content-type':
                        ctype = v
                if 'json' in ctype:
                    data = proxy.rewrite(data)
                self.send_response(status, reason)
                for k, v in headers:
                    low = k.lower()
                    if low in HOP_BY_HOP or low == 'content-length':
                        continue
                    if low == 'location':
                        v = proxy.rewrite(v.encode()).decode()
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(data)

            def __getattr__(self, name):
                if name.startswith('do_'):
                    return self._handle
                raise AttributeError(name)

        return Handler


#: the development cloud's API endpoints (tools/devcloud/README.rst)
DEVCLOUD_ENDPOINTS = tuple(
    '127.0.0.1:%d' % p
    for p in (
        15000,
        15292,
        15392,
        15696,
        15796,
        15774,
        15874,
        15776,
        15876,
        15778,
        15878,
    )
)


def devcloud_clouds_yaml(source, dest, proxy, api_timeout):
    """Write ``dest``: the clouds of ``source`` (the development cloud's
    clouds.yaml) with their auth_url through ``proxy`` and a client
    timeout."""
    import yaml

    with open(source) as f:
        data = yaml.safe_load(f)
    for cloud in data['clouds'].values():
        auth = cloud.get('auth') or {}
        if 'auth_url' in auth:
            auth['auth_url'] = proxy.rewrite(
                auth['auth_url'].encode()
            ).decode()
        cloud['api_timeout'] = api_timeout
    with open(dest, 'w') as f:
        yaml.safe_dump(data, f)
    return dest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--rate', type=float, default=0.1)
    parser.add_argument('--kind', action='append', choices=KINDS)
    parser.add_argument('--get-only', action='store_true')
    parser.add_argument('--delay', type=float, default=10.0)
    parser.add_argument(
        '--endpoint',
        action='append',
        help='upstream host:port (default: the development cloud\'s)',
    )
    args = parser.parse_args()
    faults = Faults(
        args.seed,
        args.rate,
        kinds=args.kind or KINDS,
        methods=('GET', 'HEAD') if args.get_only else None,
        delay=args.delay,
    )
    proxy = Proxy(args.endpoint or DEVCLOUD_ENDPOINTS, faults).start()
    for upstream in proxy.servers:
        print('%s -> %s' % (upstream, proxy.address(upstream)), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
        print(faults.summary(), file=sys.stderr)


if __name__ == '__main__':
    main()
