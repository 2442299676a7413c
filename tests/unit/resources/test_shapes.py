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

"""Every field of every resource type, given a value of the wrong type.

A hand-edited or hostile data file must be refused with one DataFileError
naming the file, the resource and the field, by ``validate`` and before
any import or plan; a value that passes the check must not crash what
reads it (plan, names, identities, the workload pre-flight).
"""

import copy
import json
import os
import tempfile

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import movers
from osmigrateclient import resources
from osmigrateclient import validation
from osmigrateclient.resources import refs
from osmigrateclient.workload import preflight
from tests.unit import fakes

#: wrong values: each is the wrong type for some field
WRONG = ([1, 2], {'a': 1}, 5, 'text', True)
#: what may end a plan of an entry made up of placeholders
HANDLED = (
    exceptions.MigrateError,
    sdk_exceptions.SDKException,
    # a fake connection's answer to a call it does not know
    AssertionError,
)


def sample(shape):
    """A value of ``shape``."""
    if shape is datafile.ANY:
        return 'x'
    if isinstance(shape, datafile.MapOf):
        return {'k': sample(shape.shape)}
    if isinstance(shape, dict):
        return {k: sample(s) for k, s in shape.items()}
    if isinstance(shape, list):
        return [sample(shape[0])]
    if bool in shape and len(shape) == 1:
        return True
    return 'x' if str in shape else 1


def fields(shape, path=()):
    """The paths of every part of ``shape``: keys, and [0] for lists."""
    if isinstance(shape, dict):
        for key, sub in shape.items():
            yield path + (key,)
            yield from fields(sub, path + (key,))
    elif isinstance(shape, datafile.MapOf):
        yield from fields(shape.shape, path + ('k',))
    elif isinstance(shape, list):
        yield path + (0,)
        yield from fields(shape[0], path + (0,))


def replaced(entry, path, value):
    entry = copy.deepcopy(entry)
    parent = entry
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return entry


def field_name(path):
    text = ''
    for key in path:
        text += '[%d]' % key if isinstance(key, int) else '.%s' % key
    return text.lstrip('.')


class TestWrongTypes(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        # Thousands of files are written: durability does not matter here.
        self.useFixture(fixtures.MockPatch('os.fsync'))
        #: what crashed instead of being refused or handled
        self.crashes = []
        self.addCleanup(lambda: self.assertEqual([], self.crashes))

    def entry(self, resource):
        shape = resource.shape()
        entry = {'type': resource.type}
        entry.update(
            {
                p: {} if s is datafile.ANY else sample(s)
                for p, s in shape.items()
            }
        )
        # A UUID: the shape of an id that every type takes (Barbican's
        # types take nothing else).
        entry['_info']['id'] = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
        return entry

    def try_entry(self, resource, entry, where):
        """Check ``entry`` as import and validate do: refused with a
        DataFileError naming the field, or accepted and handled."""
        data_dir = tempfile.mkdtemp(dir=self.dir)
        path = os.path.join(data_dir, resource.file_name)
        datafile.write(path, [entry])
        try:
            alltypes.entries_of(resource, data_dir)
        except exceptions.DataFileError as e:
            self.assertEqual(path, e.path, where)
            self.assertTrue(e.resource.startswith('resource 0'), where)
            self.assertTrue(e.field, where)
            self.assertEqual(
                '%s: %s: field %s: %s'
                % (path, e.resource, e.field, e.problem),
                str(e),
            )
            # validate says the same (but for a type that is only
            # another type's: unknown, rather than in the wrong file)
            problems, _, _ = validation.validate(data_dir)
            self.assertEqual(
                [(path, e.resource, e.field)],
                [tuple(p)[:3] for p in problems],
                where,
            )
            if e.field != 'type':
                self.assertEqual(e.problem, problems[0].problem, where)
            return e
        self.use(resource, entry, data_dir, where)
        validation.validate(data_dir)
        return None

    def use(self, resource, entry, data_dir, where):
        conn = fakes.FakeConnection(project_id=fakes.PROJECT)
        lookup = refs.Lookup(conn, data_dir=data_dir, movers=movers.for_run())
        for read in (
            resource.name_of,
            resource.label_of,
            resource.import_identity,
            resource.export_key,
        ):
            hash(read(entry))
        try:
            if resource.cli_name == 'workload':
                preflight.Checker(lookup, lookup).check(entry, [])
            else:
                resource.decide(lookup, entry)
        except HANDLED:
            pass
        except Exception as e:  # noqa: BLE001 - what the test looks for
            self.crashes.append('%s: %s: %s' % (where, type(e).__name__, e))

    def test_sample_entries_are_accepted(self):
        for resource in resources.by_cli_name().values():
            self.assertIsNone(
                self.try_entry(resource, self.entry(resource), resource.type)
            )

    def test_every_field_of_every_type(self):
        # Thousands of entries: skip the (slow, pure Python) YAML round
        # trip that the other tests make.
        def write(path, entries):
            with open(path, 'w') as f:
                json.dump(entries, f)

        def load(path):
            with open(path) as f:
                entries = json.load(f)
            datafile.check_entry(entries[0], path, 0)
            return datafile.DataFile(path, datafile.FORMAT_VERSION, entries)

        self.useFixture(
            fixtures.MockPatch('osmigrateclient.datafile.load', load)
        )
        self.useFixture(
            fixtures.MockPatch('osmigrateclient.datafile.write', write)
        )
        refused = 0
        for resource in resources.by_cli_name().values():
            good = self.entry(resource)
            for path in [('type',), *fields(resource.shape())]:
                for value in WRONG:
                    where = '%s %s=%r' % (
                        resource.type,
                        field_name(path),
                        value,
                    )
                    e = self.try_entry(
                        resource, replaced(good, path, value), where
                    )
                    if e is not None:
                        refused += 1
                        self.assertTrue(
                            e.field.startswith(field_name(path)[:2]), where
                        )
        self.assertGreater(refused, 500)

    def test_message(self):
        resource = resources.get('flavor')
        entry = self.entry(resource)
        for value, problem in (
            (5, 'must be a list, not a number'),
            ('abc', 'must be a list, not a string'),
        ):
            e = self.try_entry(
                resource,
                replaced(entry, ('params', 'access_project_refs'), value),
                'flavor',
            )
            self.assertEqual(
                "%s: resource 0 (openstack.compute.Flavor 'x'): field "
                'params.access_project_refs: %s' % (e.path, problem),
                str(e),
            )

    def test_project_ref_a_string(self):
        for cli_name in ('quota', 'role assignment'):
            resource = resources.get(cli_name)
            entry = replaced(
                self.entry(resource), ('params', 'project_ref'), 'p1'
            )
            e = self.try_entry(resource, entry, cli_name)
            self.assertEqual('params.project_ref', e.field)
            self.assertEqual('must be a mapping, not a string', e.problem)

    def test_path_ids(self):
        for cli_name in ('volume', 'image', 'workload'):
            resource = resources.get(cli_name)
            for bad in ('../../etc/x', '..', '.x', 'a/b'):
                entry = replaced(self.entry(resource), ('_info', 'id'), bad)
                e = self.try_entry(resource, entry, cli_name)
                self.assertEqual('_info.id', e.field)
                self.assertEqual(datafile.path_id_problem(bad), e.problem)
