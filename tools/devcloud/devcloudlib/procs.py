# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Start, find, wait for and stop the processes devcloud owns.

Every service runs in its own session/process group (setsid); its group id
is written to ``run/<name>.pid``.  Every process also carries the
environment variables ``DEVCLOUD_HOME`` and ``DEVCLOUD_SERVICE`` (inherited
by its children, e.g. privsep daemons or uWSGI workers), so devcloud can tell
its own processes from anything else: nothing is ever killed by name.
Standard library only.
"""

import errno
import http.client
import os
import signal
import socket
import subprocess
import time

MARK_HOME = 'DEVCLOUD_HOME'
MARK_SERVICE = 'DEVCLOUD_SERVICE'


class DevcloudError(Exception):
    pass


def _read(path, mode='r'):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def _proc_stat(pid):
    """(state, pgid, start time) of a process, or None if it is gone."""
    stat = _read('/proc/%d/stat' % pid)
    if not stat:
        return None
    # the command name (field 2) may contain spaces: split after ')'
    fields = stat[stat.rfind(')') + 2 :].split()
    return fields[0], int(fields[2]), int(fields[19])


def _environ(pid):
    raw = _read('/proc/%d/environ' % pid, 'rb')
    if not raw:
        return {}
    env = {}
    for item in raw.split(b'\0'):
        key, sep, value = item.partition(b'=')
        if sep:
            env[key.decode(errors='replace')] = value.decode(errors='replace')
    return env


class Snapshot:
    """One pass over /proc: live processes, their groups and our markers.

    A service's processes are those in its recorded process group (the
    pid file holds the group id and the leader's start time, so a recycled
    pid is never mistaken for ours), plus any process carrying the
    service's environment marker (children that left the group; note that
    setproctitle may overwrite the marker, hence the group is primary).
    """

    def __init__(self, home):
        self.home = home
        self.stat = {}
        self.marked = {}
        me = os.getpid()
        for name in os.listdir('/proc'):
            if not name.isdigit() or int(name) == me:
                continue
            pid = int(name)
            info = _proc_stat(pid)
            if not info or info[0] == 'Z':
                continue
            self.stat[pid] = info
            env = _environ(pid)
            if env.get(MARK_HOME) == home and MARK_SERVICE in env:
                self.marked.setdefault(env[MARK_SERVICE], set()).add(pid)

    def members(self, run_dir, name):
        pids = set(self.marked.get(name, ()))
        rec = recorded(run_dir, name)
        if rec:
            pgid, started = rec
            leader = self.stat.get(pgid)
            if leader is None or started in (None, leader[2]):
                pids |= {p for p, i in self.stat.items() if i[1] == pgid}
        return sorted(pids)

    def running(self, run_dir, name):
        """True if a live process is in the service's recorded group."""
        rec = recorded(run_dir, name)
        if not rec:
            return False
        pgid = rec[0]
        return any(
            p in self.stat and self.stat[p][1] == pgid
            for p in self.members(run_dir, name)
        )

    def any_marked(self):
        return sorted(self.marked)


def pidfile(run_dir, name):
    return os.path.join(run_dir, name + '.pid')


def recorded(run_dir, name):
    """(pgid, leader start time) from the pid file, or None."""
    text = _read(pidfile(run_dir, name))
    try:
        fields = [int(f) for f in text.split()]
    except (AttributeError, ValueError):
        return None
    if not fields:
        return None
    return fields[0], (fields[1] if len(fields) > 1 else None)


def recorded_pgid(run_dir, name):
    rec = recorded(run_dir, name)
    return rec[0] if rec else None


def is_running(home, run_dir, name):
    return Snapshot(home).running(run_dir, name)


def start(home, run_dir, log_path, name, argv, env=None, cwd=None):
    """Start ``argv`` in a new session; record its pgid; return the pid."""
    full_env = {
        'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
        'LANG': 'C.UTF-8',
        'HOME': os.environ.get('HOME', '/root'),
        MARK_HOME: home,
        MARK_SERVICE: name,
    }
    full_env.update(env or {})
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, 'ab') as log:
        log.write(
            (
                '\n==== %s devcloud starting %s: %s\n'
                % (time.strftime('%Y-%m-%d %H:%M:%S'), name, ' '.join(argv))
            ).encode()
        )
        log.flush()
        proc = subprocess.Popen(
            argv,
            env=full_env,
            cwd=cwd or home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    info = _proc_stat(proc.pid)
    with open(pidfile(run_dir, name), 'w') as f:
        f.write('%d %d\n' % (proc.pid, info[2] if info else 0))
    # Popen objects are dropped on purpose: the services outlive devcloud.
    proc.returncode = 0  # silence ResourceWarning at interpreter exit
    return proc.pid


def stop(home, run_dir, names, timeout):
    """TERM the process groups of ``names``, wait, then KILL what remains.

    Returns the names that had to be killed.
    """

    def signal_all(targets, sig):
        snap = Snapshot(home)
        for name in targets:
            if snap.running(run_dir, name):
                _signal(-recorded_pgid(run_dir, name), sig)
            for pid in snap.members(run_dir, name):
                _signal(pid, sig)

    def alive(targets):
        snap = Snapshot(home)
        return [n for n in targets if snap.members(run_dir, n)]

    targets = alive(names)
    signal_all(targets, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while targets and time.monotonic() < deadline:
        time.sleep(0.25)
        targets = alive(targets)
    killed = list(targets)
    if targets:
        signal_all(targets, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while targets and time.monotonic() < deadline:
            time.sleep(0.2)
            targets = alive(targets)
    for name in names:
        if name not in targets:
            try:
                os.unlink(pidfile(run_dir, name))
            except FileNotFoundError:
                pass
    if targets:
        raise DevcloudError('could not end %s' % ', '.join(targets))
    return killed


def _signal(pid, sig):
    """Signal a pid (or a process group when pid is negative)."""
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def port_free(port, host='127.0.0.1'):
    """True if nothing listens on host:port (we could bind it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            return False
        raise
    finally:
        s.close()


def tcp_answers(port, host='127.0.0.1', timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_answers(port, host='127.0.0.1', timeout=5.0):
    """True if an HTTP GET / gets any response below 500."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request('GET', '/')
        return conn.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def tail(path, lines=25):
    text = _read(path) or ''
    return '\n'.join(text.splitlines()[-lines:])
