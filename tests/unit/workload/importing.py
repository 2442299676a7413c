#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The test case of a server's import: a source with one server, an
empty destination, a fake copier."""

import fixtures
from oslotest import base

from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes


def without_down_from(source):
    """The journal's source part, its down_from checked to be a stamp."""
    source = dict(source)
    self_check = journal.seconds_since(source.pop('down_from'))
    assert self_check is not None, 'down_from is no stamp'
    return source


ROOT_VOLUME = checked.ServerVolume(
    source_id='vol-root',
    name='root',
    size=2,
    device='/dev/vda',
    bootable=True,
    attrs={'name': 'root', 'volume_type': 'nfs'},
    image_metadata={'image_name': 'cirros'},
)


def volume_bdm(volume_id, boot_index):
    return {
        'boot_index': boot_index,
        'uuid': volume_id,
        'source_type': 'volume',
        'destination_type': 'volume',
        'delete_on_termination': False,
    }


IMAGE_BDM = {
    'boot_index': 0,
    'uuid': 'dimg1',
    'source_type': 'image',
    'destination_type': 'local',
    'delete_on_termination': True,
}


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run goes on."""


class ImportTestCase(base.BaseTestCase):
    """vm1 'app-vm' in the source with vol1 attached at /dev/vdb; an empty
    destination; a fake copier; a clock that never needs to pause."""

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(fakes.close_server_logs, self.data_dir)
        # Every journal write is flushed to disk: not needed here.
        self.useFixture(fixtures.MockPatch('os.fsync'))
        self.src = fakes.source()
        self.dst = fakes.Cloud()
        self.copier = fakes.Copier()
        self.pauses = []

    def importer(self, resolved=None, stop=False):
        ctx = migration.Context(
            self.data_dir,
            self.src,
            self.dst,
            volume_copy.Settings(timeout=30.0),
            stop=stop,
            clock=fakes.Clock(),
            pause=self.pauses.append,
        )
        return migration.ServerImport(
            ctx, resolved or fakes.resolved(), copier=self.copier
        )

    def run_import(self, resolved=None, stop=False):
        return self.importer(resolved, stop).run()

    def journal(self, source_id='vm1'):
        """The journal as on disk."""
        return journal.Journal(self.data_dir, source_id, 'x').data

    def one(self, kind):
        (obj,) = self.dst.store.get(kind, [])
        return obj

    def kwargs(self, cloud, call):
        return [k for _, k in cloud.calls_to(call)]

    def create_volume_then(self, error):
        """The destination's volume creates make the volume, then
        ``error`` is raised instead of the answer."""
        made = self.dst._api_create_volume

        def create(**attrs):
            made(**attrs)
            raise error

        self.dst._api_create_volume = create
