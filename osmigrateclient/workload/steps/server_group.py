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

"""The server group step: the destination server group of the source's
name, found or made (one server at a time, so two imports make one).

Records ``created``: the group's id, only when this import made it.

Undo: the group made is deleted, unless it has members (another server
joined it).
"""

from osmigrateclient.workload.steps import base


class ServerGroup(base.Step):
    """Find or make the server group; its id."""

    name = 'server_group'

    def do(self) -> str:
        group = self.resolved.server_group
        compute = self.dst.compute
        with self.ctx.group_lock:
            for found in compute.server_groups():
                if found.name == group['name']:
                    return found.id
            attrs = {'name': group['name'], 'policy': group['policy']}
            if group.get('rules'):
                attrs['rules'] = group['rules']
            made = compute.create_server_group(**attrs)
            self.note(created=made.id)
            self.say('made server group %s', group['name'])
            return made.id

    def undo(self) -> list[base.Undo]:
        group_id = self.record.get('created')
        if not group_id:
            return []
        return [
            base.Undo(
                'server group %s' % group_id, lambda: self._delete(group_id)
            )
        ]

    def _delete(self, group_id: str) -> None:
        compute = self.dst.compute
        group = compute.find_server_group(group_id, ignore_missing=True)
        if group is not None and not group.member_ids:
            compute.delete_server_group(group_id, ignore_missing=True)
