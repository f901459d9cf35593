"""A small DCOM distributed-garbage-collection model on a virtual clock.

Client machines hold proxies on objects the server machine exports. Each client machine's
OXID resolver aggregates the objects its processes hold into one ping set towards the
server and pings every 120 s: ComplexPing when the set changed (set "0" and seq 1 to
create it), SimplePing otherwise (MS-DCOM 3.2.6.1). The server's resolver resets a set's
timer on every ping and runs the set's objects down 360 s after its last ping (3.1.2.2,
3.1.2.6). Release sends RemRelease, so the server reclaims at once with cause "release" and
the client's next ping deletes the OID from the set.

Several processes can hold one object: activateShared gives every caller the live shared
instance of that name, and handOver marshals a proxy from one process to another (the
receiver's machine then pings the object itself). The server keeps an object while any
proxy's reference or any machine's ping set holds it.

THE DELIBERATE BUG (see README.md): when a client process crashes, its OIDs are never taken
out of its machine's ping set, so that machine pings the server forever. Construct the
model with bug=False for the corrected behaviour.
"""

import random

PING_PERIOD_MS = 120_000
SET_TIMEOUT_MS = 3 * PING_PERIOD_MS  # three missed pings

S_OK = 0
RPC_E_DISCONNECTED = 0x80010108
RPC_S_SERVER_UNAVAILABLE = 0x800706BA
OR_INVALID_SET = 1912

CLIENT_MACHINES = ("client1", "client2")
SERVER = "server"


class ModelError(Exception):
    """The request names something this world does not have (a caller mistake)."""


def _oid_order(oid):
    return int(oid[3:])


class World:
    def __init__(self, seed, world, bug=True):
        self.rng = random.Random(seed)
        self.machines = world["machines"]
        self.bug = bug
        self.now = 0
        self.out = []
        self.counter = 0
        self.processes = {}  # id -> {"machine", "alive"}
        self.proxies = {}  # handle -> {"process", "machine", "oid"}
        self.objects = {}  # oid -> {"machine", "refs", "set_refs", "orphan_deadline", "grace_until", "alive"}
        self.shared = {}  # shared instance name -> oid
        self.client_sets = {}  # client machine -> {"set_id", "seq", "acked"}
        self.server_sets = {}  # set id -> {"oids", "seq", "expires_at"}
        self.leaked = {m: set() for m in CLIENT_MACHINES}  # the bug: OIDs pinged for nobody
        # Each resolver ticks at its own phase, drawn from the seed.
        self.next_tick = {m: 1 + self.rng.randrange(PING_PERIOD_MS - 1) for m in CLIENT_MACHINES}

    # --- requests ---------------------------------------------------------------------

    def apply(self, action):
        kind = action["kind"]
        handler = getattr(self, "_" + kind, None)
        if handler is None:
            raise ModelError(f"action kind {kind!r} is not supported")
        handler(action)
        return self._flush()

    def advance(self, ms):
        self._run_until(self.now + ms)
        return self._flush()

    # --- client actions ---------------------------------------------------------------

    def _start(self, a):
        if a["process"] in self.processes:
            raise ModelError(f"process {a['process']} exists already")
        self.processes[a["process"]] = {"machine": a["machine"], "alive": True}

    def _activate(self, a):
        p = self._process(a["process"])
        remote = a["serverInfo"] or a["clsctx"] == "remote"
        # A local activation is served on the client's own machine and never pinged.
        machine = SERVER if remote else p["machine"]
        oid = self._new_object(machine, remote)
        self._hold(a["handle"], a["process"], oid)

    def _activateShared(self, a):
        p = self._process(a["process"])
        oid = self.shared.get(a["instance"])
        if oid is not None and self.objects[oid]["alive"]:
            self._hand_out(oid)
        else:
            oid = self.shared[a["instance"]] = self._new_object(SERVER, True)
        self._hold(a["handle"], a["process"], oid)

    def _handOver(self, a):
        px = self._proxy(a["handle"])
        to = self._process(a["process"])
        obj = self.objects[px["oid"]]
        info = self._transport_info(px["machine"], obj["machine"])
        # Marshaling asks the server for one more reference to hand over (RemAddRef).
        if not obj["alive"]:
            return self._complete(RPC_E_DISCONNECTED, **info)
        # Client machines reach the server only: a local server's object stays on its machine.
        if to["machine"] != px["machine"] and obj["machine"] != SERVER:
            return self._complete(RPC_S_SERVER_UNAVAILABLE)
        self._hand_out(px["oid"])
        obj["refs"] += 1
        self.proxies[a["newHandle"]] = {"process": a["process"], "machine": to["machine"], "oid": px["oid"]}
        self._complete(S_OK, oid=px["oid"], **info)

    def _new_object(self, machine, remote):
        self.counter += 1
        oid = f"oid{self.counter}"
        self.objects[oid] = {
            "machine": machine,
            "refs": 0,
            "set_refs": 0,
            # An object nobody ever pings is run down like an expired set.
            "orphan_deadline": self.now + SET_TIMEOUT_MS if remote else None,
            "grace_until": None,
            "alive": True,
        }
        return oid

    def _hold(self, handle, pid, oid):
        p = self.processes[pid]
        obj = self.objects[oid]
        obj["refs"] += 1
        self.proxies[handle] = {"process": pid, "machine": p["machine"], "oid": oid}
        self._complete(S_OK, oid=oid, **self._transport_info(p["machine"], obj["machine"]))

    def _hand_out(self, oid):
        # A new holder gets a full set timeout to ping the object, as a new object's first holder does.
        obj = self.objects[oid]
        obj["grace_until"] = self.now + SET_TIMEOUT_MS
        if obj["set_refs"] == 0 and obj["orphan_deadline"] is not None:
            obj["orphan_deadline"] = max(obj["orphan_deadline"], obj["grace_until"])

    def _call(self, a):
        px = self._proxy(a["handle"])
        obj = self.objects[px["oid"]]
        self._complete(S_OK if obj["alive"] else RPC_E_DISCONNECTED, **self._transport_info(px["machine"], obj["machine"]))

    def _release(self, a):
        self._drop(a["handle"], rem_release=True)

    def _exit(self, a):
        self._end(a["process"], crashed=False)

    def _crash(self, a):
        self._end(a["process"], crashed=True)

    def _end(self, pid, crashed):
        p = self._process(pid)
        for handle, px in list(self.proxies.items()):
            if px["process"] != pid:
                continue
            if crashed and self.bug and self.objects[px["oid"]]["machine"] != px["machine"]:
                self.leaked[px["machine"]].add(px["oid"])  # BUG: nobody forgets this OID
            # CoUninitialize releases every proxy; a crash gives nothing back.
            self._drop(handle, rem_release=not crashed)
        p["alive"] = False
        self._emit({"kind": "processExit", "process": pid, "machine": p["machine"]})

    def _drop(self, handle, rem_release):
        px = self._proxy(handle)
        del self.proxies[handle]
        obj = self.objects[px["oid"]]
        if not obj["alive"]:
            return
        if rem_release:
            obj["refs"] -= 1
            if obj["refs"] == 0:
                self._reclaim(px["oid"], "release")
                return
        if obj["machine"] == px["machine"] and not any(q["oid"] == px["oid"] for q in self.proxies.values()):
            # A local server's last client vanished: its machine's own resolver stops counting
            # the reference, and the object is run down after a full ping-set timeout.
            obj["orphan_deadline"] = self.now + SET_TIMEOUT_MS

    # --- time -------------------------------------------------------------------------

    def _run_until(self, target):
        while True:
            due = self._next_due()
            if due > target:
                break
            self.now = max(self.now, due)
            self._fire_due()
        self.now = target

    def _next_due(self):
        due = min(self.next_tick.values())
        for s in self.server_sets.values():
            due = min(due, s["expires_at"])
        for obj in self.objects.values():
            if obj["alive"] and obj["set_refs"] == 0 and obj["orphan_deadline"] is not None:
                due = min(due, obj["orphan_deadline"])
        return due

    def _fire_due(self):
        # Client ticks first, so a ping arriving exactly at a set's deadline still counts.
        for m in CLIENT_MACHINES:
            if self.next_tick[m] <= self.now:
                self._tick(m)
                self.next_tick[m] += PING_PERIOD_MS
        for set_id, s in list(self.server_sets.items()):
            if s["expires_at"] <= self.now:
                del self.server_sets[set_id]
                for oid in sorted(s["oids"], key=_oid_order):
                    obj = self.objects[oid]
                    obj["set_refs"] -= 1
                    if obj["set_refs"] != 0 or not obj["alive"]:
                        continue
                    if obj["grace_until"] is not None and obj["grace_until"] > self.now:
                        obj["orphan_deadline"] = obj["grace_until"]  # just handed to a holder that has yet to ping
                    else:
                        self._reclaim(oid, "rundown")
        for oid, obj in self.objects.items():
            deadline = obj["orphan_deadline"]
            if obj["alive"] and obj["set_refs"] == 0 and deadline is not None and deadline <= self.now:
                self._reclaim(oid, "rundown")

    # --- client resolver --------------------------------------------------------------

    def _tick(self, machine):
        want = {px["oid"] for px in self.proxies.values() if px["machine"] == machine and self.objects[px["oid"]]["machine"] == SERVER}
        want |= self.leaked[machine]
        cs = self.client_sets.setdefault(machine, {"set_id": None, "seq": 0, "acked": set()})
        if cs["set_id"] is None:
            if not want:
                return
            adds = sorted(want, key=_oid_order)
            status, new_set = self._ping(machine, "complex", "0", 1, adds, [])
            if status == "ok":
                cs.update(set_id=new_set, seq=1, acked=set(adds))
            return
        adds = sorted(want - cs["acked"], key=_oid_order)
        dels = sorted(cs["acked"] - want, key=_oid_order)
        if not adds and not dels:
            status, _ = self._ping(machine, "simple", cs["set_id"], cs["seq"], [], [])
            if status == OR_INVALID_SET:
                cs.update(set_id=None, seq=0, acked=set())
            return
        seq = cs["seq"] + 1
        status, _ = self._ping(machine, "complex", cs["set_id"], seq, adds, dels)
        if status == OR_INVALID_SET:
            cs.update(set_id=None, seq=0, acked=set())
            return
        cs["seq"] = seq
        cs["acked"] = (cs["acked"] | set(adds)) - set(dels)
        if not cs["acked"]:
            # Emptied by DelFromSet: nothing left to keep alive, so stop pinging.
            cs.update(set_id=None, seq=0)

    def _ping(self, machine, kind, set_id, seq, adds, dels):
        status, new_set = self._receive(kind, set_id, seq, adds, dels)
        event = {"kind": "ping", "from": machine, "to": SERVER, "type": kind, "setId": set_id, "seq": seq, "adds": adds, "dels": dels, "status": status}
        if new_set is not None:
            event["newSetId"] = new_set
        self._emit(event)
        return status, new_set

    # --- server resolver (MS-DCOM 3.1.2.5.1) ------------------------------------------

    def _receive(self, kind, set_id, seq, adds, dels):
        if kind == "complex" and set_id == "0":
            self.counter += 1
            new_id = f"set{self.counter}"
            s = {"oids": set(), "seq": seq, "expires_at": self.now + SET_TIMEOUT_MS}
            self.server_sets[new_id] = s
            for oid in adds:
                self._add_to_set(s, oid)
            return "ok", new_id
        s = self.server_sets.get(set_id)
        if s is None:
            return OR_INVALID_SET, None
        if kind == "complex":
            if s["seq"] > seq:
                return "ok", None  # a stale ComplexPing changes nothing
            for oid in adds:
                self._add_to_set(s, oid)
            for oid in dels:
                if oid in s["oids"]:
                    s["oids"].discard(oid)
                    obj = self.objects[oid]
                    obj["set_refs"] -= 1
                    if obj["set_refs"] == 0 and obj["alive"]:
                        obj["orphan_deadline"] = self.now + SET_TIMEOUT_MS
            s["seq"] = seq
        s["expires_at"] = self.now + SET_TIMEOUT_MS
        return "ok", None

    def _add_to_set(self, s, oid):
        obj = self.objects.get(oid)
        if obj is None or not obj["alive"] or obj["machine"] != SERVER or oid in s["oids"]:
            return
        s["oids"].add(oid)
        obj["set_refs"] += 1
        obj["orphan_deadline"] = None

    # --- plumbing ---------------------------------------------------------------------

    def _reclaim(self, oid, cause):
        obj = self.objects[oid]
        obj["alive"] = False
        obj["orphan_deadline"] = None
        self._emit({"kind": "reclaimed", "machine": obj["machine"], "oid": oid, "cause": cause})

    def _transport_info(self, a, b):
        if a == b:
            return {}
        udp = self.machines[a]["protocols"] == "udp-first" and self.machines[b]["protocols"] == "udp-first"
        return {"transport": "udp" if udp else "tcp"}

    def _complete(self, hr, **extra):
        self._emit({"kind": "completed", "hr": hr, **extra})

    def _emit(self, event):
        self.out.append({"at": self.now, **event})

    def _flush(self):
        out, self.out = self.out, []
        return out

    def _process(self, pid):
        p = self.processes.get(pid)
        if p is None or not p["alive"]:
            raise ModelError(f"no live process {pid}")
        return p

    def _proxy(self, handle):
        px = self.proxies.get(handle)
        if px is None:
            raise ModelError(f"no handle {handle}")
        return px
