"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from ci-files.testing.ansible.com to seed pip into the venvs it
makes for sanity tests; that host is not reachable from these machines. This does the same job
with the standard library's ensurepip, then installs the requested packages from the package
index pip is configured for. `make sanity` copies it to ~/.ansible/test/cache/get_pip_<ver>.py.
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
# ansible-test runs pip with a clean environment; keep trusting the machine's CA bundle
for bundle in (os.environ.get('SSL_CERT_FILE'), '/etc/ssl/certs/ca-certificates.crt'):
    if bundle and os.path.isfile(bundle):
        args = ['--cert', bundle] + args
        break
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
