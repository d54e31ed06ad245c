#!/usr/bin/python3
"""Lab 03's benchmark: a chat server under load (a measurement, not a test).

    bench.py [--server PATH] [--clients 100,500,1000] [--senders 5] [--seconds 3]
             [--no-ngircd]

Without --server it builds the reference in a temporary folder (labs/03-chat
with solutions/03-chat over it) and measures that. For each number of clients
it starts a fresh server, joins every client, then lets a few of them send
64-byte messages as fast as the server takes them (each sender keeps a window
of messages in flight: sent, not yet seen by the first client), while every
client reads everything. It prints the deliveries per second (one MSG
reaching one client) and the 50th and 99th percentile delivery latency (from
the send to each client's read).

If Debian's ngircd is installed (`apt-get install ngircd`), the same workload
runs against it (one IRC channel, PRIVMSG, on loopback, with its flood
protection relaxed for the senders) and the ratio is printed. IRC does not
echo a message to its sender, so each message there makes one delivery less.

The driver is Python on the same machine as the server: on a small machine it
takes a good share of the CPU, and the numbers are a floor for the server.
"""

import argparse
import os
import platform
import re
import resource
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

KIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LAB = "03-chat"
TEXT_SIZE = 64
WINDOW = 8  # messages in flight per sender


# -- the two protocols -----------------------------------------------------
class Chat:
    """Lab 03's frames: 4-byte big-endian length (type + payload), type, payload."""
    name = "chat-server"
    echoes = True  # the sender gets its own MSG

    @staticmethod
    def frame(kind, payload):
        return struct.pack(">IB", 1 + len(payload), kind) + payload

    def hello(self, i):
        return self.frame(1, b"u%d" % i)

    def joined(self, events):
        return "welcome" in events

    def message(self, text):
        return self.frame(3, text)

    def parse(self, buf):
        """Whole frames at the start of buf -> (events, used). A MSG is ('msg',
        text); WELCOME is 'welcome'; others are ignored."""
        events, off, n = [], 0, len(buf)
        while n - off >= 4:
            length = struct.unpack_from(">I", buf, off)[0]
            if n - off < 4 + length:
                break
            kind = buf[off + 4]
            if kind == 4:
                name_len = buf[off + 5]
                events.append(bytes(buf[off + 6 + name_len:off + 4 + length]))
            elif kind == 2:
                events.append("welcome")
            off += 4 + length
        return events, off

    def reply(self, buf):
        return b""


class Irc:
    """IRC (RFC 2812) on one channel: NICK/USER, JOIN, PRIVMSG."""
    name = "ngircd"
    echoes = False

    def hello(self, i):
        return (b"NICK u%d\r\nUSER u%d 0 * :bench\r\nJOIN #bench\r\n" % (i, i))

    def joined(self, events):
        return "welcome" in events

    def message(self, text):
        return b"PRIVMSG #bench :" + text + b"\r\n"

    def parse(self, buf):
        events, off = [], 0
        while True:
            end = buf.find(b"\r\n", off)
            if end == -1:
                break
            line = bytes(buf[off:end])
            off = end + 2
            parts = line.split(b" ", 3)
            if len(parts) >= 4 and parts[1] == b"PRIVMSG":
                events.append(parts[3][1:])
            elif len(parts) >= 2 and parts[1] == b"366":  # end of NAMES: in the channel
                events.append("welcome")
            elif parts[0] == b"PING":
                events.append(("pong", b"PONG " + line[5:] + b"\r\n"))
        return events, off


# -- one run ----------------------------------------------------------------
class Client:
    __slots__ = ("sock", "buf", "out", "closed")

    def __init__(self, sock):
        self.sock, self.buf, self.out, self.closed = sock, bytearray(), b"", False


def connect_all(address, n, proto):
    clients = []
    for i in range(n):
        s = socket.create_connection(address, timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(proto.hello(i))
        s.setblocking(False)
        clients.append(Client(s))
    return clients


def pump(sel, proto, on_text, timeout):
    """Reads what is ready (for up to timeout); calls on_text(i, text, now) per
    message; returns the other events per client index."""
    other = []
    for key, _ in sel.select(timeout):
        c, i = key.data
        try:
            chunk = c.sock.recv(1 << 18)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            chunk = b""
        if not chunk:
            c.closed = True
            sel.unregister(c.sock)
            continue
        now = time.perf_counter()
        c.buf += chunk
        events, used = proto.parse(c.buf)
        del c.buf[:used]
        for e in events:
            if isinstance(e, bytes):
                on_text(i, e, now)
            elif isinstance(e, tuple):
                c.sock.sendall(e[1])
            else:
                other.append((i, e))
    return other


def run(address, n, senders, seconds, proto):
    """Joins n clients, then measures; returns (deliveries/s, p50 ms, p99 ms,
    clients closed, messages sent, seconds taken to join them all)."""
    joining = time.perf_counter()
    clients = connect_all(address, n, proto)
    sel = selectors.DefaultSelector()
    for i, c in enumerate(clients):
        sel.register(c.sock, selectors.EVENT_READ, (c, i))
    waiting, deadline = set(range(n)), time.monotonic() + 60
    while waiting and time.monotonic() < deadline:
        for i, e in pump(sel, proto, lambda *a: None, 0.2):
            if e == "welcome":
                waiting.discard(i)
    if waiting:
        raise RuntimeError(f"{len(waiting)} of {n} clients never joined")
    while pump(sel, proto, lambda *a: None, 0.3) or any(  # drain the JOINs
            sel.select(0)):
        pass
    joined = time.perf_counter() - joining
    chosen = list(range(1, 1 + senders))
    sent_at = {}
    in_flight = {s: 0 for s in chosen}
    seq = {s: 0 for s in chosen}
    latencies, delivered = [], [0]
    start = time.perf_counter()
    stop_sending = start + seconds

    def on_text(i, text, now):
        t = sent_at.get(text[:16])
        if t is None:
            return
        if now <= stop_sending:
            latencies.append(now - t)
            delivered[0] += 1
        if i == 0:
            in_flight[int(text[1:text.index(b":")])] -= 1

    while time.perf_counter() < stop_sending:
        for s in chosen:
            c = clients[s]
            while in_flight[s] < WINDOW and not c.out:
                key = b"s%d:%d" % (s, seq[s])
                key = key + b"." * (16 - len(key))
                seq[s] += 1
                c.out = proto.message(key + b"x" * (TEXT_SIZE - 16))
                sent_at[key] = time.perf_counter()
                in_flight[s] += 1
            if c.out:
                try:
                    c.out = c.out[c.sock.send(c.out):]
                except (BlockingIOError, InterruptedError):
                    pass
        pump(sel, proto, on_text, 0)
    elapsed = time.perf_counter() - start
    closed = sum(c.closed for c in clients)
    for c in clients:
        c.sock.close()
    sel.close()
    latencies.sort()

    def pct(p):
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] \
            if latencies else float("nan")
    return (delivered[0] / elapsed, pct(0.50), pct(0.99), closed, sum(seq.values()),
            joined)


# -- the servers --------------------------------------------------------------
def build_reference(tmp):
    src = os.path.join(tmp, LAB)
    shutil.copytree(os.path.join(KIT, "labs", LAB), src,
                    ignore=shutil.ignore_patterns("bin", "build"))
    for f in os.listdir(os.path.join(KIT, "solutions", LAB)):
        shutil.copy(os.path.join(KIT, "solutions", LAB, f), src)
    subprocess.run(["make", "-s", "-C", src], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(src, "bin", "chat-server")


def start_chat(path, tmp):
    """Starts the server on port 0; returns it and the address it printed. Its
    stderr goes to a file: a pipe nobody reads would stall it."""
    log = os.path.join(tmp, "chat-server.err")
    with open(log, "wb") as err:
        proc = subprocess.Popen([path, "0"], stderr=err, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, "rb") as f:
            m = re.search(rb"listening on ([\d.]+):(\d+)", f.read())
        if m:
            return proc, (m.group(1).decode(), int(m.group(2)))
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"{path} never printed its address")


NGIRCD_CONF = """[Global]
Name = bench.irc
Info = benchmark
Listen = 127.0.0.1
Ports = {port}
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 16
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
[Operator]
Name = bench
Password = bench
"""


def start_ngircd(tmp):
    with socket.socket() as s:  # a free port for its config (ngircd cannot take 0)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = os.path.join(tmp, "ngircd.conf")
    with open(conf, "w") as f:
        f.write(NGIRCD_CONF.format(port=port))
    proc = subprocess.Popen(["ngircd", "--nodaemon", "--config", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, ("127.0.0.1", port)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("ngircd did not start listening")


class IrcSenders(Irc):
    """IRC clients whose senders become operators and relax their flood
    protection (user mode +F): ngircd otherwise slows a client that sends more
    than a few lines a second, which is not what is measured here."""

    def __init__(self, senders):
        self.senders = senders

    def hello(self, i):
        line = super().hello(i)
        if 1 <= i <= self.senders:
            line += b"OPER bench bench\r\nMODE u%d +F\r\n" % i
        return line


def stop(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="a chat-server to measure (default: the "
                        "reference, built in a temporary folder)")
    parser.add_argument("--clients", default="100,500,1000")
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-ngircd", action="store_true")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = [int(x) for x in args.clients.split(",")]
    ngircd = None if args.no_ngircd else shutil.which("ngircd")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.release()}; driver: Python "
          f"{platform.python_version()} on the same machine, loopback")
    print(f"{args.senders} senders, {TEXT_SIZE}-byte messages, a window of {WINDOW} "
          f"per sender, {args.seconds:g} s per run")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.server or build_reference(tmp)
        head = f"{'clients':>7}  {'server':<12} {'deliveries/s':>12} {'p50 ms':>8} " \
               f"{'p99 ms':>8} {'sent':>7} {'dropped':>7} {'join s':>6}"
        print(head + ("  ratio" if ngircd else ""))
        for n in counts:
            results = {}
            for proto, starter in ((Chat(), lambda: start_chat(path, tmp)),) + (
                    ((IrcSenders(args.senders), lambda: start_ngircd(tmp)),)
                    if ngircd else ()):
                proc, address = starter()
                try:
                    r = run(address, n, args.senders, args.seconds, proto)
                except (RuntimeError, OSError) as e:
                    print(f"{n:>7}  {proto.name:<12} failed: {e}", flush=True)
                    continue
                finally:
                    stop(proc)
                results[proto.name] = r
                ratio = ""
                if proto.name == "ngircd" and "chat-server" in results:
                    ratio = f"  {results['chat-server'][0] / r[0]:.2f}x"
                print(f"{n:>7}  {proto.name:<12} {r[0]:>12,.0f} {r[1]:>8.2f} "
                      f"{r[2]:>8.2f} {r[4]:>7} {r[3]:>7} {r[5]:>6.1f}{ratio}", flush=True)
    if not ngircd and not args.no_ngircd:
        print("(ngircd is not installed: `apt-get install ngircd` adds the comparison)")


if __name__ == "__main__":
    sys.exit(main())
