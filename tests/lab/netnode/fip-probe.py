"""Real packets through a floating IP: `python3 fip-probe.py in <vm ns> <fixed ip> <fip> [<ext ip>]` connects
over TCP from namespace "ext" (its address <ext ip>, default 198.51.100.10) to the floating IP while a
listener runs on the fixed IP in the vm's namespace (DNAT); `python3 fip-probe.py out ...` connects from the
vm to ext's address and checks the source ext sees is the floating IP (float-snat). Prints the result, exit
0 when it worked. Used by molecule/fip_nat and by the lab's network node (tests/lab/README.md)."""
import subprocess
import sys
import time

direction, vm, fixed, fip = sys.argv[1:5]
EXT = sys.argv[5] if len(sys.argv) > 5 else '198.51.100.10'
PORT = 8022
SERVER = ("import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
          "s.bind((sys.argv[1], %d)); s.listen(1); s.settimeout(4)\n"
          "try:\n c,a=s.accept(); print(a[0]); c.sendall(b'ok'); c.close()\n"
          "except Exception as e: print('none', e)" % PORT)
CLIENT = ("import socket,sys\n"
          "try:\n c=socket.create_connection((sys.argv[1], %d), timeout=1.5); print(c.recv(2).decode())\n"
          "except Exception as e: print('fail', e); sys.exit(1)" % PORT)
if direction == 'in':
    srv_ns, srv_ip, cli_ns, target = vm, fixed, 'ext', fip
else:
    srv_ns, srv_ip, cli_ns, target = 'ext', EXT, vm, EXT
server = subprocess.Popen(['ip', 'netns', 'exec', srv_ns, 'python3', '-c', SERVER, srv_ip],
                          stdout=subprocess.PIPE, universal_newlines=True)
time.sleep(0.4)
client = subprocess.run(['ip', 'netns', 'exec', cli_ns, 'python3', '-c', CLIENT, target],
                        stdout=subprocess.PIPE, universal_newlines=True, timeout=10)
if client.returncode != 0:
    server.terminate()   # nothing will come: do not wait for the listener's own timeout
seen = server.communicate(timeout=10)[0].strip() or 'none'
ok = client.returncode == 0 and seen == (EXT if direction == 'in' else fip)
print('%s %s via %s: client=%s server saw=%s -> %s'
      % (direction, vm, fip, client.stdout.strip(), seen, 'works' if ok else 'FAILS'))
sys.exit(0 if ok else 1)
