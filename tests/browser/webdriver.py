# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stackdoctor developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal W3C WebDriver client (standard library only) for Debian's chromedriver.

chromedriver (package chromium-driver) speaks the W3C WebDriver HTTP protocol
(https://www.w3.org/TR/webdriver2/): new session, navigate, find element, click, execute
script, screenshot. That is all the browser test needs, so no client library is installed.
Chromium runs headless with a fresh profile and no background networking; the only pages it
loads are file:// URLs.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = os.environ.get('STACKDOCTOR_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('STACKDOCTOR_CHROMEDRIVER', '/usr/bin/chromedriver')
# W3C element reference key
ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage', '--window-size=1400,1000']


class WebDriverError(RuntimeError):
    pass


def available():
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser(object):
    """``with Browser() as b: b.get(url); b.find('#x').click()``."""

    def __init__(self, timeout=30):
        self.timeout = timeout
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix='sd-chromium-')
        self.log = open(os.path.join(self.profile, 'chromedriver.log'), 'w')
        self.proc = subprocess.Popen([CHROMEDRIVER, '--port=%d' % self.port, '--allowed-ips=127.0.0.1'],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.base = 'http://127.0.0.1:%d' % self.port
        deadline = time.time() + timeout
        while True:
            try:
                if self._call('GET', '/status').get('ready'):
                    break
            except (OSError, WebDriverError):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise WebDriverError('chromedriver did not start')
            time.sleep(0.1)
        caps = {'capabilities': {'alwaysMatch': {
            'browserName': 'chrome',
            'goog:chromeOptions': {'binary': CHROMIUM,
                                   'args': FLAGS + ['--user-data-dir=%s' % os.path.join(self.profile, 'user')]}}}}
        try:
            self.session = self._call('POST', '/session', caps)['sessionId']
        except Exception:
            self.close()
            raise

    def _call(self, method, path, body=None):
        data = json.dumps(body if body is not None else {}).encode() if method == 'POST' else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # 127.0.0.1 only
                out = json.loads(resp.read().decode())
        except urllib.error.HTTPError as exc:
            raise WebDriverError('%s %s: %s' % (method, path, exc.read().decode(errors='replace')[:500]))
        if 'sessionId' in out and 'value' not in out:
            return out
        value = out.get('value')
        if isinstance(value, dict) and 'sessionId' in value:
            return value
        return value

    def _s(self, path):
        return '/session/%s%s' % (self.session, path)

    def get(self, url):
        self._call('POST', self._s('/url'), {'url': url})

    def find(self, css):
        return Element(self, self._call('POST', self._s('/element'), {'using': 'css selector', 'value': css})[ELEMENT])

    def find_all(self, css):
        found = self._call('POST', self._s('/elements'), {'using': 'css selector', 'value': css})
        return [Element(self, e[ELEMENT]) for e in found]

    def script(self, source, *args):
        return self._call('POST', self._s('/execute/sync'), {'script': source, 'args': list(args)})

    def wait_script(self, source, expected, timeout=30.0):
        """Run SOURCE until it returns EXPECTED (bounded: the last value after TIMEOUT seconds).
        Under load chromedriver's navigate can return for a file:// URL before the page's
        DOMContentLoaded handlers ran (seen in make test with molecule beside the lanes)."""
        deadline = time.time() + timeout
        while True:
            value = self.script(source)
            if value == expected or time.time() > deadline:
                return value
            time.sleep(0.1)

    def screenshot(self, path):
        png = base64.b64decode(self._call('GET', self._s('/screenshot')))
        with open(path, 'wb') as handle:
            handle.write(png)
        return path

    def close(self):
        try:
            if getattr(self, 'session', None):
                self._call('DELETE', self._s(''))
        except Exception:  # the browser may be gone already
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Element(object):
    def __init__(self, browser, ref):
        self.b = browser
        self.ref = ref

    def _e(self, path):
        return self.b._s('/element/%s%s' % (self.ref, path))

    def click(self):
        self.b._call('POST', self._e('/click'))

    @property
    def text(self):
        return self.b._call('GET', self._e('/text'))

    def attr(self, name):
        return self.b._call('GET', self._e('/attribute/%s' % name))

    def displayed(self):
        return self.b._call('GET', self._e('/displayed'))

    def select(self, css):
        found = self.b._call('POST', self._e('/elements'), {'using': 'css selector', 'value': css})
        return [Element(self.b, e[ELEMENT]) for e in found]
