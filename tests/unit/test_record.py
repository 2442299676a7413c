#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

import multiprocessing
import os
import stat
import threading

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import record

SHAPE = {'items': datafile.MapOf({'n': datafile.NUMBER})}


def _adder(key, i):
    return lambda doc: doc.setdefault('items', {}).update(
        {'%s%d' % (key, i): {'n': i}}
    )


def _add_in_process(path, key, times):
    rec = record.Record(path, record.shaped(SHAPE), shared=True)
    for i in range(times):
        rec.update(_adder(key, i))


class TestRecord(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'logs', 'r.yml')

    def record(self, **kwargs):
        return record.Record(self.path, record.shaped(SHAPE), **kwargs)

    def test_missing_is_empty(self):
        self.assertEqual({}, self.record().read())
        self.assertFalse(os.path.exists(os.path.dirname(self.path)))

    def test_round_trip_private(self):
        self.record().write({'items': {'a': {'n': 1}}})
        self.assertEqual({'items': {'a': {'n': 1}}}, self.record().read())
        mode = os.stat(self.path).st_mode
        self.assertEqual(0o600, stat.S_IMODE(mode))
        dir_mode = os.stat(os.path.dirname(self.path)).st_mode
        self.assertEqual(0o700, stat.S_IMODE(dir_mode))
        self.assertEqual(['r.yml'], os.listdir(os.path.dirname(self.path)))

    def test_read_is_a_copy(self):
        rec = self.record()
        rec.write({'items': {'a': {'n': 1}}})
        rec.read()['items']['a']['n'] = 2
        self.assertEqual({'items': {'a': {'n': 1}}}, rec.read())

    def test_sees_a_write_of_another_process(self):
        rec = self.record()
        rec.write({'items': {'a': {'n': 1}}})
        self.assertEqual({'a': {'n': 1}}, rec.read()['items'])
        with open(self.path, 'w') as f:
            f.write('items: {b: {n: 22}}\n')
        self.assertEqual({'b': {'n': 22}}, rec.read()['items'])

    def test_wrong_shape(self):
        os.makedirs(os.path.dirname(self.path))
        for text, message in (
            ('items: [1]\n', 'field items: must be a mapping, not a list'),
            ('items: {a: {n: x}}\n', 'field items.a.n: must be a number'),
            ('[1]\n', 'must be a mapping, not a list'),
            ('a: [\n', 'invalid YAML: line 2, column 1'),
        ):
            with open(self.path, 'w') as f:
                f.write(text)
            e = self.assertRaises(exceptions.DataFileError, self.record().read)
            self.assertTrue(
                str(e).startswith('%s: %s' % (self.path, message)), str(e)
            )

    def test_check_and_parse_are_the_callers(self):
        def parse(text, path):
            return {'items': {'parsed': {'n': len(text)}}}

        def check(doc, path):
            raise exceptions.DataFileError('no', path=path)

        rec = record.Record(self.path, parse=parse)
        rec.write({})
        self.assertEqual({'items': {'parsed': {'n': 3}}}, rec.read())
        rec = record.Record(self.path, check=check)
        self.assertRaises(exceptions.DataFileError, rec.read)

    def test_planted_link_directory_refused(self):
        outside = os.path.join(self.dir, 'outside')
        os.mkdir(outside)
        os.symlink(outside, os.path.dirname(self.path))
        e = self.assertRaises(
            exceptions.DataFileError, self.record().write, {}
        )
        self.assertIn('is a symbolic link: refused', str(e))
        self.assertEqual([], os.listdir(outside))
        self.record(link_ok=True).write({})
        self.assertEqual(['r.yml'], os.listdir(outside))

    def test_update_and_remove(self):
        rec = self.record()
        written = rec.update(lambda doc: doc.update(items={'a': {'n': 1}}))
        self.assertEqual({'items': {'a': {'n': 1}}}, written)
        rec.update(lambda doc: doc['items'].update(b={'n': 2}))
        self.assertEqual(
            {'items': {'a': {'n': 1}, 'b': {'n': 2}}}, self.record().read()
        )
        rec.remove()
        rec.remove()
        self.assertFalse(os.path.exists(self.path))
        self.assertEqual({}, rec.read())

    def test_updates_from_threads(self):
        def add(key):
            rec = self.record()
            for i in range(10):
                rec.update(_adder(key, i))

        threads = [threading.Thread(target=add, args=(k,)) for k in 'abcd']
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(40, len(self.record().read()['items']))

    def test_shared_updates_from_processes(self):
        procs = [
            multiprocessing.get_context('fork').Process(
                target=_add_in_process, args=(self.path, k, 10)
            )
            for k in 'ab'
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        self.assertEqual([0, 0], [p.exitcode for p in procs])
        self.assertEqual(20, len(self.record().read()['items']))
        mode = os.stat(self.path + '.lock').st_mode
        self.assertEqual(0o600, stat.S_IMODE(mode))

    def test_shared_lock_is_reentrant(self):
        rec = self.record(shared=True)
        with rec.locked():
            rec.update(lambda doc: doc.update(items={}))
            rec.write({'items': {'a': {'n': 1}}})
        self.assertEqual({'a': {'n': 1}}, rec.read()['items'])


class TestLedger(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'logs', 'journal.yml')

    def ledger(self, path=True):
        return record.Ledger(
            self.path if path else None, 'things', {'id': datafile.STR}
        )

    def test_round_trip(self):
        self.ledger().set('a', id='x')
        self.ledger().set('a', state='done')
        self.assertEqual({'id': 'x', 'state': 'done'}, self.ledger().get('a'))
        self.assertEqual({}, self.ledger().get('b'))
        with open(self.path) as f:
            self.assertEqual(
                'things:\n  a:\n    id: x\n    state: done\n', f.read()
            )

    def test_ledgers_of_one_file_see_each_others_writes(self):
        one, two = self.ledger(), self.ledger()
        one.set('a', id='1')
        two.set('b', id='2')
        self.assertEqual({'a': {'id': '1'}, 'b': {'id': '2'}}, one.records)

    def test_in_memory(self):
        ledger = self.ledger(path=False)
        ledger.set('a', id='1')
        self.assertEqual({'id': '1'}, ledger.get('a'))
        self.assertFalse(os.path.exists(os.path.dirname(self.path)))

    def test_wrong_shape_said_at_once(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'w') as f:
            f.write('things: {a: {id: [1]}}\n')
        e = self.assertRaises(exceptions.DataFileError, self.ledger)
        self.assertEqual(
            '%s: field things.a.id: must be a string, not a list' % self.path,
            str(e),
        )
