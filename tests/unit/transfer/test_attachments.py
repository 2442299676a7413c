#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import os
import subprocess

import fixtures
from oslotest import base

from osmigrateclient.transfer import attachments
from osmigrateclient.transfer import ssh
from tests.unit.transfer import fakes


class TestDetachAll(base.BaseTestCase):
    def test_volume_in_use_elsewhere_is_detached_from_that_server(self):
        # Found by the fault campaign (tools/chaos): a failed run's revert
        # attached a source volume back to its server while the record of
        # its conversion host attachment stayed; the next run waited for
        # it to be "available" until the timeout (30 minutes).
        log = []
        volumes = {
            'v1': fakes.sdk_volume(
                id='v1',
                status='in-use',
                attachments=[{'server_id': 'vm1'}],
            )
        }
        c = fakes.conn(volumes, log, 'src')
        c.compute.delete_volume_attachment = lambda server, volume, **kw: (
            log.append(('detach', server.id, volume))
        )
        pauses = []
        attachments.detach_all(
            {'src': c},
            [{'side': 'src', 'server': 'S', 'volume': 'v1'}],
            10,
            lambda: 0.0,
            pauses.append,
        )
        self.assertEqual([('detach', 'S', 'v1')], log)
        self.assertEqual([], pauses)

    def test_waits_while_detaching(self):
        volumes = {
            'v1': fakes.sdk_volume(
                id='v1', status='detaching', attachments=[{'server_id': 'S'}]
            )
        }
        c = fakes.conn(volumes, [], 'src')
        c.compute.delete_volume_attachment = lambda *a, **kw: None

        def settle(seconds):
            volumes['v1'].status = 'available'
            volumes['v1'].attachments = []

        pauses = []
        attachments.detach_all(
            {'src': c},
            [{'side': 'src', 'server': 'S', 'volume': 'v1'}],
            10,
            lambda: 0.0,
            lambda s: (pauses.append(s), settle(s)),
        )
        self.assertEqual(1, len(pauses))


class TestDevices(base.BaseTestCase):
    def test_device_script(self):
        script = attachments.device_script('0123456789abcdefghijKLMN')
        self.assertIn(
            '[ -b /dev/disk/by-id/virtio-0123456789abcdefghij ]', script
        )
        self.assertIn(
            'S=0123456789abcdefghij awk \'$2 == ENVIRON["S"]', script
        )

    def test_device_script_quotes_the_volume_id(self):
        # A volume id from a data file or a cloud reaches a root shell.
        script = attachments.device_script('$(touch "$F")')
        d = self.useFixture(fixtures.TempDir()).path
        marker = os.path.join(d, 'hit')
        subprocess.run(
            ['sh', '-c', script],
            env={'PATH': os.environ['PATH'], 'F': marker},
            capture_output=True,
        )
        self.assertFalse(os.path.exists(marker))

    def test_find_device(self):
        host = ssh.Host('10.0.0.1', 'k', 'kh')
        self.assertEqual(
            '/dev/vdb',
            attachments.find_device(fakes.HostRunner(False), host, 'v1'),
        )

    def test_find_device_not_yet(self):
        class Nothing:
            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(0, '\n', '')

        host = ssh.Host('10.0.0.1', 'k', 'kh')
        self.assertEqual('', attachments.find_device(Nothing(), host, 'v1'))
