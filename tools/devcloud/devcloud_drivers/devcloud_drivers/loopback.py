# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Loopback hosts: servers of the development cloud that really run.

A nova server booted from an image with the property
``devcloud_loopback_host=true`` becomes a *loopback host* on this machine:

* a network namespace ``dc-<first 8 hex of the instance uuid>`` whose
  ``eth0`` is one end of a veth pair; the other end, ``dcv-<8 hex>``, is a
  port of the bridge ``dcbr0`` in the root namespace (one bridge for both
  regions);
* the server's fixed IPv4 addresses (from nova's network_info) and its
  floating addresses (kept up to date by the neutron hook,
  :mod:`devcloud_drivers.neutron_loopback`) on ``eth0``, and a default route
  "on link" through ``eth0``: the bridge is one flat L2 segment, so every
  loopback host reaches every other one (both regions) by ARP, with no
  router.  The root namespace has the address ``169.254.100.1/32`` on the
  bridge and a ``/32`` route (protocol 157) per host address;
* its own ``sshd`` (host keys generated once per server and kept in the
  server's state directory, so they survive restarts) accepting the
  instance's ``key_data`` for ``root`` and for the image's default user
  (``devcloud_loopback_user``, default ``cloud-user``; passwordless sudo),
  started in a private mount and UTS namespace where per-host copies are
  bind-mounted over ``/etc/passwd``, ``/etc/group``, ``/etc/shadow``,
  ``/etc/hosts``, ``/etc/sudoers.d``, ``/root``, ``/home`` and
  ``/dev/disk/by-id``: the machine's real files are never changed;
* attached cinder volumes as loop devices on the volumes' backing files,
  linked as ``/dev/disk/by-id/virtio-<first 20 chars of the volume id>``
  (visible inside the host only).

Everything is recorded under ``$DEVCLOUD_HOME``: the state of a server in
``data/loopback/<uuid>/`` (``host.json``, host keys, the per-host files),
sshd's pid in ``run/loopback/<uuid>/sshd.pid``.  Processes are found by
their network namespace (``ip netns pids``; a pid file counts only if it
names a process inside the host's namespace); nothing is killed by name.

Standard library only: the ``devcloud`` script (system python) imports this
module for ``start``/``stop``, nova-compute and neutron-server (the venv)
for everything else.  All changes run under one lock (a thread lock plus an
``flock`` on ``data/loopback/.lock``).
"""

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time

BRIDGE = 'dcbr0'
BRIDGE_ADDR = '169.254.100.1'
ROUTE_PROTO = '157'  # marks the root namespace routes devcloud adds
NS_PREFIX = 'dc-'
VETH_PREFIX = 'dcv-'
IMAGE_PROPERTY = 'devcloud_loopback_host'
USER_PROPERTY = 'devcloud_loopback_user'
DEFAULT_USER = 'cloud-user'
MARK_HOME = 'DEVCLOUD_HOME'
MARK_SERVICE = 'DEVCLOUD_SERVICE'
SSHD = '/usr/sbin/sshd'
KEY_TYPES = (('ed25519', 'ED25519'), ('ecdsa', 'ECDSA'), ('rsa', 'RSA'))
SSHD_WAIT = 20  # seconds for a new sshd to accept connections
LOCK_WAIT = 120  # seconds to wait for another process's loopback change
PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

_thread_lock = threading.RLock()  # green under nova's eventlet


class LoopbackError(Exception):
    pass


def short(uuid):
    return uuid.replace('-', '')[:8]


def netns_name(uuid):
    return NS_PREFIX + short(uuid)


def veth_name(uuid):
    return VETH_PREFIX + short(uuid)


def marker(uuid):
    return 'loopback-' + short(uuid)


def serial_link(volume_id):
    """The name a KVM guest sees for a virtio disk with this serial."""
    return 'virtio-' + volume_id[:20]


def is_loopback_image(props):
    """True if image properties (or nova system metadata) ask for it."""
    value = props.get(IMAGE_PROPERTY) or props.get('image_' + IMAGE_PROPERTY)
    return str(value).lower() in ('true', 'yes', '1')


def _run(argv, check=True, input=None):
    proc = subprocess.run(
        argv,
        input=input,
        capture_output=True,
        text=True,
        env={'PATH': PATH, 'LANG': 'C.UTF-8'},
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise LoopbackError(
            '%s failed (rc %d): %s'
            % (' '.join(argv), proc.returncode, proc.stderr.strip())
        )
    return proc


def _write(path, text, mode=0o644):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _environ(pid):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            raw = f.read()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b'\0'):
        key, sep, value = item.partition(b'=')
        if sep:
            env[key.decode(errors='replace')] = value.decode(errors='replace')
    return env


def _alive(pid):
    stat = _read('/proc/%d/stat' % pid)
    return bool(stat) and stat[stat.rfind(')') + 2 :].split()[0] != 'Z'


def link_exists(name):
    return os.path.exists('/sys/class/net/%s' % name)


def netns_exists(name):
    return os.path.exists('/run/netns/%s' % name)


class Loopback:
    """Loopback hosts of one DEVCLOUD_HOME."""

    def __init__(self, home=None):
        self.home = os.path.abspath(home or os.environ[MARK_HOME])
        self.data = os.path.join(self.home, 'data', 'loopback')
        self.run_dir = os.path.join(self.home, 'run', 'loopback')

    # --- paths, state, lock --------------------------------------------------

    def state_dir(self, uuid):
        return os.path.join(self.data, uuid)

    def pidfile(self, uuid):
        return os.path.join(self.run_dir, uuid, 'sshd.pid')

    def exists(self, uuid):
        return os.path.exists(os.path.join(self.state_dir(uuid), 'host.json'))

    def hosts(self):
        if not os.path.isdir(self.data):
            return []
        return sorted(u for u in os.listdir(self.data) if self.exists(u))

    def load(self, uuid):
        text = _read(os.path.join(self.state_dir(uuid), 'host.json'))
        if text is None:
            raise LoopbackError('no loopback host %s' % uuid)
        return json.loads(text)

    def save(self, state):
        _write(
            os.path.join(self.state_dir(state['uuid']), 'host.json'),
            json.dumps(state, indent=1, sort_keys=True) + '\n',
            0o600,
        )

    @contextlib.contextmanager
    def lock(self):
        os.makedirs(self.data, exist_ok=True)
        with _thread_lock:
            with open(os.path.join(self.data, '.lock'), 'w') as f:
                # polled, not blocking: a blocking flock would freeze
                # nova-compute's eventlet hub while another process holds it
                deadline = time.monotonic() + LOCK_WAIT
                while True:
                    try:
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise LoopbackError(
                                'loopback lock busy for %ds' % LOCK_WAIT
                            )
                        time.sleep(0.05)
                yield

    # --- bridge --------------------------------------------------------------

    def ensure_bridge(self):
        """dcbr0 with 169.254.100.1/32, no forwarding (idempotent)."""
        for d in ('/dev/disk/by-id', '/run/sshd'):
            # mount point of each host's private by-id (no udev here) and
            # sshd's privilege separation directory
            os.makedirs(d, mode=0o755, exist_ok=True)
        if not link_exists(BRIDGE):
            _run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'])
        conf = '/proc/sys/net/ipv4/conf/%s/' % BRIDGE
        for key, value in (('forwarding', '0'), ('proxy_arp', '0')):
            if (_read(conf + key) or '').strip() != value:
                _write_proc(conf + key, value)
        addrs = _run(['ip', '-4', '-o', 'addr', 'show', 'dev', BRIDGE]).stdout
        if ' %s/32 ' % BRIDGE_ADDR not in addrs:
            _run(
                ['ip', 'addr', 'add', BRIDGE_ADDR + '/32', 'dev', BRIDGE],
                check=False,
            )
        _run(['ip', 'link', 'set', BRIDGE, 'up'])

    def delete_bridge(self):
        if link_exists(BRIDGE):
            _run(['ip', 'link', 'del', BRIDGE], check=False)

    # --- lifecycle -----------------------------------------------------------

    def create(
        self,
        uuid,
        hostname,
        ports,
        floating=None,
        key_data=None,
        user=None,
        compute_host=None,
    ):
        """Record a new loopback host and bring it up.

        ``ports``: {port_id: [[ipv4, prefixlen], ...]}; ``floating``:
        {floating ip: port_id}.
        """
        with self.lock():
            os.makedirs(self.state_dir(uuid), exist_ok=True)
            state = {
                'uuid': uuid,
                'hostname': hostname,
                'ports': ports,
                'floating': floating or {},
                'key_data': key_data or '',
                'user': user or DEFAULT_USER,
                'compute_host': compute_host,
                'volumes': {},
                'running': True,
            }
            self.save(state)
            self._ensure(state)

    def ensure(self, uuid):
        with self.lock():
            state = self.load(uuid)
            if not state.get('running', True):
                state['running'] = True
                self.save(state)
            self._ensure(state)

    def stop(self, uuid):
        """Power off: tear the runtime down, keep the state."""
        with self.lock():
            state = self.load(uuid)
            state['running'] = False
            self.save(state)
            self._teardown(state)

    def destroy(self, uuid):
        """Delete: tear down and forget (host keys included)."""
        with self.lock():
            if self.exists(uuid):
                self._teardown(self.load(uuid))
            shutil.rmtree(self.state_dir(uuid), ignore_errors=True)
            shutil.rmtree(os.path.join(self.run_dir, uuid), ignore_errors=True)

    def teardown_all(self):
        """``devcloud stop``: every host down (state kept), bridge gone."""
        with self.lock():
            for uuid in self.hosts():
                self._teardown(self.load(uuid))
            self._sync_root_routes()
            self.delete_bridge()

    # --- volumes -------------------------------------------------------------

    def attach_volume(self, uuid, volume_id, path):
        with self.lock():
            state = self.load(uuid)
            state['volumes'][volume_id] = path
            self.save(state)
            if state.get('running', True):
                self._ensure_volume(state, volume_id)
                self.save(state)

    def detach_volume(self, uuid, volume_id):
        with self.lock():
            state = self.load(uuid)
            self._free_volume(state, volume_id)
            state['volumes'].pop(volume_id, None)
            self.save(state)

    # --- floating IPs (called by the neutron hook) ---------------------------

    def floating_added(self, port_id, address):
        with self.lock():
            for uuid in self.hosts():
                state = self.load(uuid)
                if port_id in state['ports']:
                    state['floating'][address] = port_id
                    self.save(state)
                    if state.get('running', True):
                        self._ensure_addresses(state)
                        self._sync_root_routes()
                    return True
        return False

    def floating_removed(self, address):
        found = False
        with self.lock():
            for uuid in self.hosts():
                state = self.load(uuid)
                if address in state['floating']:
                    del state['floating'][address]
                    self.save(state)
                    if state.get('running', True):
                        self._ensure_addresses(state)
                    found = True
            if found:
                self._sync_root_routes()
        return found

    # --- console -------------------------------------------------------------

    def console(self, uuid):
        """Console log text, with cloud-init's host key blocks."""
        state = self.load(uuid)
        d = os.path.join(self.state_dir(uuid), 'hostkeys')
        fps, keys = [], []
        for kind, _label in KEY_TYPES:
            pub = os.path.join(d, 'ssh_host_%s_key.pub' % kind)
            if not os.path.exists(pub):
                continue
            fps.append(_run(['ssh-keygen', '-l', '-f', pub]).stdout.strip())
            keys.append(_read(pub).strip())
        stamp = time.strftime('%b %d %H:%M:%S')
        name = state['hostname']
        lines = [
            'devcloud loopback host %s (%s) booting' % (name, uuid),
            'ci-info: eth0: %s' % ', '.join(a for a, _p in self._fixed(state)),
            'Cloud-init v. 22.4.2 running modules:final',
            '<14>%s ec2: ' % stamp,
            '<14>%s ec2: %s' % (stamp, '#' * 61),
            '<14>%s ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----' % stamp,
        ]
        lines += ['<14>%s ec2: %s' % (stamp, fp) for fp in fps]
        lines += [
            '<14>%s ec2: -----END SSH HOST KEY FINGERPRINTS-----' % stamp,
            '<14>%s ec2: %s' % (stamp, '#' * 61),
            '-----BEGIN SSH HOST KEY KEYS-----',
        ]
        lines += keys
        lines += [
            '-----END SSH HOST KEY KEYS-----',
            'Cloud-init v. 22.4.2 finished. Datasource DataSourceOpenStack.',
            '',
            'Debian GNU/Linux 12 %s ttyS0' % name,
            '',
        ]
        return '\n'.join(lines)

    # --- internals: bring up -------------------------------------------------

    @staticmethod
    def _fixed(state):
        return [tuple(a) for addrs in state['ports'].values() for a in addrs]

    def _wanted_addresses(self, state):
        wanted = ['%s/%s' % (a, p) for a, p in self._fixed(state)]
        wanted += ['%s/32' % f for f in sorted(state['floating'])]
        return wanted

    def _ensure(self, state):
        uuid = state['uuid']
        self.ensure_bridge()
        self._ensure_files(state)
        ns, veth = netns_name(uuid), veth_name(uuid)
        if not netns_exists(ns):
            _run(['ip', 'netns', 'add', ns])
        _run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        if not link_exists(veth):
            # a stale eth0 (root end deleted by hand) would block the pair
            _run(['ip', '-n', ns, 'link', 'del', 'eth0'], check=False)
            _run(
                ['ip', 'link', 'add', veth, 'type', 'veth']
                + ['peer', 'name', 'eth0', 'netns', ns]
            )
        _run(['ip', 'link', 'set', veth, 'master', BRIDGE, 'up'])
        _run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        self._ensure_addresses(state)
        _run(['ip', '-n', ns, 'route', 'replace', 'default', 'dev', 'eth0'])
        self._sync_root_routes()
        self._ensure_sshd(state)
        for volume_id in list(state['volumes']):
            self._ensure_volume(state, volume_id)
        self.save(state)

    def _ensure_addresses(self, state):
        ns = netns_name(state['uuid'])
        if not netns_exists(ns):
            return
        out = _run(['ip', '-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'])
        have = set()
        for line in out.stdout.splitlines():
            fields = line.split()
            if 'inet' in fields:
                have.add(fields[fields.index('inet') + 1])
        wanted = self._wanted_addresses(state)
        for cidr in have - set(wanted):
            _run(['ip', '-n', ns, 'addr', 'del', cidr, 'dev', 'eth0'])
        for cidr in wanted:
            if cidr not in have:
                _run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0'])

    def _sync_root_routes(self):
        """A /32 route via dcbr0 for each address of each running host."""
        wanted = set()
        for uuid in self.hosts():
            state = self.load(uuid)
            if netns_exists(netns_name(uuid)):
                wanted |= {a for a, _p in self._fixed(state)}
                wanted |= set(state['floating'])
        have = set()
        if link_exists(BRIDGE):
            out = _run(
                ['ip', '-4', 'route', 'show', 'proto', ROUTE_PROTO],
                check=False,
            ).stdout
            have = {line.split()[0] for line in out.splitlines() if line}
        for addr in have - wanted:
            _run(
                ['ip', 'route', 'del', addr, 'proto', ROUTE_PROTO],
                check=False,
            )
        if link_exists(BRIDGE):
            for addr in wanted:
                _run(
                    ['ip', 'route', 'replace', addr + '/32', 'dev', BRIDGE]
                    + ['src', BRIDGE_ADDR, 'proto', ROUTE_PROTO]
                )

    def _ensure_files(self, state):
        """Host keys, sshd_config and the per-host /etc, /root, /home."""
        uuid, user = state['uuid'], state['user']
        d = self.state_dir(uuid)
        for sub, mode in (
            ('hostkeys', 0o700),
            ('etc', 0o755),
            ('etc/sudoers.d', 0o755),
            ('root', 0o700),
            ('root/.ssh', 0o700),
            ('home', 0o755),
            ('by-id', 0o755),
        ):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            os.chmod(os.path.join(d, sub), mode)
        os.makedirs(os.path.join(self.run_dir, uuid), exist_ok=True)
        comment = 'root@%s' % state['hostname']
        for kind, _label in KEY_TYPES:
            key = os.path.join(d, 'hostkeys', 'ssh_host_%s_key' % kind)
            if not os.path.exists(key):
                _run(
                    ['ssh-keygen', '-q', '-t', kind, '-N', '', '-C', comment]
                    + ['-f', key]
                )
        uid = state.get('uid') or _free_uid()
        state['uid'] = uid
        keys = state['key_data'].strip() + '\n' if state['key_data'] else ''
        # root's authorized_keys is written once: the product may add keys
        auth = os.path.join(d, 'root', '.ssh', 'authorized_keys')
        if not os.path.exists(auth):
            _write(auth, keys, 0o600)
        home = os.path.join(d, 'home', user)
        if not os.path.exists(os.path.join(home, '.ssh', 'authorized_keys')):
            os.makedirs(os.path.join(home, '.ssh'), exist_ok=True)
            _write(os.path.join(home, '.ssh', 'authorized_keys'), keys, 0o600)
            for root, dirs, files in os.walk(home):
                for name in dirs + files + ['.']:
                    os.chown(os.path.join(root, name), uid, uid)
        passwd = _read('/etc/passwd')
        group = _read('/etc/group')
        shadow = _read('/etc/shadow') or ''
        known = {line.split(':')[0] for line in passwd.splitlines()}
        if user not in known:
            passwd += '%s:x:%d:%d:%s:/home/%s:/bin/bash\n' % (
                user,
                uid,
                uid,
                user,
                user,
            )
            group += '%s:x:%d:\n' % (user, uid)
            shadow += '%s:*:20000:0:99999:7:::\n' % user
        # sshd without PAM refuses accounts whose password field is locked
        shadow = ''.join(
            '%s:*:%s\n' % (f[0], f[2]) if f[0] in ('root', user) else line
            for line in shadow.splitlines(True)
            for f in [line.rstrip('\n').split(':', 2)]
            if len(f) == 3
        )
        _write(os.path.join(d, 'etc', 'passwd'), passwd)
        _write(os.path.join(d, 'etc', 'group'), group)
        _write(os.path.join(d, 'etc', 'shadow'), shadow, 0o640)
        hosts = _read('/etc/hosts') or '127.0.0.1 localhost\n'
        _write(
            os.path.join(d, 'etc', 'hosts'),
            hosts + '127.0.1.1 %s\n' % state['hostname'],
        )
        _write(
            os.path.join(d, 'etc', 'sudoers.d', '90-devcloud-loopback'),
            '%s ALL=(ALL) NOPASSWD:ALL\n' % user,
            0o440,
        )
        conf = [
            '# devcloud loopback host %s; generated' % uuid,
            'Port 22',
            'ListenAddress 0.0.0.0',
        ]
        conf += [
            'HostKey %s' % os.path.join(d, 'hostkeys', 'ssh_host_%s_key' % k)
            for k, _label in KEY_TYPES
        ]
        conf += [
            'PidFile %s' % self.pidfile(uuid),
            'PermitRootLogin prohibit-password',
            'PubkeyAuthentication yes',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'AuthorizedKeysFile .ssh/authorized_keys',
            'UsePAM no',
            'StrictModes no',
            'UseDNS no',
            'PrintMotd no',
            'AllowTcpForwarding yes',
            'AcceptEnv LANG LC_*',
            'MaxStartups 100:30:200',
            'MaxSessions 100',
            'LoginGraceTime 30',
            'Subsystem sftp /usr/lib/openssh/sftp-server',
            '',
        ]
        _write(os.path.join(d, 'sshd_config'), '\n'.join(conf))

    def sshd_pid(self, uuid):
        """The pid of the host's sshd if it runs.

        The pid file must name a live process inside the host's network
        namespace (sshd overwrites its environment with its process title,
        so the environment marker cannot be checked).
        """
        text = _read(self.pidfile(uuid))
        try:
            pid = int(text.split()[0])
        except (AttributeError, IndexError, ValueError):
            return None
        if _alive(pid) and _in_netns(pid, netns_name(uuid)):
            return pid
        return None

    def _ensure_sshd(self, state):
        uuid = state['uuid']
        if self.sshd_pid(uuid):
            return
        d = self.state_dir(uuid)
        try:
            os.unlink(self.pidfile(uuid))
        except FileNotFoundError:
            pass
        script = (
            'set -e\n'
            'hostname "$1"\n'
            'mount --bind "$2/by-id" /dev/disk/by-id\n'
            'for f in passwd group shadow hosts; do\n'
            '  mount --bind "$2/etc/$f" "/etc/$f"\n'
            'done\n'
            '[ ! -d /etc/sudoers.d ] || '
            'mount --bind "$2/etc/sudoers.d" /etc/sudoers.d\n'
            'mount --bind "$2/root" /root\n'
            'mount --bind "$2/home" /home\n'
            'exec ip netns exec "$3" %s -D -f "$2/sshd_config" '
            '-E "$2/sshd.log"\n' % SSHD
        )
        env = {
            'PATH': PATH,
            'LANG': 'C.UTF-8',
            MARK_HOME: self.home,
            MARK_SERVICE: marker(uuid),
        }
        # setsid -f: sshd is reparented away from nova-compute (no zombie,
        # survives a restart of the service); its pid comes from PidFile
        subprocess.run(
            ['setsid', '-f', 'unshare', '--mount', '--uts']
            + ['--propagation', 'private', 'sh', '-c', script]
            + ['loopback', state['hostname'], d, netns_name(uuid)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=30,
        )
        addrs = [a for a, _p in self._fixed(state)] or [None]
        deadline = time.monotonic() + SSHD_WAIT
        while time.monotonic() < deadline:
            if self.sshd_pid(uuid) and (
                addrs[0] is None or _tcp_answers(addrs[0], 22)
            ):
                return
            time.sleep(0.1)
        log = _read(os.path.join(d, 'sshd.log')) or ''
        raise LoopbackError(
            'sshd of loopback host %s did not come up within %ds: %s'
            % (uuid, SSHD_WAIT, '\n'.join(log.splitlines()[-10:]))
        )

    def _ensure_volume(self, state, volume_id):
        path = state['volumes'][volume_id]
        loops = state.setdefault('loops', {})
        dev = loops.get(volume_id)
        if not (dev and _backing_file(dev) == os.path.realpath(path)):
            dev = None
            for attempt in range(5):  # another process may race for /dev/loopN
                # Direct I/O, as libvirt's cache=none: reads of the file do
                # not go through the page cache twice (a buffered loop
                # device burnt about 10 CPU seconds to read 4 GiB of holes).
                proc = _run(
                    ['losetup', '--find', '--show', '--direct-io=on', path],
                    check=False,
                )
                if proc.returncode == 0:
                    dev = proc.stdout.strip()
                    break
                time.sleep(0.2 * (attempt + 1))
            if not dev:
                raise LoopbackError(
                    'losetup %s failed: %s' % (path, proc.stderr.strip())
                )
            loops[volume_id] = dev
        link = os.path.join(
            self.state_dir(state['uuid']), 'by-id', serial_link(volume_id)
        )
        target = '../../' + os.path.basename(dev)
        if os.path.islink(link) and os.readlink(link) == target:
            return
        tmp = link + '.tmp'
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, link)

    def _free_volume(self, state, volume_id):
        link = os.path.join(
            self.state_dir(state['uuid']), 'by-id', serial_link(volume_id)
        )
        with contextlib.suppress(FileNotFoundError):
            os.unlink(link)
        dev = state.get('loops', {}).pop(volume_id, None)
        path = state['volumes'].get(volume_id)
        if dev and path and _backing_file(dev) == os.path.realpath(path):
            # busy (still open inside the host): autoclear, freed on close
            _run(['losetup', '-d', dev], check=False)

    # --- internals: tear down ------------------------------------------------

    def _teardown(self, state):
        uuid = state['uuid']
        ns, veth = netns_name(uuid), veth_name(uuid)
        if netns_exists(ns):
            self._kill_netns_processes(ns)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pidfile(uuid))
        for volume_id in list(state['volumes']):
            self._free_volume(state, volume_id)
        if link_exists(veth):
            _run(['ip', 'link', 'del', veth], check=False)
        if netns_exists(ns):
            _run(['ip', 'netns', 'del', ns], check=False)
        self.save(state)
        self._sync_root_routes()

    @staticmethod
    def _kill_netns_processes(ns):
        def pids():
            out = _run(['ip', 'netns', 'pids', ns], check=False).stdout
            return [int(p) for p in out.split() if p.isdigit()]

        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            targets = pids()
            if not targets:
                return
            for pid in targets:
                _signal(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(
                _alive(p) for p in pids()
            ):
                time.sleep(0.1)


def _in_netns(pid, ns):
    try:
        a = os.stat('/proc/%d/ns/net' % pid)
        b = os.stat('/run/netns/%s' % ns)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _signal(pid, sig):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _write_proc(path, value):
    with open(path, 'w') as f:
        f.write(value)


def _backing_file(dev):
    text = _read(
        '/sys/block/%s/loop/backing_file' % os.path.basename(dev or '')
    )
    return text.strip() if text else None


def _tcp_answers(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_uid(start=2000):
    """A uid/gid free in the machine's user and group databases."""
    used = {p.pw_uid for p in pwd.getpwall()}
    text = _read('/etc/group') or ''
    used |= {
        int(f[2])
        for f in (line.split(':') for line in text.splitlines())
        if len(f) > 2 and f[2].isdigit()
    }
    uid = start
    while uid in used:
        uid += 1
    return uid
