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


import json
import os

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer.swift import state as swift_state


class TestState(base.BaseTestCase):
    def test_hostile_state_file(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state = swift_state.State(data_dir, 'acct', 'c')
        os.makedirs(os.path.dirname(state.path))
        with open(state.path, 'w') as f:
            json.dump({'container': 'c', 'objects': {'a': 5}}, f)
        e = self.assertRaises(exceptions.DataFileError, state.read)
        self.assertEqual(
            '%s: field objects.a: must be a list, not a number' % state.path,
            str(e),
        )

    def test_record_and_forget(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state = swift_state.State(data_dir, 'acct', 'c')
        state.record({'a': ['t', 'd'], 'b': ['t', 'd']}, set())
        state.record({'c': ['t', 'd']}, {'a'})
        self.assertEqual({'a': ['t', 'd'], 'c': ['t', 'd']}, state.read())
        self.assertEqual({}, swift_state.State(data_dir, 'other', 'c').read())
        self.assertEqual(0o600, os.stat(state.path).st_mode & 0o777)
