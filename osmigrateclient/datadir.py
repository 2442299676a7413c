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

"""The data directory's layout: each file and sub-directory this tool
keeps there beside the data files, and the name prefixes of what it makes
in the clouds, named once.

The data files themselves (``networks.yml``, ``projects.yml``, ...) are
named by their resource types (``file_name`` of
:class:`~osmigrateclient.resources.base.Resource`)::

    <data-dir>/
      <type>.yml            the data files
      access_journal.yml    what ``migrate access grant`` added
      image_blobs/          image bytes
      container_blobs/      object bytes; container_state/ their copies
      share_files/          the shares' files verified, <share id>.yml
      volume_logs/          the detached volumes' journal.yml, <id>.log
      floating_ip_logs/     the floating IPs' journal.yml
      workload_logs/        a server's journal <id>.yml and log <id>.log
      workload_sync/        a server's sync passes, <id>.yml
      conversion/           SSH keys, known_hosts, hosts.yml
"""

#: what ``migrate access grant`` added (:mod:`osmigrateclient.access`)
ACCESS_JOURNAL = 'access_journal.yml'

#: the journal file of a type whose items move one by one
JOURNAL = 'journal.yml'
#: the detached volumes' journal and logs
VOLUME_LOGS = 'volume_logs'
#: the floating IPs' journal
FLOATING_IP_LOGS = 'floating_ip_logs'
#: a server's import: its journal and log
WORKLOAD_LOGS = 'workload_logs'
#: a server's sync passes (warm migration)
WORKLOAD_SYNC = 'workload_sync'

#: downloaded image bytes
IMAGE_BLOBS = 'image_blobs'
#: object bytes, and the state of the objects' copies
CONTAINER_BLOBS = 'container_blobs'
CONTAINER_STATE = 'container_state'
#: what the copies of shares' files verified, per destination share
SHARE_FILES = 'share_files'

#: the conversion hosts: the migrator's and the link's SSH keys, the
#: pinned host keys and what ``conversion host deploy`` made
CONVERSION = 'conversion'
SSH_KEY = 'ssh.key'
LINK_SSH_KEY = 'link-ssh.key'
KNOWN_HOSTS = 'known_hosts'
HOSTS = 'hosts.yml'

#: the names of the temporary snapshots, volumes and images of a
#: migration (+ what they stand for)
TEMP_PREFIX = 'os-migrate-'
#: the names of a sync pass's temporary snapshot and volume (+ the source
#: volume id)
SYNC_TEMP_PREFIX = TEMP_PREFIX + 'sync-'
#: the names of the conversion hosts (+ side), never migrated themselves
CONVERSION_HOST_PREFIX = 'osmigrate-conv-'
