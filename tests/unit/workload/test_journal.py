#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import datetime
import os
import stat
import threading

import fixtures
from oslotest import base
import yaml

from osmigrateclient import exceptions
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class TestJournal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.data_dir, 'workload_logs', 'vm1.yml')

    def test_paths(self):
        self.assertEqual(self.path, journal.path_of(self.data_dir, 'vm1'))
        self.assertEqual(
            os.path.join(self.data_dir, 'workload_logs', 'vm1.log'),
            journal.log_path(self.data_dir, 'vm1'),
        )

    def test_ids_that_lead_out_are_refused(self):
        # A server id of workloads.yml names the journal and the log.
        for source_id in ('../../x', '..', 'a/b', '.hidden', None):
            for call in (journal.path_of, journal.log_path, journal.Journal):
                args = (self.data_dir, source_id)
                if call is journal.Journal:
                    args += ('vm',)
                e = self.assertRaises(exceptions.DataFileError, call, *args)
                self.assertEqual(
                    'field _info.id: must be a plain id (letters, digits, '
                    '".", "_" and "-", at most 128, no ".."), not %r'
                    % (source_id,),
                    str(e),
                )
        self.assertEqual([], os.listdir(self.data_dir))

    def test_server_log_through_a_planted_symlink_is_refused(self):
        outside = os.path.join(self.data_dir, 'outside')
        with open(outside, 'w') as f:
            f.write('keep')
        os.chmod(outside, 0o644)
        os.makedirs(os.path.dirname(self.path))
        log = journal.log_path(self.data_dir, 'vm1')
        os.symlink(outside, log)
        e = self.assertRaises(
            exceptions.DataFileError,
            migration.server_log,
            self.data_dir,
            'vm1',
        )
        self.assertEqual('%s: is a symbolic link: refused' % log, str(e))
        with open(outside) as f:
            self.assertEqual('keep', f.read())
        self.assertEqual(0o644, _mode(outside))

    def test_planted_symlinked_directory_is_refused(self):
        outside = os.path.join(self.data_dir, 'outside')
        os.mkdir(outside)
        os.chmod(outside, 0o755)
        os.symlink(outside, os.path.dirname(self.path))
        j = journal.Journal(self.data_dir, 'vm1', 'vm')
        e = self.assertRaises(exceptions.DataFileError, j.set, phase='done')
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)'
            % os.path.dirname(self.path),
            str(e),
        )
        self.assertEqual([], os.listdir(outside))
        self.assertEqual(0o755, _mode(outside))

    def test_wrong_shapes_are_refused(self):
        os.makedirs(os.path.dirname(self.path))
        for text, message in (
            ('- 1\n', 'must be a mapping, not a list'),
            ('steps: 5\n', 'field steps: must be a mapping, not a number'),
            ('steps: [a]\n', 'field steps: must be a mapping, not a list'),
            (
                'steps: {server: {state: [done]}}\n',
                'field steps.server.state: must be a string, not a list',
            ),
            (
                'steps: {ports: {created: [p1]}}\n',
                'field steps.ports.created: must be a mapping, not a list',
            ),
            (
                'source: {detached: {volume: v}}\n',
                'field source.detached: must be a list, not a mapping',
            ),
            ('remarks: text\n', 'field remarks: must be a list, not a string'),
            (
                "steps: {'volume:v1': {copy: {bytes_sent: '9'}}}\n",
                'field steps.volume:v1.copy.bytes_sent: must be a number, '
                'not a string',
            ),
            (
                'phase: [x\n',
                "invalid YAML: line 2, column 1: expected ',' or"
                " ']', but got '<stream end>'",
            ),
            (
                'a: %s\n' % ('[' * 70 + ']' * 70),
                'nested more than 64 levels deep',
            ),
        ):
            with open(self.path, 'w') as f:
                f.write(text)
            e = self.assertRaises(
                exceptions.DataFileError,
                journal.Journal,
                self.data_dir,
                'vm1',
                'vm',
            )
            self.assertEqual('%s: %s' % (self.path, message), str(e))

    def test_new_journal_is_not_written_until_changed(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        self.assertFalse(os.path.exists(self.path))
        self.assertIsNone(j.phase)
        self.assertEqual(
            {'source_id': 'vm1', 'name': 'app-vm', 'steps': {}, 'source': {}},
            j.data,
        )

    def test_round_trip(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase=journal.RUNNING, dest_id='d1')
        j.set_source(status='ACTIVE', stopped=True)
        j.set_source(detached=[{'volume': 'vol1', 'device': '/dev/vdb'}])
        j.update_step('stop', state=journal.DONE, seconds=1.5)
        j.update_step('volume:vol1', state=journal.STARTED)
        j.update_step('volume:vol1', dest_volume='dv1')
        expected = {
            'name': 'app-vm',
            'source_id': 'vm1',
            'phase': 'running',
            'dest_id': 'd1',
            'source': {
                'status': 'ACTIVE',
                'stopped': True,
                'detached': [{'volume': 'vol1', 'device': '/dev/vdb'}],
            },
            'steps': {
                'stop': {'state': 'done', 'seconds': 1.5},
                'volume:vol1': {'state': 'started', 'dest_volume': 'dv1'},
            },
        }
        with open(self.path, encoding='utf-8') as f:
            self.assertEqual(expected, yaml.safe_load(f))
        again = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        self.assertEqual(expected, again.data)
        self.assertEqual('running', again.phase)
        self.assertTrue(again.done('stop'))
        self.assertFalse(again.done('volume:vol1'))
        self.assertFalse(again.done('server'))
        self.assertEqual({}, again.step('server'))

    def test_file_is_0600_in_a_0700_directory(self):
        journal.Journal(self.data_dir, 'vm1', 'app-vm').set(phase='running')
        self.assertEqual(0o600, _mode(self.path))
        self.assertEqual(0o700, _mode(os.path.dirname(self.path)))
        self.assertEqual(['vm1.yml'], os.listdir(os.path.dirname(self.path)))

    def test_a_new_name_replaces_the_journalled_one(self):
        journal.Journal(self.data_dir, 'vm1', 'old').set(phase='done')
        j = journal.Journal(self.data_dir, 'vm1', 'new')
        self.assertEqual('new', j.data['name'])
        self.assertEqual('done', j.phase)

    def test_step_and_source_are_copies(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.update_step('ports', created={'p': 'd'})
        j.set_source(status='SHUTOFF')
        j.step('ports')['state'] = 'done'
        j.source['stopped'] = True
        self.assertEqual({'created': {'p': 'd'}}, j.step('ports'))
        self.assertEqual({'status': 'SHUTOFF'}, j.source)

    def test_update_step_merges_and_forget_step_drops(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.update_step('boot_disk', state='started', snapshot='s1')
        j.update_step('boot_disk', snapshot=None, temp_volume='t1')
        self.assertEqual(
            {'state': 'started', 'snapshot': None, 'temp_volume': 't1'},
            journal.Journal(self.data_dir, 'vm1', 'x').step('boot_disk'),
        )
        j.update_step('stop', state='done')
        j.forget_step('boot_disk')
        j.forget_step('never-there')
        self.assertEqual(
            {'stop': {'state': 'done'}},
            journal.Journal(self.data_dir, 'vm1', 'x').data['steps'],
        )

    def test_reset_keeps_only_who_and_phase(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(
            phase=journal.FAILED,
            started_at='2024-05-01T10:00:00Z',
            finished_at='2024-05-01T10:05:00Z',
            step='server',
            error='boom',
            dest_id='d1',
        )
        j.set_source(status='ACTIVE', stopped=True)
        j.update_step('stop', state='done')
        j.reset()
        expected = {
            'name': 'app-vm',
            'source_id': 'vm1',
            'phase': 'failed',
            'started_at': '2024-05-01T10:00:00Z',
            'steps': {},
            'source': {},
        }
        self.assertEqual(expected, j.data)
        self.assertEqual(
            expected, journal.Journal(self.data_dir, 'vm1', 'app-vm').data
        )

    def test_writes_from_threads_all_land(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        threads = [
            threading.Thread(
                target=j.update_step, args=('volume:v%d' % i,), kwargs={'n': i}
            )
            for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(
            {'volume:v%d' % i: {'n': i} for i in range(8)},
            journal.Journal(self.data_dir, 'vm1', 'app-vm').data['steps'],
        )

    def test_now(self):
        self.assertRegex(journal.now(), r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')


class TestLoadAll(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def _write(self, file_name, text):
        folder = journal.directory(self.data_dir)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, file_name), 'w') as f:
            f.write(text)

    def test_no_directory(self):
        self.assertEqual([], journal.load_all(self.data_dir))

    def test_by_name_then_source_id(self):
        for source_id, name in (
            ('c', 'web'),
            ('a', 'web'),
            ('b', 'db'),
            ('d', None),
        ):
            journal.Journal(self.data_dir, source_id, name).set(phase='done')
        found = journal.load_all(self.data_dir)
        self.assertEqual(
            [(None, 'd'), ('db', 'b'), ('web', 'a'), ('web', 'c')],
            [(j['name'], j['source_id']) for j in found],
        )
        self.assertEqual(
            {
                'name': 'db',
                'source_id': 'b',
                'phase': 'done',
                'steps': {},
                'source': {},
            },
            found[1],
        )

    def test_a_journal_of_the_wrong_shape(self):
        self._write('vm1.yml', 'source_id: vm1\nsteps: [1]\n')
        e = self.assertRaises(
            exceptions.DataFileError, journal.load_all, self.data_dir
        )
        self.assertEqual(
            '%s: field steps: must be a mapping, not a list'
            % os.path.join(self.data_dir, 'workload_logs', 'vm1.yml'),
            str(e),
        )

    def test_other_files_are_left_out(self):
        journal.Journal(self.data_dir, 'vm1', 'app-vm').set(phase='done')
        self._write('vm1.log', 'not a journal\n')
        self._write('empty.yml', '')
        self._write('list.yml', '- 1\n- 2\n')
        self._write('anonymous.yml', 'name: x\nphase: done\n')
        self.assertEqual(
            ['vm1'], [j['source_id'] for j in journal.load_all(self.data_dir)]
        )


class TestStamp(base.BaseTestCase):
    """The downtime is measured between two stamps, across runs."""

    def test_seconds_since(self):
        then = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
            seconds=90
        )
        down = journal.seconds_since(then.strftime('%Y-%m-%dT%H:%M:%S.%fZ'))
        # (the clock runs on between the two: not more than the elapsed)
        self.assertGreaterEqual(down, 90.0)
        self.assertIsInstance(journal.seconds_since(journal.stamp()), float)

    def test_not_a_stamp(self):
        for value in (None, '', 'yesterday', '2026-12-05T10:00:00Z', 5):
            self.assertIsNone(journal.seconds_since(value), value)
