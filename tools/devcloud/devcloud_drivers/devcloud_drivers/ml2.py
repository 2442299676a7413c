# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Agentless ML2 mechanism driver for the development cloud.

The devcloud runs neutron's API only: no Open vSwitch, no OVN, no agents.
The in-tree mechanism drivers refuse to bind a port unless an agent for the
port's host is alive, which would leave every port of a nova server in
``binding_failed``.  This driver binds every port, on any host, to the first
segment offered, with ``vif_type=ovs`` and status ACTIVE.  Nothing is plugged
anywhere: ports are active "by fiat", which is all an API-level migration
tool needs.

It also subscribes the floating IP hook of loopback hosts
(:mod:`devcloud_drivers.neutron_loopback`), and makes the trunk driver
that lets Neutron's trunk service plugin load
(:mod:`devcloud_drivers.trunk`).

Enabled in ml2_conf.ini with ``mechanism_drivers = devcloud_agentless``
(entry point ``neutron.ml2.mechanism_drivers``).
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api

from devcloud_drivers import neutron_loopback
from devcloud_drivers import trunk


class AgentlessMechanismDriver(api.MechanismDriver):
    """Bind every port to the first segment, no agent required."""

    def initialize(self):
        # No backend; floating IPs of loopback hosts answer on this machine.
        neutron_loopback.subscribe()
        # Before the service plugins load: the trunk plugin finds it.
        trunk.register()

    @property
    def connectivity(self):
        # Claim L2 connectivity so that neutron treats bound ports as wired.
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OVS,
                {
                    portbindings.CAP_PORT_FILTER: True,
                    portbindings.OVS_HYBRID_PLUG: False,
                },
                status=constants.PORT_STATUS_ACTIVE,
            )
            return
