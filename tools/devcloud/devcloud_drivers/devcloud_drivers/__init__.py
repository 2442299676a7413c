# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Test-only drivers that let real OpenStack services run without hardware.

* :mod:`devcloud_drivers.ml2` -- an ML2 mechanism driver that binds every
  port without any L2 agent.
* :mod:`devcloud_drivers.nova_fake` -- a nova virt driver built on nova's
  FakeDriver that survives restarts and produces real snapshot images.
* :mod:`devcloud_drivers.nova_compute` -- the nova-compute launcher that makes
  the fake driver importable as ``nova.virt.devcloud_fake``.

They are only meant for ``tools/devcloud``; never use them on a real cloud.
"""
