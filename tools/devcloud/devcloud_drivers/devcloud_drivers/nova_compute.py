# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``devcloud-nova-compute``: nova-compute with the devcloud fake driver.

nova loads ``compute_driver`` only from the ``nova.virt`` package, so this
launcher registers :mod:`devcloud_drivers.nova_fake` as
``nova.virt.devcloud_fake`` and then runs nova's own nova-compute main().
"""

import sys


def main():
    # Import nova's entry point first: it applies nova's monkey patching
    # before anything else of nova is imported.
    from nova.cmd import compute

    from devcloud_drivers import nova_fake

    sys.modules['nova.virt.devcloud_fake'] = nova_fake
    import nova.virt

    nova.virt.devcloud_fake = nova_fake
    return compute.main()


if __name__ == '__main__':
    sys.exit(main())
