#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The record of each detached volume's copy (the copy:
tests/unit/workload/test_volumes.py)."""

import os
import threading

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.workload import volume_journal


class TestJournal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_journal_round_trip(self):
        volume_journal.Journal(self.data_dir).set(
            'v1', state='done', dest_id='d1'
        )
        self.assertEqual(
            {'state': 'done', 'dest_id': 'd1'},
            volume_journal.Journal(self.data_dir).get('v1'),
        )

    def test_planted_symlinked_log_directory_is_refused(self):
        outside = os.path.join(self.data_dir, 'outside')
        os.mkdir(outside)
        link = os.path.join(self.data_dir, 'volume_logs')
        os.symlink(outside, link)
        for call in (
            lambda: volume_journal.Journal(self.data_dir).set('v1', state='x'),
            volume_journal.volume_log(self.data_dir, 'v1').__enter__,
        ):
            e = self.assertRaises(exceptions.DataFileError, call)
            self.assertEqual(
                '%s: is a symbolic link: refused (it must be a directory)'
                % link,
                str(e),
            )
        self.assertEqual([], os.listdir(outside))

    def test_journal_of_the_wrong_shape(self):
        path = volume_journal.journal_path(self.data_dir)
        os.makedirs(os.path.dirname(path))
        for text, message in (
            (
                'volumes: [v1]\n',
                'field volumes: must be a mapping, not a list',
            ),
            (
                'volumes: {v1: {attached: x}}\n',
                'field volumes.v1.attached: must be a list, not a string',
            ),
            ('[1]\n', 'must be a mapping, not a list'),
        ):
            with open(path, 'w') as f:
                f.write(text)
            e = self.assertRaises(
                exceptions.DataFileError, volume_journal.Journal, self.data_dir
            )
            self.assertEqual('%s: %s' % (path, message), str(e))

    def test_journals_of_one_file_keep_each_others_writes(self):
        one = volume_journal.Journal(self.data_dir)
        two = volume_journal.Journal(self.data_dir)
        one.set('v1', state='started')
        two.set('v2', state='started')
        one.set('v1', state='done')
        self.assertEqual(
            {'v1': {'state': 'done'}, 'v2': {'state': 'started'}},
            volume_journal.Journal(self.data_dir).records,
        )
        self.assertEqual({'state': 'started'}, one.get('v2'))

    def test_journal_from_threads(self):
        journal = volume_journal.Journal(self.data_dir)

        def write(n):
            for i in range(8):
                volume_journal.Journal(self.data_dir).set('v%d' % n, step=i)
                journal.set('w%d' % n, step=i)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        records = volume_journal.Journal(self.data_dir).records
        self.assertEqual(8, len(records))
        self.assertEqual({7}, {r["step"] for r in records.values()})


class TestVolumeLog(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_log_of_an_id_that_leads_out_is_refused(self):
        outside = os.path.join(self.data_dir, 'outside.log')
        e = self.assertRaises(
            exceptions.DataFileError,
            volume_journal.volume_log(self.data_dir, '../outside').__enter__,
        )
        self.assertEqual(
            'field _info.id: must be a plain id (letters, digits, ".", "_" '
            "and \"-\", at most 128, no \"..\"), not '../outside'",
            str(e),
        )
        self.assertFalse(os.path.exists(outside))

    def test_log_through_a_planted_symlink_is_refused(self):
        outside = os.path.join(self.data_dir, 'outside')
        with open(outside, 'w') as f:
            f.write('keep')
        os.chmod(outside, 0o644)
        os.makedirs(os.path.join(self.data_dir, 'volume_logs'))
        path = volume_journal.log_path(self.data_dir, 'v1')
        os.symlink(outside, path)
        e = self.assertRaises(
            exceptions.DataFileError,
            volume_journal.volume_log(self.data_dir, 'v1').__enter__,
        )
        self.assertEqual('%s: is a symbolic link: refused' % path, str(e))
        with open(outside) as f:
            self.assertEqual('keep', f.read())
        self.assertEqual(0o644, os.stat(outside).st_mode & 0o777)
