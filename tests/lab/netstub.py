"""Network API stand-in for the lab (NOT neutron): nova-api's server views ask the network
service for the ports and security groups of each server; with no neutron in this plane that
would be a 500. This answers every GET under /v2.0 with an empty collection (ports, security
groups, networks, extensions...) and everything else with 404. Bound to 127.0.0.1 only.

    python netstub.py PORT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        path = self.path.split('?')[0].rstrip('/')
        if path in ('', '/'):
            return self._send(200, {'versions': [{'id': 'v2.0', 'status': 'CURRENT'}]})
        parts = [p for p in path.split('/') if p]
        if parts[0] == 'v2.0' and len(parts) == 2:
            coll = parts[1].replace('.json', '').replace('-', '_')
            return self._send(200, {coll: []})
        return self._send(404, {'NeutronError': {'type': 'NotFound', 'message': 'lab stub'}})

    def log_message(self, *args):
        pass


if __name__ == '__main__':
    ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
