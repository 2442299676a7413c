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

"""What a load balancer's tree must look like in a data file: the shapes of
its listeners (with their L7 policies and rules) and pools (with their
members and health monitor), checked before an import reads them
(:mod:`osmigrateclient.resources.loadbalancer` declares the load
balancer's own fields)."""

from osmigrateclient import datafile

STR = datafile.STR
INT = (int,)
BOOL = (bool,)
REF = datafile.REF
#: a reference to a Barbican container or secret: ``secret: true`` in a
#: certificate field names a secret (``_octavia_tree.named_kind``)
BARBICAN_REF = dict(REF, secret=BOOL)

RULE_SHAPE = {
    'type': STR,
    'compare_type': STR,
    'key': STR,
    'value': STR,
    'invert': BOOL,
    'admin_state_up': BOOL,
    'tags': [STR],
}
POLICY_SHAPE = {
    'name': STR,
    'description': STR,
    'action': STR,
    'position': INT,
    'redirect_pool': STR,
    'redirect_url': STR,
    'redirect_prefix': STR,
    'admin_state_up': BOOL,
    'tags': [STR],
    'rules': [RULE_SHAPE],
}
LISTENER_SHAPE = {
    'name': STR,
    'description': STR,
    'protocol': STR,
    'protocol_port': INT,
    'admin_state_up': BOOL,
    'connection_limit': INT,
    'timeout_client_data': INT,
    'timeout_member_connect': INT,
    'timeout_member_data': INT,
    'timeout_tcp_inspect': INT,
    'insert_headers': datafile.MapOf(STR),
    'allowed_cidrs': [STR],
    'tls_ciphers': STR,
    'tls_versions': [STR],
    'alpn_protocols': [STR],
    'hsts_max_age': INT,
    'hsts_include_subdomains': BOOL,
    'hsts_preload': BOOL,
    'tags': [STR],
    'default_pool': STR,
    'client_authentication': STR,
    'default_tls_container_ref': BARBICAN_REF,
    'client_ca_tls_container_ref': BARBICAN_REF,
    'client_crl_container_ref': BARBICAN_REF,
    'sni_container_refs': [BARBICAN_REF],
    'l7policies': [POLICY_SHAPE],
}
MEMBER_SHAPE = {
    'name': STR,
    'address': STR,
    'protocol_port': INT,
    'weight': INT,
    'backup': BOOL,
    'monitor_address': STR,
    'monitor_port': INT,
    'admin_state_up': BOOL,
    'tags': [STR],
    'subnet_ref': REF,
    'server_ref': REF,
    'network_ref': REF,
}
HM_SHAPE = {
    'name': STR,
    'type': STR,
    'delay': INT,
    'timeout': INT,
    'max_retries': INT,
    'max_retries_down': INT,
    'http_method': STR,
    'url_path': STR,
    'expected_codes': STR,
    'admin_state_up': BOOL,
    'tags': [STR],
}
POOL_SHAPE = {
    'name': STR,
    'description': STR,
    'protocol': STR,
    'lb_algorithm': STR,
    'session_persistence': {
        'type': STR,
        'cookie_name': STR,
        'persistence_timeout': INT,
        'persistence_granularity': STR,
    },
    'admin_state_up': BOOL,
    'tls_enabled': BOOL,
    'tls_ciphers': STR,
    'tls_versions': [STR],
    'alpn_protocols': [STR],
    'tls_container_ref': BARBICAN_REF,
    'ca_tls_container_ref': BARBICAN_REF,
    'crl_container_ref': BARBICAN_REF,
    'tags': [STR],
    'members': [MEMBER_SHAPE],
    'healthmonitor': HM_SHAPE,
}
