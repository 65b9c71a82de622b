"""Lab volume nodes only (tests/lab/nodes.yml): forward this node's 127.0.0.1:PORT to TARGET:PORT.

    node-forward.py TARGET PORT [PORT...]

TARGET is the lab host's loopback as a node sees it (10.0.2.2, slirp4netns allow_host_loopback).
The keystone catalog names the lab's services at http://127.0.0.1:PORT (the lab host's view);
with this, the catalog's image endpoint answers from a volume node too, as a controller's
address does from a real volume node (check_glance_reachability probes it from the node).
A network stand-in, not part of OpenStack.
"""
import asyncio
import sys


async def _pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _handle(reader, writer, target, port):
    try:
        r2, w2 = await asyncio.open_connection(target, port)
    except OSError:
        writer.close()
        return
    await asyncio.gather(_pipe(reader, w2), _pipe(r2, writer))


async def main(target, ports):
    servers = []
    for port in ports:
        servers.append(await asyncio.start_server(
            lambda r, w, p=port: _handle(r, w, target, p), '127.0.0.1', port))
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], [int(p) for p in sys.argv[2:]]))
