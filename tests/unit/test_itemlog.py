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

import logging
import os
import stat

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient import itemlog


class TestItemLog(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.logs = os.path.join(self.dir, 'logs')
        self.path = os.path.join(self.logs, 'v1.log')

    def lines(self):
        with open(self.path) as f:
            return [line.split(' ', 2)[2] for line in f.read().splitlines()]

    def test_appended_private_timestamped(self):
        for message in ('one', 'two'):
            with itemlog.opened(self.logs, 'v1') as log:
                log.info(message)
                log.debug('not at INFO')
        self.assertEqual(['INFO one', 'INFO two'], self.lines())
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.logs).st_mode))

    def test_closed_after_the_block(self):
        with itemlog.opened(self.logs, 'v1') as log:
            (handler,) = log.handlers
        self.assertIsNone(handler.stream)

    def test_goes_to_the_parent_when_given(self):
        parent = logging.getLogger('osmigrateclient.test_itemlog')
        seen = self.useFixture(
            fixtures.FakeLogger(
                name=parent.name, format='%(name)s %(message)s'
            )
        )
        with itemlog.opened(self.logs, 'v1') as log:
            log.info('file only')
        with itemlog.opened(self.logs, 'v1', parent=parent) as log:
            log.info('both')
        self.assertEqual(['INFO file only', 'INFO both'], self.lines())
        self.assertEqual('%s.v1 both\n' % parent.name, seen.output)

    def test_say_goes_to_the_module_and_the_item(self):
        module = logging.getLogger('osmigrateclient.test_itemlog.say')
        seen = self.useFixture(
            fixtures.FakeLogger(name=module.name, format='%(message)s')
        )
        with itemlog.opened(self.logs, 'v1') as log:
            itemlog.say(module, log, 'step %s', 1)
        itemlog.say(module, None, 'step %s', 2)
        self.assertEqual(['INFO step 1'], self.lines())
        self.assertEqual('step 1\nstep 2\n', seen.output)

    def test_no_plain_id(self):
        e = self.assertRaises(
            exceptions.DataFileError,
            itemlog.opened(self.logs, '../x').__enter__,
        )
        self.assertIn('must be a plain id', str(e))
        self.assertFalse(os.path.exists(self.logs))

    def test_planted_links_refused(self):
        outside = os.path.join(self.dir, 'outside')
        os.mkdir(outside)
        os.mkdir(self.logs)
        os.symlink(os.path.join(outside, 'f'), self.path)
        e = self.assertRaises(
            exceptions.DataFileError, itemlog.opened(self.logs, 'v1').__enter__
        )
        self.assertEqual('%s: is a symbolic link: refused' % self.path, str(e))
        os.unlink(self.path)
        os.rmdir(self.logs)
        os.symlink(outside, self.logs)
        e = self.assertRaises(
            exceptions.DataFileError, itemlog.opened(self.logs, 'v1').__enter__
        )
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)'
            % self.logs,
            str(e),
        )
        self.assertEqual([], os.listdir(outside))
