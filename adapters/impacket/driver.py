"""One client process of a dcomkit run: Debian's impacket, unmodified, driven step by step.

The parent (adapters/impacket/adapter.ts) speaks JSON Lines on this process's stdin and
stdout; impacket's own logging goes to stderr. Three things are changed at run time in this
process, none in impacket's files:

- dcomrt.Timer, the threading.Timer impacket's ping runs on, is replaced by VirtualTimer: the
  parent moves a virtual clock and a due timer's function runs then, in a thread of its own as
  threading.Timer would run it;
- TCPTransport's default port, 135, becomes the emulator's resolver port for this machine;
- a logging handler collects what impacket logs (a failed ping is only logged), for notes;
- sockets get TCP_NODELAY: impacket writes auth3 and its first request back to back, and with
  Nagle on the request waits for a delayed ACK (40 ms a connection). Segment timing only.

Only the standard library and impacket are imported: this runs under Debian's /usr/bin/python3.
"""

import json
import logging
import os
import socket
import sys
import threading
import traceback
import uuid

from impacket import hresult_errors
from impacket.dcerpc.v5 import dcomrt, transport
from impacket.dcerpc.v5.dcomrt import DCERPCSessionError, DCOMANSWER, DCOMCALL, DCOMConnection  # noqa: F401 (impacket looks DCERPCSessionError up in this module)
from impacket.dcerpc.v5.dtypes import LONG
from impacket.dcerpc.v5.rpcrt import DCERPCException, rpc_status_codes
from impacket.uuid import string_to_bin, uuidtup_to_bin

CLSID = os.environ.get("DCOMKIT_CLSID", "d0c0f00d-5e57-4a11-9000-00000000c1a5")
USER = "dcomkit"
DOMAIN = "WORKGROUP"
NT_HASH = os.environ.get("DCOMKIT_NT_HASH", "")
IIDS = {
    "ITest": "d0c0f00d-5e57-4a11-9000-00000000c0de",
    "IUnknown": "00000000-0000-0000-c000-000000000046",
    "IMissing": "d0c0f00d-5e57-4a11-9000-00000000dead",
}
E_FAIL = 0x80004005
# What a broken connection is in HRESULT terms: the RPC server cannot be reached.
RPC_S_SERVER_UNAVAILABLE = 0x800706BA
# Real seconds a fired timer's function may run before the parent hears "busy" and goes on.
TIMER_WAIT_S = 5.0

out_lock = threading.Lock()
out = sys.stdout


def send(message):
    with out_lock:
        out.write(json.dumps(message) + "\n")
        out.flush()


# --- virtual time ---------------------------------------------------------------------------


class Clock:
    """The process's virtual clock in ms; the parent moves it, timers fire on it."""

    def __init__(self):
        self.now = 0
        self.lock = threading.Lock()
        self.armed = []
        self.running = 0
        self.count = 0

    def arm(self, timer):
        with self.lock:
            self.count += 1
            timer.order = self.count
            self.armed.append(timer)

    def disarm(self, timer):
        with self.lock:
            if timer in self.armed:
                self.armed.remove(timer)
                return True
            return False

    def next_due(self):
        with self.lock:
            return min((t.due for t in self.armed), default=None)

    def tick(self, to):
        """Fires every timer due by `to`, in time order; returns how many are still running."""
        busy = []
        while True:
            with self.lock:
                due = [t for t in self.armed if t.due <= to]
                if not due:
                    break
                timer = min(due, key=lambda t: (t.due, t.order))
                self.armed.remove(timer)
                self.now = max(self.now, timer.due)
            thread = timer.fire()
            thread.join(TIMER_WAIT_S)
            if thread.is_alive():
                busy.append(thread)
        self.now = max(self.now, to)
        return sum(1 for t in busy if t.is_alive())


clock = Clock()


class VirtualTimer:
    """threading.Timer's interface on the virtual clock: start, cancel, join, is_alive."""

    def __init__(self, interval, function, args=None, kwargs=None):
        self.interval = interval
        self.function = function
        self.args = args or []
        self.kwargs = kwargs or {}
        self.started = False
        self.cancelled = False
        self.thread = None
        self.due = None
        self.order = 0
        self.daemon = False

    def start(self):
        if self.started:
            raise RuntimeError("threads can only be started once")
        self.started = True
        self.due = clock.now + int(round(self.interval * 1000))
        clock.arm(self)

    def cancel(self):
        self.cancelled = True
        clock.disarm(self)

    def fire(self):
        def run():
            clock.running += 1
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:  # a Timer thread that raises dies; the process goes on
                traceback.print_exc()
            finally:
                clock.running -= 1

        self.thread = threading.Thread(target=run, name="Thread-%d (ping timer)" % self.order, daemon=True)
        self.thread.start()
        return self.thread

    def join(self, timeout=None):
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def is_alive(self):
        return (self in clock.armed) or (self.thread is not None and self.thread.is_alive())


dcomrt.Timer = VirtualTimer

_connect = socket.socket.connect


def _connect_nodelay(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM:
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _connect(self, address)


socket.socket.connect = _connect_nodelay


# --- what impacket logs ----------------------------------------------------------------------


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def take(self):
        lines, self.lines = self.lines, []
        return lines


collected = Collect()
logging.getLogger("impacket").addHandler(collected)


# --- the test interface's call ---------------------------------------------------------------


class AddCall(DCOMCALL):
    """ITest::Add(long x, [out] long *y), opnum 3: the emulator answers y = x + 1."""

    opnum = 3
    structure = (("x", LONG),)


class AddCallResponse(DCOMANSWER):
    structure = (("y", LONG), ("ErrorCode", LONG))


# --- the program -----------------------------------------------------------------------------

ERROR_NAMES = {}
for code, (name, _text) in hresult_errors.ERROR_MESSAGES.items():
    ERROR_NAMES.setdefault(name, code)
for code, name in rpc_status_codes.items():
    ERROR_NAMES.setdefault(name, code)


def failure(e):
    """What a step's exception says in HRESULT terms, as impacket lets a caller see it."""
    detail = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")
    code = e.get_error_code() if isinstance(e, DCERPCException) else None
    if code is None and isinstance(e, DCERPCException):
        # impacket often raises with only the error's name in the text (its error_code is None)
        for word in str(e).replace(",", " ").replace(":", " ").split():
            if word in ERROR_NAMES:
                code = ERROR_NAMES[word]
                break
        if code is None and "Could not connect" in str(e):
            code = RPC_S_SERVER_UNAVAILABLE
    if code is None and isinstance(e, OSError):
        code = RPC_S_SERVER_UNAVAILABLE
    return {"ok": False, "hr": (code if code is not None else E_FAIL) & 0xFFFFFFFF, "detail": detail}


def ipid_of(iface):
    return str(uuid.UUID(bytes_le=bytes(iface.get_iPid())))


class Program:
    def __init__(self):
        self.conn = None
        self.proxies = {}
        self.ended = False

    def run(self, step):
        op = step["op"]
        if op == "activate":
            if self.conn is None:
                self.conn = DCOMConnection("127.0.0.1", USER, "", DOMAIN, "", NT_HASH, oxidResolver=True)
            iface = self.conn.CoCreateInstanceEx(string_to_bin(CLSID), uuidtup_to_bin((IIDS["ITest"], "0.0")))
            self.proxies[step["handle"]] = iface
            return {"ok": True, "hr": 0, "ipid": ipid_of(iface)}
        if op == "queryInterface":
            iface = self.proxies[step["handle"]].RemQueryInterface(1, (uuidtup_to_bin((IIDS[step["iid"]], "0.0")),))
            self.proxies[step["newHandle"]] = iface
            return {"ok": True, "hr": 0, "ipid": ipid_of(iface)}
        if op == "addRef":
            self.proxies[step["handle"]].RemAddRef()
            return {"ok": True, "hr": 0}
        if op == "release":
            self.proxies[step["handle"]].RemRelease()
            return {"ok": True, "hr": 0}
        if op == "call":
            iface = self.proxies[step["handle"]]
            req = AddCall()
            req["x"] = 41
            resp = iface.request(req, uuidtup_to_bin((IIDS["ITest"], "0.0")), iface.get_iPid())
            if resp["y"] != 42:
                return {"ok": True, "hr": 0, "detail": "out parameter %s, expected 42" % resp["y"]}
            return {"ok": True, "hr": 0}
        if op == "exit":
            # impacket's teardown: DCOMConnection.disconnect() is what its programs call last.
            try:
                if self.conn is not None:
                    self.conn.disconnect()
            finally:
                self.ended = True
            return {"ok": True, "hr": 0}
        raise ValueError("unknown step %r" % op)


program = Program()
steps = []
steps_cv = threading.Condition()
working = [0]


def worker():
    """The program's main line: one step after another, in one thread (impacket keys its
    object connections by thread name)."""
    while True:
        with steps_cv:
            while not steps:
                steps_cv.wait()
            rid, step = steps.pop(0)
        try:
            result = program.run(step)
        except Exception as e:  # noqa: BLE001 (every failure is a result the kit judges)
            result = failure(e)
            if step["op"] == "exit":
                program.ended = True
        with steps_cv:
            working[0] -= 1
        reply({"t": "done", "id": rid, "result": result, "log": collected.take()})


def exiting():
    """The program is over and nothing of it keeps the process alive: no armed ping timer,
    no timer function running, no step waiting."""
    with steps_cv:
        idle = working[0] == 0 and not steps
    return program.ended and idle and clock.next_due() is None and clock.running == 0


exit_lock = threading.Lock()


def reply(message):
    """Answers, saying in the same line whether the process now ends, and ends it if so:
    nothing keeps it alive (decided under one lock by whichever thread answers, the
    program's or the main loop's, so the parent reads it with the answer, never later)."""
    with exit_lock:
        message["exiting"] = exiting()
        send(message)
        if message["exiting"]:
            os._exit(0)


def serve(lines):
    """The main loop: the parent's requests, one JSON object a line, until they end."""
    threading.Thread(target=worker, name="MainThread-program", daemon=True).start()
    send({"t": "ready"})
    for line in lines:
        if not line.strip():
            continue
        m = json.loads(line)
        t = m["t"]
        if t == "begin":
            clock.now = m["now"]
            # impacket connects to port 135; this machine's resolver listens elsewhere.
            transport.TCPTransport.__init__.__defaults__ = (m["port"],)
            send({"t": "begun"})
        elif t == "run":
            with steps_cv:
                working[0] += 1
                steps.append((m["id"], m["step"]))
                steps_cv.notify()
        elif t == "peek":
            send({"t": "peek", "due": clock.next_due()})
        elif t == "tick":
            busy = clock.tick(m["to"])
            reply({"t": "ticked", "busy": busy, "log": collected.take()})
        elif t == "end":
            program.ended = True
            reply({"t": "ended"})
    os._exit(0)


def zygote(port):
    """Forks a fresh client process per request: Python and impacket load once, not per
    process. Each child connects back to the parent on 127.0.0.1:`port`, says its token and
    pid, and speaks the protocol over that connection; the zygote answers nothing else."""
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        token = line.strip()
        if not token:
            continue
        pid = os.fork()
        if pid:
            continue
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        global out
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out = sock.makefile("w", encoding="utf-8", newline="\n")
        send({"t": "hello", "token": token, "pid": os.getpid()})
        serve(sock.makefile("r", encoding="utf-8"))
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
    else:
        serve(sys.stdin)
