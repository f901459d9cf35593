/**
 * The kit's side of the out-of-process adapter protocol (docs/protocol.md): spawns an adapter
 * program, speaks JSON Lines with it over stdin/stdout and presents it as an Adapter.
 *
 * Failure modes, each ending in a verdict or a clear error and never in a hang:
 * - A reset/apply/advance that does not answer within the step timeout: the step returns a
 *   `hung` event (at the virtual time the step began) plus a `note`; the adapter's process
 *   group is killed, a fresh process is started and reset with the run's seed and world (the
 *   actions so far are not replayed), and the run goes on in that fresh world; an action on a
 *   process, proxy or callback of the old world becomes a note, never a request the fresh
 *   world would refuse (so does one on a proxy or callback whose making did not succeed: a
 *   replay on a real clock need not go as the recorded run did). Events of the
 *   fresh world are shifted in time so the trace stays monotonic. A hung reset, or a restart
 *   that fails, is an AdapterProtocolError instead.
 * - Exit or crash, non-JSON output, a message failing spec/protocol.schema.json, an unknown
 *   event kind, an `error` message, an answer to the wrong id, output nobody asked for: an
 *   AdapterProtocolError naming the adapter, the step and the offending line, with the last
 *   lines of its stderr. The process group is killed; the next reset() starts a fresh one,
 *   and apply/advance refuse to run until then.
 * - stderr is only ever collected (its tail goes into error messages), never parsed.
 */
import type { Action } from '../../spec/actions';
import type { Adapter, Capabilities } from '../../spec/adapter';
import type { AdapterEvent } from '../../spec/events';
import { isSuccess } from '../../spec/constants';
import { PROTOCOL_VERSION, type HelloMessage, type KitMessage, type WireEvent } from '../../spec/protocol';
import type { World } from '../../spec/world';
import { splitCommand } from './argv';
import { Connection, type Incoming } from './connection';
import { checkAdapterMessage } from './validate';

export { splitCommand } from './argv';
export { killAll, livePids } from './registry';

/** Real ms a step may take by default: generous for a Python model, short enough for a campaign. */
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;
/** Real ms from spawning to `hello` by default (interpreter start-up included). */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
/** Real ms close() waits for the adapter to answer `close` and exit before killing it. */
const CLOSE_GRACE_MS = 2_000;

export interface ProcessAdapterOptions {
  /** A shell-like command line, split into argv by splitCommand (quotes and backslashes); no shell runs. */
  command: string;
  /** Working directory of the adapter; default: the kit's. */
  cwd?: string;
  /** Environment of the adapter; default: the kit's. PYTHONUNBUFFERED=1 is added unless set. */
  env?: NodeJS.ProcessEnv;
  /**
   * Real ms a reset/apply/advance may take before it counts as a hang; default
   * DEFAULT_STEP_TIMEOUT_MS (10 s). For a real-clock adapter an advance gets ms / scale more.
   */
  stepTimeoutMs?: number;
  /** Real ms the adapter may take to say `hello` after being started; default DEFAULT_HELLO_TIMEOUT_MS (10 s). */
  helloTimeoutMs?: number;
  /** Name used in error messages and notes; default: the command. */
  label?: string;
}

/** An adapter broke the protocol (or died); names the adapter, the step and the offending line. */
export class AdapterProtocolError extends Error {
  override name = 'AdapterProtocolError';
  constructor(
    /** The adapter's label. */
    readonly adapter: string,
    /** The step that failed, e.g. "hello", "reset (seed 7)", "apply #3 (call)". */
    readonly step: string,
    /** What went wrong, in one sentence. */
    readonly problem: string,
    /** The offending stdout line, when there is one (cut to 500 characters). */
    readonly line?: string,
    /** The last lines the adapter wrote to stderr. */
    readonly stderr: string[] = [],
  ) {
    const parts = [`adapter ${JSON.stringify(adapter)}, ${step}: ${problem}`];
    if (line !== undefined) parts.push(`  offending line: ${line}`);
    if (stderr.length) parts.push('  last stderr lines:', ...stderr.map((l) => `    ${l}`));
    super(parts.join('\n'));
  }
}

export async function spawnAdapter(options: ProcessAdapterOptions): Promise<Adapter> {
  const adapter = new ProcessAdapter(options);
  await adapter.boot();
  return adapter;
}

/** The step timed out; turned into a `hung` event or an error by the caller. */
class StepTimeout {
  constructor(readonly ms: number) {}
}

const cut = (s: string): string => (s.length > 500 ? `${s.slice(0, 500)}... (${s.length} chars)` : s);

class ProcessAdapter implements Adapter {
  capabilities!: Capabilities;
  private readonly argv: string[];
  private readonly label: string;
  private readonly stepTimeoutMs: number;
  private readonly helloTimeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private conn?: Connection;
  private hello?: HelloMessage;
  private nextId = 1;
  private busy = false;
  private closed = false;
  /** The run in progress: what a restart resets to. */
  private run?: { seed: number; world: World };
  /** Why apply/advance must wait for a reset, if they must. */
  private broken?: string;
  private stepIndex = 0;
  /** Latest virtual time seen in this run, on the kit's time line. */
  private clock = 0;
  /** Added to the adapter's times: the kit time at which the current adapter world began. */
  private offset = 0;
  /** Processes, proxies and callbacks the current adapter world made. */
  private made = new Set<string>();
  /** Names made in a world a restart threw away: the fresh one has never heard of them. */
  private lost = new Set<string>();
  /** Proxies and callbacks whose making did not succeed (a replay on a real clock can differ). */
  private failed = new Set<string>();

  constructor(private readonly options: ProcessAdapterOptions) {
    this.argv = splitCommand(options.command);
    this.label = options.label ?? options.command;
    this.stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    this.helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.env = { PYTHONUNBUFFERED: '1', ...(options.env ?? process.env) };
  }

  async boot(): Promise<void> {
    await this.guard(() => this.start('hello'));
  }

  reset(seed: number, world: World): Promise<AdapterEvent[]> {
    return this.guard(async () => {
      const step = `reset (seed ${seed})`;
      if (!this.conn?.alive) await this.start(`${step}: hello`);
      this.run = { seed, world };
      this.broken = undefined;
      this.stepIndex = 0;
      this.clock = 0;
      this.offset = 0;
      this.made.clear();
      this.lost.clear();
      this.failed.clear();
      const events = await this.exchange({ type: 'reset', id: this.nextId++, seed, world }, step, this.stepTimeoutMs);
      if (events instanceof StepTimeout) this.fail(step, `did not answer within ${events.ms} ms`);
      return this.adopt(events);
    });
  }

  apply(action: Action): Promise<AdapterEvent[]> {
    // The contract sends time through advance(); accept it here too rather than confuse adapters.
    if (action.kind === 'advance') return this.advance(action.ms);
    return this.guard(async () => {
      const name = `apply #${this.stepIndex} (${action.kind})`;
      // An action on something the adapter never made would only get an error back: the
      // generator's model, or a replayed counterexample, believed in it.
      const gone = usedNames(action).find((n) => this.lost.has(n) || this.failed.has(n));
      if (gone !== undefined) {
        this.stepIndex++;
        const why = this.lost.has(gone) ? 'belonged to the adapter world before the restart' : 'was never made in this run (making it did not succeed)';
        return [{ kind: 'note', at: this.clock, text: `${name} not carried out: ${gone} ${why}` }];
      }
      const events = await this.step(name, { type: 'apply', id: 0, action }, 0);
      const ok = action.kind === 'start' || events.some((e) => e.kind === 'completed' && isSuccess(e.hr));
      // A restart inside this step has already moved what was made before it to `lost`.
      for (const n of madeNames(action)) (ok && !this.lost.has(n) ? this.made : this.failed).add(n);
      return events;
    });
  }

  advance(ms: number): Promise<AdapterEvent[]> {
    return this.guard(() => this.step(`advance #${this.stepIndex} (${ms} ms)`, { type: 'advance', id: 0, ms }, ms));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    try {
      if (conn.alive && conn.takeStray().length === 0) {
        conn.send({ type: 'close', id: this.nextId++ });
        await conn.waitEnd(CLOSE_GRACE_MS);
      }
    } finally {
      // Also when it exited by itself: its process group may still hold children.
      conn.kill();
    }
  }

  /** Runs one public call at a time; overlapping calls are a bug in the caller. */
  private async guard<T>(body: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`adapter ${JSON.stringify(this.label)} is closed`);
    if (this.busy) throw new Error(`adapter ${JSON.stringify(this.label)}: calls must not overlap`);
    this.busy = true;
    try {
      return await body();
    } finally {
      this.busy = false;
    }
  }

  private async step(name: string, request: KitMessage, advanceMs: number): Promise<AdapterEvent[]> {
    this.stepIndex++;
    if (!this.run) this.fail(name, 'reset() must come first');
    // A process that ended by itself gets here and is reported by exchange() with its exit code.
    if (this.broken || !this.conn) this.fail(name, `the adapter needs a reset first, after: ${this.broken ?? 'its process is gone'}`);
    const startClock = this.clock;
    const clock = this.capabilities.clock;
    const timeout = this.stepTimeoutMs + (clock.kind === 'real' ? advanceMs / clock.scale : 0);
    const answer = await this.exchange({ ...request, id: this.nextId++ }, name, timeout);
    if (!(answer instanceof StepTimeout)) {
      const events = this.adopt(answer);
      this.clock = Math.max(this.clock, startClock + advanceMs);
      return events;
    }
    return this.recover(name, answer.ms, startClock, advanceMs);
  }

  /** A step hung: report it, then carry on in a fresh adapter world. */
  private async recover(name: string, ms: number, startClock: number, advanceMs: number): Promise<AdapterEvent[]> {
    this.conn?.kill();
    this.conn = undefined;
    const hung: WireEvent = { kind: 'hung', at: startClock, detail: `adapter ${this.label} did not answer ${name} within ${ms} real ms` };
    // The time the step asked for counts as passed, so later events stay after it.
    this.clock = startClock + advanceMs;
    this.offset = this.clock;
    for (const n of this.made) this.lost.add(n);
    this.made.clear();
    const { seed, world } = this.run!;
    try {
      await this.start(`${name}: restart after hang: hello`);
      const reset = await this.exchange({ type: 'reset', id: this.nextId++, seed, world }, `${name}: restart after hang: reset`, this.stepTimeoutMs);
      if (reset instanceof StepTimeout) this.fail(`${name}: restart after hang: reset`, `did not answer within ${reset.ms} ms`);
      const note: WireEvent = {
        kind: 'note',
        at: startClock,
        text: `adapter process killed after the hang and restarted with seed ${seed}; the actions so far were not replayed, later steps run in a fresh world whose time starts at ${this.offset} ms`,
      };
      return [hung, note, ...this.adopt(reset)];
    } catch (err) {
      this.broken = `restart after the hang in ${name} failed`;
      throw err;
    }
  }

  /** Spawns a process and waits for its hello; checks it matches the first one. */
  private async start(step: string): Promise<void> {
    this.conn?.kill();
    const conn = new Connection({ argv: this.argv, cwd: this.options.cwd, env: this.env });
    this.conn = conn;
    const first = await conn.next(this.helloTimeoutMs);
    if (first.kind === 'timeout') this.fail(step, `no hello within ${this.helloTimeoutMs} ms`);
    const message = this.parse(first, step);
    if (message.type !== 'hello') this.fail(step, `expected a hello message first, got ${JSON.stringify(message.type)}`, first);
    if (message.protocol !== PROTOCOL_VERSION) {
      this.fail(step, `speaks protocol version ${message.protocol}, the kit speaks ${PROTOCOL_VERSION}`, first);
    }
    if (this.hello && JSON.stringify(this.hello) !== JSON.stringify(message)) {
      this.fail(step, 'the restarted adapter said a different hello than before', first);
    }
    this.hello = message;
    this.capabilities = { name: message.name, version: message.version, ...message.capabilities };
  }

  /** Sends a request and waits for its answer: the events, or a StepTimeout. */
  private async exchange(request: KitMessage, step: string, timeoutMs: number): Promise<WireEvent[] | StepTimeout> {
    const conn = this.conn!;
    const stray = conn.takeStray()[0];
    if (stray) this.fail(step, 'the adapter wrote to stdout when no request was pending (after answering the previous one)', stray);
    conn.send(request);
    const reply = await conn.next(timeoutMs);
    if (reply.kind === 'timeout') return new StepTimeout(timeoutMs);
    const message = this.parse(reply, step);
    if (message.type === 'error') this.fail(step, `the adapter reported an error: ${message.message}`, reply);
    if (message.type !== 'events') this.fail(step, `expected an events message, got ${JSON.stringify(message.type)}`, reply);
    if (message.id !== request.id) this.fail(step, `answer has id ${message.id}, the request had id ${request.id}`, reply);
    return message.events;
  }

  private parse(x: Incoming, step: string) {
    if (x.kind === 'ended') this.fail(step, `the adapter process ${x.why}`);
    if (x.kind === 'overlong') this.fail(step, 'stdout line too long (no newline after 4 MiB)', x);
    if (x.kind !== 'line') this.fail(step, 'no answer');
    let value: unknown;
    try {
      value = JSON.parse(x.text);
    } catch (err) {
      this.fail(step, `stdout line is not JSON (${(err as Error).message}); log to stderr instead`, x);
    }
    const checked = checkAdapterMessage(value);
    if (!checked.ok) this.fail(step, `message does not match spec/protocol.schema.json: ${checked.why}`, x);
    return checked.message;
  }

  /** Puts the adapter's events on the kit's time line. */
  private adopt(events: WireEvent[]): AdapterEvent[] {
    return events.map((e) => {
      const at = e.at + this.offset;
      this.clock = Math.max(this.clock, at);
      return { ...e, at };
    });
  }

  /** Stops the adapter's process and throws the error describing why. */
  private fail(step: string, problem: string, offending?: Incoming): never {
    const conn = this.conn;
    const stderr = conn?.stderr() ?? [];
    conn?.kill();
    this.conn = undefined;
    this.broken ??= `${step}: ${problem}`;
    const line = offending && 'text' in offending ? cut(offending.text) : undefined;
    throw new AdapterProtocolError(this.label, step, problem, line, stderr);
  }
}

/** Names an action refers to that an earlier action made. */
function usedNames(a: Action): string[] {
  const names: string[] = [];
  if ('process' in a && a.kind !== 'start') names.push(a.process);
  if ('handle' in a && a.kind !== 'activate') names.push(a.handle);
  if ('callback' in a && a.kind !== 'passCallback') names.push(a.callback);
  return names;
}

/** Names an action makes: a process, a proxy, a callback. */
function madeNames(a: Action): string[] {
  switch (a.kind) {
    case 'start':
      return [a.process];
    case 'activate':
      return [a.handle];
    case 'queryInterface':
      return [a.newHandle];
    case 'passCallback':
      return [a.callback];
    default:
      return [];
  }
}
