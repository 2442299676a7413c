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


"""What earlier imports verified in a destination container, so that an
import leaves an object alone when the destination listing shows the same
bytes and this state vouches that its metadata was verified since the
destination's last write."""

import hashlib
import json
import os

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions

STATE_SHAPE = {
    'container': datafile.STR,
    'objects': datafile.MapOf([datafile.STR]),
}


class State:
    """What earlier imports verified in one destination container: by
    object name, [the destination listing's last write, the record's
    :func:`.work.wanted_digest`].  One JSON file per destination account and
    container, named by their hash (no name from a file reaches a path),
    0600, written atomically under a lock, shape-checked on read."""

    def __init__(self, data_dir: str, account: str, container: str) -> None:
        key = hashlib.sha256(
            ('%s\0%s' % (account, container)).encode('utf-8')
        ).hexdigest()
        self.path = os.path.join(
            data_dir, datadir.CONTAINER_STATE, key + '.json'
        )
        self.container = container

    def read(self) -> dict[str, list[str]]:
        if not os.path.exists(self.path):
            return {}
        try:
            data = json.loads(datafile.read_text(self.path))
        except ValueError as e:
            raise exceptions.DataFileError(
                'not JSON: %s (delete it: the next import checks the '
                'objects again)' % e,
                path=self.path,
            )
        datafile.check_shape(data, STATE_SHAPE, '', self.path)
        if not isinstance(data, dict) or data.get('container') != (
            self.container
        ):
            return {}
        return {
            k: v
            for k, v in (data.get('objects') or {}).items()
            if isinstance(v, list) and len(v) == 2
        }

    def record(self, verified: dict[str, list[str]], keep: set[str]) -> None:
        """Add ``verified`` objects; forget those not in ``keep``."""
        datafile.ensure_dir(os.path.dirname(self.path), link_ok=False)
        with datafile.locked(self.path):
            objects = {k: v for k, v in self.read().items() if k in keep}
            objects.update(verified)
            datafile.write_text(
                self.path,
                json.dumps(
                    {'container': self.container, 'objects': objects},
                    sort_keys=True,
                    separators=(',', ':'),
                ),
            )
