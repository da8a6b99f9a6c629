"""flowdesk's stand-in for the parts of flowServ that benchmark code imports.

In flowServ, `${python}` is flowServ's own interpreter, so post-processing
scripts and code steps can `import flowserv` and use its documented helpers:
`flowserv.service.postproc.client` (`Runs`, `Run`) and `flowserv.util`
(`read_object`, `write_object`, ...). flowdesk runs such scripts with the
Python you configured, which usually has no flowServ installed; it then puts
this package on the step's PYTHONPATH instead.

Written for flowdesk from flowServ's reference documentation, with the Python
standard library only (YAML files need PyYAML, as in flowServ). When the
configured Python can import the real flowServ, flowdesk leaves it alone and
this package is not used.
"""

__version__ = '0.9.4'

# Lets a script (or a test) tell this package from the real flowServ.
FLOWDESK_HELPERS = True
