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

"""Role assignments of groups on projects (admin).

Like ``role assignment`` (see :mod:`.role_assignment`), with ``group_ref``
in place of ``user_ref``.  The type string is this client's own (the
pioneering tool migrates no group assignment).  The group must exist in
the destination, in the domain of ``group_ref`` (``import all`` imports
``groups.yml`` first), else the assignment is blocked.

``--name`` / ``--name-regex`` match the group's name.
"""

from osmigrateclient.resources import role_assignment


class GroupRoleAssignment(role_assignment.RoleAssignment):
    type = 'openstack.identity.GroupProjectRoleAssignment'
    cli_name = 'group role assignment'
    export_what = (
        "the role assignments of the source cloud's groups on its projects"
    )
    import_where = 'the destination cloud'
    file_name = 'group_project_role_assignments.yml'
    depends_on = ('group', 'project', 'role')
    assignee = 'group'


RESOURCE = GroupRoleAssignment
