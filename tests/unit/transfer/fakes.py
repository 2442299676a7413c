#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Fakes of Cinder, Nova and the conversion hosts for the tests of the
volume copy and its parts (and of the modules that use them)."""

import threading
import types

from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh


def sdk_volume(**kw):
    attrs = dict(
        id='v1',
        name='data',
        description='d',
        availability_zone='nova',
        volume_type='nfs',
        volume_image_metadata={},
        metadata={'a': 'b'},
        attachments=[],
        is_bootable=False,
        size=1,
        status='available',
    )
    attrs.update(kw)
    return types.SimpleNamespace(**attrs)


class FakeBlockStorage:
    """Volumes in a dict; new ones get ``new_status``, deleted ones
    ``delete_status`` (gone when None)."""

    def __init__(self, volumes, log):
        self.store, self.log = volumes, log
        self.new_status = 'available'
        self.delete_status = None
        self.lock = threading.Lock()
        self.made = 0

    def get_volume(self, vid):
        return self.store[vid]

    def volumes(self, name=None):
        return [
            v
            for v in list(self.store.values())
            if name is None or v.name == name
        ]

    def find_volume(self, vid):
        return self.store.get(vid)

    def extend_volume(self, volume, size):
        self.log.append(('extend_volume', volume.id, size))
        volume.status, volume.size = 'available', size

    def create_volume(self, **attrs):
        with self.lock:
            vid = 'new' if not self.made else 'new%d' % self.made
            self.made += 1
        self.log.append(('create_volume', attrs))
        vol = sdk_volume(
            id=vid,
            status=self.new_status,
            **{k: v for k, v in attrs.items() if k != 'size'},
        )
        self.store[vid] = vol
        return vol

    def delete_volume(self, vid, ignore_missing=True):
        self.log.append(('delete_volume', vid))
        if self.delete_status and vid in self.store:
            self.store[vid].status = self.delete_status
        else:
            self.store.pop(vid, None)


class FakeCompute:
    def __init__(self, volumes, log, side):
        self.volumes, self.log, self.side = volumes, log, side
        self.fail_detach = None

    def create_volume_attachment(self, server, volume_id):
        self.log.append(('attach', self.side, server, volume_id))
        self.volumes[volume_id].status = 'in-use'

    def delete_volume_attachment(self, server, volume, ignore_missing=True):
        # A Server resource: openstacksdk must not look the server up.
        self.log.append(('detach', self.side, server.id, volume))
        if self.fail_detach:
            raise self.fail_detach
        if volume in self.volumes:
            self.volumes[volume].status = 'available'


def conn(volumes, log, side):
    return types.SimpleNamespace(
        block_storage=FakeBlockStorage(volumes, log),
        compute=FakeCompute(volumes, log, side),
    )


class HostRunner:
    """Devices show up by serial; the copy itself is faked."""

    def __init__(self, by_id=True):
        self.by_id = by_id

    def run(self, argv, timeout=None, input=None):
        cmd = argv[-1]
        assert 'lsblk' in cmd, cmd
        serial = cmd.split(' S=')[1].split()[0]
        if self.by_id:
            return ssh.Completed(0, '/dev/disk/by-id/virtio-%s\n' % serial, '')
        return ssh.Completed(0, '/dev/vdb\n', '')


def save_hosts(data_dir):
    conversion_host.save_hosts(
        data_dir,
        {
            'src': {'name': 'cs', 'server_id': 'S', 'address': '10.1.0.5'},
            'dst': {'name': 'cd', 'server_id': 'D', 'address': '10.2.0.5'},
        },
    )


def no_pause(seconds):
    pass


class Clock:
    """A clock that moves on by ``step`` seconds at each reading."""

    def __init__(self, step=1.0):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now
