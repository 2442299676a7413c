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

"""``openstack migrate workload export``."""

from osmigrateclient import resources
from osmigrateclient.v1 import resource


class ExportWorkload(resource.ExportResource):
    """Export the source project's servers into {file}.

    Each server ({type}) carries its ports, floating IPs and attached
    volumes, and the _migration_params that its import reads.  Conversion
    hosts (servers named osmigrate-conv-*) are left out.  Re-exporting
    replaces the servers already in the file (same source id) and appends
    new ones; the rest of the file is kept.
    """

    def _set_resource(self, name):
        self.resource = resources.get('workload')
