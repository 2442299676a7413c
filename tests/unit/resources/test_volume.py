#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import argparse
import types

import fixtures
from oslotest import base

from osmigrateclient import movers
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import refs
from osmigrateclient.resources import volume
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import volume_journal
from tests.unit.transfer import fakes as transfer_fakes


_sdk_volume = transfer_fakes.sdk_volume
_hosts = transfer_fakes.save_hosts


class TestVolume(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def _lookup(self, method=None):
        return refs.Lookup(
            None,
            data_dir=self.data_dir,
            options=types.SimpleNamespace(transfer_method=method),
            movers=movers.for_run(),
        )

    def test_from_sdk(self):
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        self.assertEqual('openstack.network.ServerVolume', entry['type'])
        self.assertEqual(
            {
                'availability_zone': 'nova',
                'description': 'd',
                'metadata': {'a': 'b'},
                'name': 'data',
                'volume_image_metadata': {},
                'volume_type': 'nfs',
            },
            entry['params'],
        )
        self.assertEqual(
            {
                'attachments': [],
                'id': 'v1',
                'is_bootable': False,
                'size': 1,
                'status': 'available',
            },
            entry['_info'],
        )

    def test_not_in_export_all(self):
        self.assertFalse(volume.Volume.pre_workload)
        self.assertEqual('detached_volumes.yml', volume.Volume.file_name)

    def test_conversion_host_method_needs_hosts(self):
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        decision = volume.Volume().decide(self._lookup(), entry)
        self.assertEqual(
            (
                resource_base.BLOCKED,
                'transfer: no src or dst conversion host: run "openstack '
                'migrate conversion host deploy" first, or use '
                '--transfer-method image',
            ),
            decision[:2],
        )

    def test_conversion_host_method_with_hosts(self):
        _hosts(self.data_dir)
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        decision = volume.Volume().decide(self._lookup(), entry)
        self.assertEqual(resource_base.CREATE, decision.action)

    def test_half_done_is_redone(self):
        volume_journal.Journal(self.data_dir).set(
            'v1', state='started', dest_id='x'
        )
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        decision = volume.Volume().decide(self._lookup('image'), entry)
        self.assertEqual(
            (resource_base.CREATE, 'redo: the last copy did not finish'),
            decision[:2],
        )

    def test_options(self):
        parser = argparse.ArgumentParser()
        volume.Volume().add_arguments(parser, 'import')
        args = parser.parse_args([])
        self.assertEqual(
            (1, True, None, 1800, 'conversion-host'),
            (
                args.volume_parallel,
                args.volume_verify,
                args.copy_timeout,
                args.volume_timeout,
                args.transfer_method,
            ),
        )
        # left to the copier's default, which the help names
        self.assertIsNone(args.per_host)
        self.assertEqual(
            volume_copy.DEFAULT_SETTINGS.per_host, volume.PER_HOST
        )
        args = parser.parse_args(
            ['--parallel', '3', '--no-verify', '--copy-timeout', '60']
            + ['--per-host', '4']
        )
        self.assertEqual(
            (3, False, 60, 4),
            (
                args.volume_parallel,
                args.volume_verify,
                args.copy_timeout,
                args.per_host,
            ),
        )
        stderr = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr.stream))
        self.assertRaises(SystemExit, parser.parse_args, ['--parallel', '0'])
        self.assertIn(
            "argument --parallel: a whole number of at least 1, not '0'",
            stderr.getDetails()['stderr'].as_text(),
        )
