# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Barbican's API for uWSGI, with the region's paste file.

``barbican.wsgi.api`` loads ``/etc/barbican/barbican-api-paste.ini``, a
path that cannot be changed; devcloud writes nothing under ``/etc``.  The
paste file (and ``barbican.conf``) are in ``$HOME``, see configs.barbican.
"""

import os

from paste import deploy

application = deploy.loadapp(
    'config:%s' % os.path.join(os.environ['HOME'], 'barbican-api-paste.ini')
)
