# Sphinx configuration of the python-osmigrateclient release notes.

extensions = ['reno.sphinxext']
project = 'python-osmigrateclient Release Notes'
copyright = '2026, The python-osmigrateclient Authors'
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
