#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The server group step: found or made; undone unless it has members."""

from tests.unit.workload import importing


class TestServerGroup(importing.ImportTestCase):
    def test_existing_server_group_is_used(self):
        self.dst.add('server_group', id='dgrp', name='group')
        self.run_import()
        self.assertEqual([], self.dst.calls_to('compute.create_server_group'))
        self.assertEqual(
            {'group': 'dgrp'},
            self.kwargs(self.dst, 'compute.create_server')[0][
                'scheduler_hints'
            ],
        )
        steps = self.journal()['steps']
        self.assertNotIn('created', steps['server_group'])

    def test_group_with_members_is_kept(self):
        self.dst.add(
            'server_group', id='dgrp', name='group', member_ids=['someone']
        )
        self.dst.server_status = 'ERROR'
        self.run_import()
        self.assertEqual([], self.dst.calls_to('compute.delete_server_group'))
        self.assertEqual(
            ['dgrp'], [g.id for g in self.dst.store['server_group']]
        )
