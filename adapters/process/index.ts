/**
 * The kit's side of the out-of-process adapter protocol (docs/protocol.md): spawns an adapter
 * program, speaks JSON Lines with it over stdin/stdout and presents it as an Adapter.
 *
 * Every way the program can misbehave ends the step in an AdapterProtocolError (an
 * AdapterFault naming the adapter, the step, the offending line and the last lines of its
 * stderr), never in events the rules would judge, and never in a hang of the kit:
 * - hang: a reset/apply/advance that does not answer within the step timeout;
 * - crash: exit, death by a signal, a closed stdout;
 * - protocol: non-JSON output, a message failing spec/protocol.schema.json, an unknown event
 *   kind, an answer to the wrong id, output nobody asked for, a hello that declares nothing
 *   usable;
 * - refused: an `error` message.
 * The process group (and whatever else carries the adapter's token, see registry.ts) is
 * killed; the next reset() starts a fresh process, and apply/advance refuse to run until then.
 * stderr is only ever collected (its tail goes into error messages), never parsed.
 */
import type { Action } from '../../spec/actions';
import type { Adapter, Capabilities } from '../../spec/adapter';
import type { AdapterEvent } from '../../spec/events';
import { isSuccess } from '../../spec/constants';
import { AdapterFault, type FaultKind } from '../../spec/fault';
import { unusableCapabilities } from '../../spec/rules';
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

/** An adapter broke the protocol, hung or died; names the adapter, the step and the offending line. */
export class AdapterProtocolError extends AdapterFault {
  override name = 'AdapterProtocolError';
}

export async function spawnAdapter(options: ProcessAdapterOptions): Promise<Adapter> {
  const adapter = new ProcessAdapter(options);
  await adapter.boot();
  return adapter;
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
  /** Whether a reset began the run in progress. */
  private running = false;
  /** Why apply/advance must wait for a reset, if they must. */
  private broken?: string;
  private stepIndex = 0;
  /**
   * Proxies and callbacks whose making did not succeed in this run. A replay on a real clock
   * need not go as the recorded run did; an action on such a name becomes a note rather than
   * a request the adapter would have to refuse.
   */
  private failed = new Set<string>();
  /** The latest event time of the run so far, for the notes this side adds. */
  private lastAt = 0;

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
      this.running = true;
      this.broken = undefined;
      this.stepIndex = 0;
      this.failed.clear();
      return this.exchange({ type: 'reset', id: this.nextId++, seed, world }, step, this.stepTimeoutMs);
    });
  }

  apply(action: Action): Promise<AdapterEvent[]> {
    // The contract sends time through advance(); accept it here too rather than confuse adapters.
    if (action.kind === 'advance') return this.advance(action.ms);
    return this.guard(async () => {
      const name = `apply #${this.stepIndex} (${action.kind})`;
      const gone = usedNames(action).find((n) => this.failed.has(n));
      if (gone !== undefined) {
        this.stepIndex++;
        return [{ kind: 'note', at: this.lastAt, text: `${name} not carried out: ${gone} was never made in this run (making it did not succeed)` }];
      }
      const events = await this.step(name, { type: 'apply', id: 0, action }, 0);
      if (action.kind !== 'start' && !events.some((e) => e.kind === 'completed' && isSuccess(e.hr))) {
        for (const n of madeNames(action)) this.failed.add(n);
      }
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
    if (!this.running) this.fail(name, 'reset() must come first');
    // A process that ended by itself gets here and is reported by exchange() with its exit code.
    if (this.broken || !this.conn) this.fail(name, `the adapter needs a reset first, after: ${this.broken ?? 'its process is gone'}`, undefined, 'crash');
    const clock = this.capabilities.clock;
    const timeout = this.stepTimeoutMs + (clock.kind === 'real' ? advanceMs / clock.scale : 0);
    return this.exchange({ ...request, id: this.nextId++ }, name, timeout);
  }

  /** Spawns a process and waits for its hello; checks it matches the first one. */
  private async start(step: string): Promise<void> {
    this.conn?.kill();
    const conn = new Connection({ argv: this.argv, cwd: this.options.cwd, env: this.env });
    this.conn = conn;
    const first = await conn.next(this.helloTimeoutMs);
    if (first.kind === 'timeout') this.fail(step, `no hello within ${this.helloTimeoutMs} ms`, undefined, 'hang');
    const message = this.parse(first, step);
    if (message.type !== 'hello') this.fail(step, `expected a hello message first, got ${JSON.stringify(message.type)}`, first);
    if (message.protocol !== PROTOCOL_VERSION) {
      this.fail(step, `speaks protocol version ${message.protocol}, the kit speaks ${PROTOCOL_VERSION}`, first);
    }
    const unusable = unusableCapabilities(message.capabilities);
    if (unusable) this.fail(step, `the hello declares nothing usable: ${unusable}`, first);
    if (this.hello && JSON.stringify(this.hello) !== JSON.stringify(message)) {
      this.fail(step, 'the restarted adapter said a different hello than before', first);
    }
    this.hello = message;
    this.capabilities = { name: message.name, version: message.version, ...message.capabilities };
  }

  /** Sends a request and waits for its answer. */
  private async exchange(request: KitMessage, step: string, timeoutMs: number): Promise<AdapterEvent[]> {
    const conn = this.conn!;
    const stray = conn.takeStray()[0];
    if (stray) this.fail(step, 'the adapter wrote to stdout when no request was pending (after answering the previous one)', stray);
    conn.send(request);
    const reply = await conn.next(timeoutMs);
    if (reply.kind === 'timeout') this.fail(step, `did not answer within ${timeoutMs} ms of real time`, undefined, 'hang');
    const message = this.parse(reply, step);
    if (message.type === 'error') this.fail(step, `the adapter reported an error: ${message.message}`, reply, 'refused');
    if (message.type !== 'events') this.fail(step, `expected an events message, got ${JSON.stringify(message.type)}`, reply);
    if (message.id !== request.id) this.fail(step, `answer has id ${message.id}, the request had id ${request.id}`, reply);
    if (request.type === 'reset') this.lastAt = 0;
    for (const e of message.events) if (e.at > this.lastAt) this.lastAt = e.at;
    return message.events;
  }

  private parse(x: Incoming, step: string) {
    if (x.kind === 'ended') this.fail(step, `the adapter process ${x.why}`, undefined, 'crash');
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

  /** Stops the adapter's process and throws the fault describing why. */
  private fail(step: string, problem: string, offending?: Incoming, kind: FaultKind = 'protocol'): never {
    const conn = this.conn;
    const stderr = conn?.stderr() ?? [];
    conn?.kill();
    this.conn = undefined;
    this.broken ??= `${step}: ${problem}`;
    const line = offending && 'text' in offending ? cut(offending.text) : undefined;
    throw new AdapterProtocolError(kind, this.label, step, problem, stderr, line);
  }
}

/** Names an action refers to that an earlier action made. */
function usedNames(a: Action): string[] {
  const names: string[] = [];
  if ('process' in a && a.kind !== 'start') names.push(a.process);
  if ('handle' in a && a.kind !== 'activate' && a.kind !== 'activateShared') names.push(a.handle);
  if ('callback' in a && a.kind !== 'passCallback') names.push(a.callback);
  return names;
}

/** Names an action makes: a process, a proxy, a callback. */
function madeNames(a: Action): string[] {
  switch (a.kind) {
    case 'start':
      return [a.process];
    case 'activate':
    case 'activateShared':
      return [a.handle];
    case 'queryInterface':
    case 'handOver':
      return [a.newHandle];
    case 'passCallback':
      return [a.callback];
    default:
      return [];
  }
}
