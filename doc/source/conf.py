# Sphinx configuration of the python-osmigrateclient documentation.

extensions = [
    'sphinx.ext.autodoc',
    'cliff.sphinxext',
]

project = 'python-osmigrateclient'
copyright = '2026, The python-osmigrateclient Authors'
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'sphinx'
html_theme = 'alabaster'

# The command reference is generated from the commands themselves.
autoprogram_cliff_application = 'openstack'
autoprogram_cliff_app_dist_name = 'python-osmigrateclient'
