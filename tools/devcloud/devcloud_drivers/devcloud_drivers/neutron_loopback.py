# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The neutron side of loopback hosts: floating IPs that answer.

Subscribed by the ML2 driver (:mod:`devcloud_drivers.ml2`) in the neutron
API process: after a floating IP is created, updated or deleted, its address
is added to (or removed from) the namespace of the loopback host owning the
associated port, with a route from the root namespace
(:mod:`devcloud_drivers.loopback`).  Ports of ordinary servers are ignored.
"""

from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from oslo_log import log as logging

from devcloud_drivers import loopback

LOG = logging.getLogger(__name__)
_subscribed = []


def _port(fip):
    return fip.get('port_id') if fip else None


def on_floating_ip(resource, event, trigger, payload):
    try:
        states = payload.states or ()
        old = states[0] if event != events.AFTER_CREATE else None
        new = states[-1] if event != events.AFTER_DELETE else None
        if isinstance(new, dict) and 'floatingip' in new:
            new = new['floatingip']
        lb = loopback.Loopback()
        address = str((old or new or {}).get('floating_ip_address'))
        if _port(old) and _port(old) != _port(new):
            if lb.floating_removed(address):
                LOG.info('loopback: %s removed from port %s', address, old)
        if _port(new) and _port(new) != _port(old):
            if lb.floating_added(_port(new), address):
                LOG.info(
                    'loopback: %s answers for port %s', address, _port(new)
                )
    except Exception:  # an AFTER_* event: never fail the API call
        LOG.exception('loopback floating IP hook failed')


def subscribe():
    if _subscribed:
        return
    for event in (
        events.AFTER_CREATE,
        events.AFTER_UPDATE,
        events.AFTER_DELETE,
    ):
        registry.subscribe(on_floating_ip, resources.FLOATING_IP, event)
    _subscribed.append(True)
