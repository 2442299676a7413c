# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Trunk driver for the agentless ML2 mechanism driver.

Neutron's trunk service plugin refuses to load unless a trunk driver of a
loaded mechanism driver registers itself
(``IncompatibleTrunkPluginConfiguration``); the in-tree ones serve Open
vSwitch and OVN only.  This one serves ``devcloud_agentless``
(:mod:`devcloud_drivers.ml2`): the ``ovs`` VIF type that driver binds
ports with, VLAN subports, no agent, and trunks on bound ports (a
server's port).  Nothing is wired: trunks and subports exist in the API
and the database only, and a trunk stays ``DOWN`` (no agent reports it
up), which is all an API-level migration tool needs.

The mechanism driver's ``initialize`` calls :func:`register`: ML2 loads
before the service plugins, so the driver exists when the trunk plugin
announces itself (``TRUNK_PLUGIN`` ``AFTER_INIT``) and registers then.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_config import cfg

from neutron.services.trunk.drivers import base

#: the name of the ML2 mechanism driver served (ml2_conf.ini)
MECHANISM_DRIVER = 'devcloud_agentless'

#: the driver, once registered
DRIVER = None


class AgentlessTrunkDriver(base.DriverBase):
    @property
    def is_loaded(self):
        try:
            return MECHANISM_DRIVER in cfg.CONF.ml2.mechanism_drivers
        except cfg.NoSuchOptError:
            return False


def register():
    """Make the driver (once): it registers itself with the trunk plugin
    when that plugin starts."""
    global DRIVER
    if DRIVER is None:
        DRIVER = AgentlessTrunkDriver(
            MECHANISM_DRIVER,
            (portbindings.VIF_TYPE_OVS,),
            (trunk_consts.SEGMENTATION_TYPE_VLAN,),
            agent_type=None,
            can_trunk_bound_port=True,
        )
    return DRIVER
