/**
 * The client process: node-dcom 1.0.9, unmodified, driven step by step over IPC, with its
 * timers on a fake clock the parent moves. Fake timers are installed before node-dcom loads
 * so every setTimeout it makes (the 120 s ping timer, socket timeouts) runs on virtual time.
 * Only node builtins and packages may be imported here: this file runs outside the kit.
 */
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { withGlobal } from '@sinonjs/fake-timers';
import type { ChildState, FromChild, ProgramStep, StepResult, ToChild } from './messages';

const socketTimeout = Number(process.env.DCOMKIT_SOCKET_TIMEOUT_MS ?? 3000);
const CLSID = process.env.DCOMKIT_CLSID ?? 'd0c0f00d-5e57-4a11-9000-00000000c1a5';
const PASSWORD = 'any-password';
const DOMAIN = 'WORKGROUP';

// Only timers and Date: setImmediate stays real because node-dcom's lock hands over with it.
// The process may be started ahead of need (a warm spare); `begin` sets its clock to the
// kit's time when the program really starts.
const clock = withGlobal(globalThis).install({
  now: 0,
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
});

/**
 * Which program this process runs: a process whose program has ended is recycled for the next
 * one (see `recycle`), and anything the old program left unsettled must not count for the new.
 */
let generation = 0;

/** Timer callbacks that returned a promise (the ping) and have not settled yet. */
let pending = 0;
const track = (r: unknown): void => {
  if (r && typeof (r as Promise<unknown>).then === 'function') {
    pending++;
    const mine = generation;
    const done = () => void (mine === generation && pending--);
    (r as Promise<unknown>).then(done, done);
  }
};
const fakeSetTimeout = globalThis.setTimeout;
const fakeSetInterval = globalThis.setInterval;
type TimerFn = (...args: unknown[]) => unknown;
const wrapTimer = (fake: typeof globalThis.setTimeout) =>
  function (this: unknown, fn: TimerFn, ms?: number, ...args: unknown[]) {
    return fake(function (this: unknown, ...a: unknown[]) {
      activity++;
      track(fn.apply(this, a));
    }, ms, ...args);
  } as unknown as typeof globalThis.setTimeout;
globalThis.setTimeout = wrapTimer(fakeSetTimeout);
globalThis.setInterval = wrapTimer(fakeSetInterval as unknown as typeof globalThis.setTimeout) as unknown as typeof globalThis.setInterval;

/**
 * Counts socket events, writes and timer callbacks, so the parent can tell "still working"
 * from "waiting": a count that stops moving means the program waits on time or for ever.
 */
let activity = 0;
const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) {
  activity++;
  return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
} as typeof net.Socket.prototype.emit;
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
  activity++;
  return (write as (...a: unknown[]) => boolean).apply(this, args);
} as typeof net.Socket.prototype.write;

// node-dcom writes two PDUs back to back (auth3, then the request); with Nagle on, the second
// waits ~40 ms for a delayed ACK, which would read as "the program is waiting" and let virtual
// time jump. No-delay changes only segment timing, never the bytes.
// Every socket the program opens is also tracked until it closes, so the parent can match its
// byte counts against the server's: equal counts mean nothing is on the wire.
const sockets = new Set<net.Socket>();
/** The program crashed (see `crash`): nothing of it may reach the network again. */
let dead = false;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  if (dead) return this.destroy();
  this.setNoDelay(true);
  if (!sockets.has(this)) {
    sockets.add(this);
    this.once('close', () => sockets.delete(this));
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

/** Each open socket as [local port, bytes written, bytes read]; port 0 while connecting. */
function flows(): Array<[number, number, number]> {
  return [...sockets].map((s) => [s.localPort ?? 0, s.bytesWritten, s.bytesRead]);
}

/**
 * Real asynchronous work not yet done: setImmediate callbacks (node-dcom's lock hands over
 * with them), connects, lookups, file reads. Open sockets and pipes only wait, and timers
 * are fake (virtual time); neither is work.
 */
const WAITING = new Set(['PipeWrap', 'TTYWrap', 'TCPSocketWrap', 'TCPWrap', 'Timeout']);
function work(): string[] {
  return process.getActiveResourcesInfo().filter((r) => !WAITING.has(r));
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcom = require('node-dcom');
preload();

/**
 * node-dcom requires most of its modules lazily, on first use; load them now, while this
 * process is a spare, so the first activation does not pay for it. Loading changes nothing.
 */
function preload(): void {
  const root = path.join(path.dirname(require.resolve('node-dcom/package.json')), 'dcom');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !p.includes(`${path.sep}impls${path.sep}`)) {
        try {
          require(p);
        } catch {
          // a module that does not load now would not load later either; leave it to the program
        }
      }
    }
  };
  walk(root);
}

interface Proxy {
  obj: any; // node-dcom ComObject: untyped JavaScript
  session: any;
}
const proxies = new Map<string, Proxy>();
let programEnded = false;
const sessions: any[] = [];

function send(m: FromChild): void {
  process.send?.(m);
}

function failure(e: unknown): StepResult {
  if (typeof e === 'number') return { ok: false, hr: e >>> 0, detail: `node-dcom threw status 0x${(e >>> 0).toString(16)}` };
  const message = e instanceof Error ? e.message : String(e);
  return { ok: false, hr: 0x80004005, detail: `node-dcom threw: ${message}` };
}

function proxy(handle: string): Proxy {
  const p = proxies.get(handle);
  if (!p) throw new Error(`no proxy named ${handle}`);
  return p;
}

async function run(step: ProgramStep): Promise<StepResult> {
  switch (step.op) {
    case 'activate': {
      // One session per activation: a node-dcom session holds exactly one ComServer.
      const session = new dcom.Session().createSession(DOMAIN, step.identity, PASSWORD);
      session.setGlobalSocketTimeout(socketTimeout);
      sessions.push(session);
      const server = new dcom.ComServer(new dcom.Clsid(step.clsid ?? CLSID), step.address, session);
      await server.init();
      if (!server.serverActivation?.activationsuccessful) return { ok: false, hr: 0x80004005, detail: 'activation did not succeed' };
      const obj = await server.createInstance();
      proxies.set(step.handle, { obj, session });
      return { ok: true, hr: 0, ipid: String(obj.getIpid()).toLowerCase() };
    }
    case 'queryInterface': {
      const p = proxy(step.handle);
      const obj = await p.obj.queryInterface(step.iid);
      proxies.set(step.newHandle, { obj, session: p.session });
      return { ok: true, hr: 0, ipid: String(obj.getIpid()).toLowerCase() };
    }
    case 'addRef':
      await proxy(step.handle).obj.addRef();
      return { ok: true, hr: 0 };
    case 'release':
      await proxy(step.handle).obj.release();
      return { ok: true, hr: 0 };
    case 'call': {
      const cb = new dcom.CallBuilder(true);
      cb.setOpnum(0);
      cb.addInParamAsInt(41, dcom.Flags.FLAG_NULL);
      cb.addOutParamAsType(dcom.Types.INTEGER, dcom.Flags.FLAG_NULL);
      const r = await proxy(step.handle).obj.call(cb);
      const hr = Number(r.hresult) >>> 0;
      const y = r.getResults?.()?.[0];
      const value = typeof y?.getValue === 'function' ? y.getValue() : y;
      return hr === 0 && value !== 42 ? { ok: true, hr, detail: `out parameter ${String(value)}, expected 42` } : { ok: true, hr };
    }
    case 'exit':
      try {
        for (const s of sessions) await s.destroySession(s);
      } finally {
        programEnded = true; // the program's last statement, whatever destroySession did
      }
      return { ok: true, hr: 0 };
  }
}

/** The program is sequential: a step starts when the one before it has returned. */
let queue: Promise<unknown> = Promise.resolve();
let queued = 0;
/** A tick is moving the clock (timer callbacks may be running). */
let ticking = false;

function aliveHandles(): string[] {
  // IPC and stdio pipes belong to the harness, not to the program.
  return process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
}

/** The program is over and left no timer: only its sockets could still keep it alive. */
const doneButSockets = () => programEnded && queued === 0 && clock.countTimers() === 0;

async function tryExit(): Promise<void> {
  // A socket the program closed may still be finishing its FIN exchange: give it a moment,
  // but only when nothing else keeps the process alive. Otherwise (an abandoned program's
  // ping timer) every check would cost the whole wait, once per timer the clock moves past.
  const deadline = performance.now() + 200;
  while (doneButSockets() && aliveHandles().some((h) => h.startsWith('TCP')) && performance.now() < deadline) {
    await new Promise((r) => setImmediate(r));
  }
  const timers = clock.countTimers();
  const handles = aliveHandles().filter((h) => h !== 'Immediate');
  const exiting = doneButSockets() && handles.length === 0;
  // Nothing of the program keeps the process alive: the program has exited. Node would end the
  // process now; the parent recycles it for a later program instead (or ends it).
  send({ t: 'tryExit', exiting, timers, handles });
}

/**
 * The program dies without any cleanup, as under SIGKILL: what the server sees of that is
 * every connection closed at once by the operating system and nothing more from the
 * process. So, in one go: no timer of the program fires again, every socket is destroyed with
 * its listeners gone (no code of the program learns of it), and the program may not connect
 * again. Whatever of it was still queued runs into destroyed sockets. The process is then
 * recycled like any other whose program is over.
 */
function crash(): void {
  generation++;
  dead = true;
  clock.reset();
  for (const socket of sockets) {
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.destroy();
  }
}

/**
 * Makes this process ready for a new program, as if freshly started: the old program's timers
 * go unfired, its sockets are destroyed, its proxies and sessions forgotten. The old program
 * can never run again once no timer, socket or other event source of it is left (JavaScript
 * runs only in answer to one), which is what the answer reports; a process for which that
 * does not come true is ended by the parent instead. node-dcom keeps no state of its own in
 * the modules but two counters that number calls and security contexts on the wire.
 */
async function recycle(): Promise<boolean> {
  if (ticking) return false;
  generation++;
  proxies.clear();
  sessions.length = 0;
  queue = Promise.resolve();
  queued = 0;
  pending = 0;
  programEnded = false;
  for (let turn = 0; turn < 200; turn++) {
    clock.reset();
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setImmediate(r));
    if (sockets.size === 0 && clock.countTimers() === 0 && aliveHandles().length === 0) {
      dead = false;
      return true;
    }
  }
  return false;
}

function nextDue(): number | null {
  // fake-timers keeps its timers in `clock.timers`; it has no public "peek".
  const timers = (clock as unknown as { timers?: Map<number, { callAt: number }> | Record<string, { callAt: number }> }).timers;
  if (!timers) return null;
  const list = timers instanceof Map ? [...timers.values()] : Object.values(timers);
  return list.length ? Math.min(...list.map((t) => t.callAt)) : null;
}

function state(): ChildState & { t: 'state' } {
  return { t: 'state', pending, activity, queued, work: work(), flows: flows(), due: nextDue() };
}

process.on('message', (m: ToChild) => {
  switch (m.t) {
    case 'begin':
      clock.setSystemTime(m.now);
      send({ t: 'begun', now: clock.now });
      return;
    case 'tick':
      ticking = true;
      void clock.tickAsync(Math.max(0, m.to - clock.now)).then(() => {
        ticking = false;
        send({ ...state(), t: 'ticked', now: clock.now });
      });
      return;
    case 'run': {
      queued++;
      pending++;
      activity++;
      const mine = generation;
      const job = queue.then(() => run(m.step)).then(
        (result) => result,
        (e: unknown) => failure(e),
      );
      queue = job;
      void job.then((result) => {
        activity++;
        if (mine !== generation) return; // a step of a program gone since
        queued--;
        pending--;
        send({ t: 'done', id: m.id, result });
      });
      return;
    }
    case 'state':
      send(state());
      return;
    case 'end':
      programEnded = true;
      return;
    case 'tryExit':
      void tryExit();
      return;
    case 'crash':
      crash();
      send({ t: 'crashed' });
      return;
    case 'recycle':
      void recycle().then((ok) => send({ t: 'recycled', ok }));
      return;
  }
});

// node-dcom logs receive errors with console.log and lets some rejections go unhandled;
// neither may kill the program (a real one would not die of them either).
process.on('unhandledRejection', () => undefined);

send({ t: 'ready', now: clock.now });
