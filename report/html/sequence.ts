/**
 * A counterexample's trace as an SVG sequence diagram: one lane per client process, each
 * client machine's OXID resolver, the network, the server's resolver and the server object,
 * one row per trace event with its virtual time down the left side. Calls and returns run
 * between a process and the server object, pings between resolvers; lost pings end on the
 * network lane; the events a violation names are highlighted.
 */
import { describeAction, describeEvent, formatHr, formatMs, type Action, type ClientMachine, type MachineId, type TraceEvent, type Violation } from '../../spec';
import { esc } from './escape';
import { describeRow, traceRows, type TraceRow } from '../trace';

export type LaneKind = 'process' | 'resolver' | 'network' | 'server-resolver' | 'server-object';

export interface Lane {
  id: string;
  kind: LaneKind;
  title: string;
  subtitle: string;
}

interface Row {
  event: TraceEvent;
  /** How many identical pings the row stands for, and the last of them. */
  count: number;
  last?: TraceEvent;
  /** 'arrow' from lane to lane; 'note' on one lane; 'gap' across all (time passes). */
  shape: 'arrow' | 'note' | 'gap';
  from?: string;
  to?: string;
  label: string;
  /** Full text, for the tooltip. */
  title: string;
  tone: 'call' | 'return' | 'ping' | 'bad' | 'env' | 'plain' | 'good';
  dashed?: boolean;
  /** The arrow never arrives (lost ping, hang): it ends in a cross. */
  lost?: boolean;
  violation: boolean;
}

const LANE_W = 156;
const TIME_W = 84;
const HEAD_H = 54;
const ROW_H = 28;
/** Height of each further line of a wrapped note. */
const LINE_H = 14;
/** Width of a character of the diagram's 11 px monospace font. */
const CHAR_W = 6.7;
const MAX_ROWS = 160;

export interface SequenceDiagram {
  svg: string;
  /** Its natural width in px. */
  width: number;
  lanes: Lane[];
  rows: number;
  /** Rows that stand for a run of identical pings. */
  collapsed: number;
  truncated: number;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Breaks text into lines of at most `max` characters, at spaces where it can. */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let w = word;
    while (w.length > max) {
      if (line) lines.push(line);
      line = '';
      lines.push(w.slice(0, max));
      w = w.slice(max);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= max) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  lines.push(line);
  return lines;
}

/** Which processes exist (in start order), where they run, and who holds which handle and callback. */
function cast(actions: readonly Action[]) {
  const machineOf = new Map<string, ClientMachine>();
  const owner = new Map<string, string>();
  for (const a of actions) {
    if (a.kind === 'start') machineOf.set(a.process, a.machine);
    else if (a.kind === 'activate' || a.kind === 'activateShared') owner.set(a.handle, a.process);
    else if (a.kind === 'handOver') owner.set(a.newHandle, a.process);
    else if (a.kind === 'queryInterface' && owner.has(a.handle)) owner.set(a.newHandle, owner.get(a.handle)!);
    else if (a.kind === 'passCallback' && owner.has(a.handle)) owner.set(`cb:${a.callback}`, owner.get(a.handle)!);
  }
  return { machineOf, owner };
}

export function lanesFor(actions: readonly Action[], events: readonly TraceEvent[]): Lane[] {
  const { machineOf } = cast(actions);
  const machines = new Set<ClientMachine>(machineOf.values());
  for (const e of events) {
    if (e.kind === 'ping') for (const m of [e.from, e.to]) if (m !== 'server') machines.add(m);
    if (e.kind === 'action' && (e.action.kind === 'partition' || e.action.kind === 'heal' || e.action.kind === 'setTrust')) machines.add(e.action.machine);
    if (e.kind === 'action' && (e.action.kind === 'setAccess' || e.action.kind === 'setProtocols') && e.action.machine !== 'server') machines.add(e.action.machine);
  }
  if (machines.size === 0) machines.add('client1');
  const lanes: Lane[] = [];
  for (const m of (['client1', 'client2'] as const).filter((x) => machines.has(x))) {
    for (const [p, pm] of machineOf) if (pm === m) lanes.push({ id: `p:${p}`, kind: 'process', title: `client process ${p}`, subtitle: `on ${m}` });
    lanes.push({ id: `r:${m}`, kind: 'resolver', title: `${m} resolver`, subtitle: 'OXID resolver' });
  }
  lanes.push({ id: 'net', kind: 'network', title: 'network', subtitle: 'RPC over UDP/TCP' });
  lanes.push({ id: 'r:server', kind: 'server-resolver', title: 'server resolver', subtitle: 'OXID resolver' });
  lanes.push({ id: 'obj', kind: 'server-object', title: 'server object', subtitle: 'test class' });
  return lanes;
}

function resolverLane(m: MachineId): string {
  return `r:${m}`;
}

function pingLabel(e: Extract<TraceEvent, { kind: 'ping' }>): string {
  if (e.type === 'simple') return `SimplePing ${e.setId}`;
  const parts = [`ComplexPing ${e.setId} #${e.seq}`];
  if (e.adds.length) parts.push(`+${e.adds.join(' +')}`);
  if (e.dels.length) parts.push(`−${e.dels.join(' −')}`);
  return parts.join(' ');
}

function rowsFor(actions: readonly Action[], traced: readonly TraceRow[]): Row[] {
  const { owner } = cast(actions);
  const procLane = (p: string | undefined) => (p ? `p:${p}` : 'p:?');
  const stepAction = new Map<number, Action>();
  const rows: Row[] = [];
  for (const t of traced) {
    const e = t.event;
    const base = { event: e, title: t.last ? describeRow(t) : describeEvent(e), violation: t.cited, count: t.count, last: t.last };
    switch (e.kind) {
      case 'action': {
        const a = e.action;
        stepAction.set(e.step, a);
        const n = `#${e.step + 1} `;
        const label = `${e.settle ? '' : n}${describeAction(a)}`;
        switch (a.kind) {
          case 'advance':
            rows.push({ ...base, shape: 'gap', label: e.settle ? `settle: ${formatMs(a.ms)} pass` : `${n}${formatMs(a.ms)} pass`, tone: 'plain' });
            break;
          case 'start':
            rows.push({ ...base, shape: 'note', from: procLane(a.process), label: `${n}start as ${a.identity}${a.authenticated ? '' : ' (unauth.)'}`, tone: 'plain' });
            break;
          case 'initSecurity':
          case 'setBlanket':
          case 'addRef':
            rows.push({ ...base, shape: 'note', from: procLane(a.kind === 'initSecurity' ? a.process : owner.get(a.handle)), label, tone: 'plain' });
            break;
          case 'release':
            rows.push({ ...base, shape: 'note', from: procLane(owner.get(a.handle)), label, tone: 'plain' });
            break;
          case 'activate':
            if (a.clsctx === 'local') rows.push({ ...base, shape: 'note', from: procLane(a.process), label: `${n}${a.handle} = CoCreateInstanceEx(LOCAL)`, tone: 'call' });
            else rows.push({ ...base, shape: 'arrow', from: procLane(a.process), to: 'obj', label: `${n}${a.handle} = CoCreateInstanceEx${a.authInfo ? ' +COAUTHINFO' : ''}`, tone: 'call' });
            break;
          case 'activateShared':
            rows.push({ ...base, shape: 'arrow', from: procLane(a.process), to: 'obj', label: `${n}${a.handle} = shared instance ${a.instance}`, tone: 'call' });
            break;
          case 'handOver':
            rows.push({ ...base, shape: 'arrow', from: procLane(owner.get(a.handle)), to: procLane(a.process), label: `${n}marshal ${a.handle} → ${a.newHandle}`, tone: 'call' });
            break;
          case 'queryInterface':
            rows.push({ ...base, shape: 'arrow', from: procLane(owner.get(a.handle)), to: 'obj', label: `${n}${a.handle}->QueryInterface(${a.iid})`, tone: 'call' });
            break;
          case 'call':
            rows.push({ ...base, shape: 'arrow', from: procLane(owner.get(a.handle)), to: 'obj', label: `${n}${a.handle}->Method()`, tone: 'call' });
            break;
          case 'passCallback':
            rows.push({ ...base, shape: 'arrow', from: procLane(owner.get(a.handle)), to: 'obj', label: `${n}${a.handle}->Advise(${a.callback})`, tone: 'call' });
            break;
          case 'exit':
          case 'abandon':
            rows.push({ ...base, shape: 'note', from: procLane(a.process), label: `${n}${a.kind === 'exit' ? 'CoUninitialize, exit' : 'ends, no CoUninitialize'}`, tone: 'plain' });
            break;
          case 'crash':
            rows.push({ ...base, shape: 'note', from: procLane(a.process), label: `${n}crash`, tone: 'bad' });
            break;
          case 'invokeCallback':
            rows.push({ ...base, shape: 'arrow', from: 'obj', to: procLane(owner.get(`cb:${a.callback}`)), label: `${n}invoke ${a.callback}`, tone: 'call' });
            break;
          case 'releaseCallback':
            rows.push({ ...base, shape: 'arrow', from: 'obj', to: procLane(owner.get(`cb:${a.callback}`)), label: `${n}Release(${a.callback})`, tone: 'call', dashed: true });
            break;
          case 'disconnect':
            rows.push({ ...base, shape: 'note', from: 'obj', label: `${n}CoDisconnectObject`, tone: 'bad' });
            break;
          case 'serverCrash':
            rows.push({ ...base, shape: 'note', from: 'obj', label: `${n}server crashes`, tone: 'bad' });
            break;
          case 'partition':
          case 'heal':
            rows.push({ ...base, shape: 'note', from: 'net', label: `${n}${a.kind} ${a.machine}`, tone: 'env' });
            break;
          case 'setAccess':
          case 'setProtocols':
          case 'setTrust':
            rows.push({ ...base, shape: 'note', from: resolverLane(a.machine), label: `${n}${a.kind === 'setAccess' ? 'access' : a.kind === 'setProtocols' ? 'protocols' : 'trust'}: ${label.split(': ').slice(1).join(': ')}`, tone: 'env' });
            break;
        }
        break;
      }
      case 'completed':
      case 'hung': {
        const a = stepAction.get(e.step);
        const n = `#${e.step + 1} `;
        const hr = e.kind === 'completed' ? formatHr(e.hr) : '';
        const what = e.kind === 'completed' ? `${hr.includes(' ') ? hr.slice(hr.indexOf(' ') + 1) : hr}${e.oid ? ` (${e.oid})` : ''}` : `no return (hang${e.transport ? `, ${e.transport}` : ''})`;
        const failed = e.kind === 'hung' || e.hr < 0;
        const tone = failed ? 'bad' : 'return';
        if (a && (a.kind === 'invokeCallback' || a.kind === 'releaseCallback')) {
          rows.push({ ...base, shape: 'arrow', from: procLane(owner.get(`cb:${a.callback}`)), to: 'obj', label: `${n}${what}`, tone, dashed: true, lost: e.kind === 'hung' });
        } else if (a && (a.kind === 'call' || a.kind === 'queryInterface' || a.kind === 'passCallback' || a.kind === 'activateShared' || (a.kind === 'activate' && a.clsctx === 'remote'))) {
          const p = a.kind === 'activate' || a.kind === 'activateShared' ? a.process : owner.get(a.handle);
          rows.push({ ...base, shape: 'arrow', from: 'obj', to: procLane(p), label: `${n}${what}`, tone, dashed: true, lost: e.kind === 'hung' });
        } else {
          const p = a && 'process' in a ? a.process : a && 'handle' in a ? owner.get(a.handle) : undefined;
          rows.push({ ...base, shape: 'note', from: procLane(p), label: `${n}→ ${what}`, tone: failed ? 'bad' : 'plain' });
        }
        break;
      }
      case 'ping': {
        const lost = e.status === 'lost';
        const bad = e.status !== 'ok' && !lost;
        const run = t.last ? ` ×${t.count}, ${formatMs(e.at)} – ${formatMs(t.last.at)}` : '';
        const label = `${pingLabel(e)}${lost ? ' (lost)' : bad ? ` → error ${e.status}` : ''}${e.newSetId ? ` → ${e.newSetId}` : ''}${e.duplicate ? ' (dup)' : ''}${run}`;
        rows.push({ ...base, shape: 'arrow', from: resolverLane(e.from), to: lost ? 'net' : resolverLane(e.to), label, tone: bad || lost ? 'bad' : 'ping', lost, dashed: e.duplicate });
        break;
      }
      case 'reclaimed':
        rows.push({ ...base, shape: 'note', from: e.machine === 'server' ? 'obj' : resolverLane(e.machine), label: `reclaimed ${e.oid} (${e.cause})`, tone: 'bad' });
        break;
      case 'callbackDelivered':
        rows.push({ ...base, shape: 'arrow', from: 'obj', to: procLane(e.process), label: `${e.callback} delivered`, tone: 'good' });
        break;
      case 'processExit':
        rows.push({ ...base, shape: 'note', from: procLane(e.process), label: `✕ exited`, tone: 'plain' });
        break;
      case 'note':
        rows.push({ ...base, shape: 'note', from: 'net', label: `adapter note: ${e.text}`, tone: 'plain' });
        break;
    }
  }
  return rows;
}

/** Draws the diagram; `id` prefixes element ids so several diagrams share a page. */
export function sequenceDiagram(id: string, actions: readonly Action[], events: readonly TraceEvent[], violations: readonly Violation[]): SequenceDiagram {
  const lanes = lanesFor(actions, events);
  let rows = rowsFor(actions, traceRows(events, violations));
  // Prefer keeping the rows a violation names when the trace is too long to draw.
  let truncated = 0;
  if (rows.length > MAX_ROWS) {
    const lastFlag = rows.reduce((i, r, k) => (r.violation ? k : i), -1);
    const end = Math.max(MAX_ROWS, lastFlag + 1);
    truncated = rows.length - end;
    rows = rows.slice(0, end);
  }
  const x = new Map<string, number>(lanes.map((l, i) => [l.id, TIME_W + LANE_W * i + LANE_W / 2]));
  const firstProcess = lanes.find((l) => l.kind === 'process')?.id ?? 'net';
  const laneX = (lane: string | undefined) => x.get(lane ?? '') ?? x.get(firstProcess)!;
  const width = TIME_W + LANE_W * lanes.length + 8;
  // A note is never cut short: it wraps over as many lines as it needs, and its row grows.
  const noteChars = Math.floor((width - TIME_W - 24) / CHAR_W);
  const lines = rows.map((r) => (r.shape === 'note' ? wrap(r.label, noteChars) : [r.label]));
  const tops: number[] = [];
  let bottom = HEAD_H;
  for (const l of lines) {
    tops.push(bottom);
    bottom += ROW_H + LINE_H * (l.length - 1);
  }
  const height = bottom + (truncated ? ROW_H : 0) + 16;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="seq" id="${esc(id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="sequence diagram: ${rows.length} events over ${lanes.length} lanes">`,
  );
  out.push(
    `<defs><marker id="${esc(id)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`,
  );
  // Zebra rows and the violation highlight under everything else.
  rows.forEach((r, i) => {
    const y = tops[i];
    const h = ROW_H + LINE_H * (lines[i].length - 1);
    if (r.violation) out.push(`<rect class="row-violation" x="0" y="${y}" width="${width}" height="${h}"/>`);
    else if (i % 2 === 1) out.push(`<rect class="row-zebra" x="${TIME_W}" y="${y}" width="${width - TIME_W}" height="${h}"/>`);
  });
  // Lane headers and lifelines.
  lanes.forEach((l) => {
    const cx = laneX(l.id);
    out.push(`<g class="lane lane-${l.kind}" data-lane="${esc(l.id)}">`);
    out.push(`<line class="lifeline" x1="${cx}" y1="${HEAD_H - 4}" x2="${cx}" y2="${height - 8}"/>`);
    out.push(`<rect class="lane-head" x="${cx - LANE_W / 2 + 6}" y="6" width="${LANE_W - 12}" height="${HEAD_H - 14}" rx="6"/>`);
    out.push(`<text class="lane-title" x="${cx}" y="24" text-anchor="middle">${esc(l.title)}</text>`);
    out.push(`<text class="lane-sub" x="${cx}" y="38" text-anchor="middle">${esc(l.subtitle)}</text>`);
    out.push(`</g>`);
  });
  out.push(`<text class="time-head" x="8" y="24">virtual</text><text class="time-head" x="8" y="38">time</text>`);
  out.push(`<line class="time-axis" x1="${TIME_W - 6}" y1="${HEAD_H - 4}" x2="${TIME_W - 6}" y2="${height - 8}"/>`);
  let lastAt = -1;
  rows.forEach((r, i) => {
    const y = tops[i];
    const mid = y + ROW_H / 2;
    out.push(`<g class="row row-${r.shape} tone-${r.tone}${r.violation ? ' violation' : ''}${r.last ? ' collapsed' : ''}" data-kind="${r.event.kind}"${r.last ? ` data-count="${r.count}"` : ''}><title>${esc(r.title)}</title>`);
    if (r.event.at !== lastAt) {
      out.push(`<text class="time" x="${TIME_W - 12}" y="${mid + 4}" text-anchor="end">${esc(formatMs(r.event.at))}</text>`);
      out.push(`<line class="tick" x1="${TIME_W - 10}" y1="${mid}" x2="${TIME_W - 2}" y2="${mid}"/>`);
      lastAt = r.event.at;
    }
    if (r.violation) out.push(`<text class="flag" x="6" y="${mid + 4}">!</text>`);
    if (r.shape === 'gap') {
      out.push(`<line class="gap" x1="${TIME_W}" y1="${mid}" x2="${width - 8}" y2="${mid}"/>`);
      const label = clip(r.label, 60);
      const cx = TIME_W + (width - TIME_W) / 2;
      out.push(`<rect class="gap-label-bg" x="${cx - label.length * 3.3 - 8}" y="${mid - 9}" width="${label.length * 6.6 + 16}" height="18" rx="9"/>`);
      out.push(`<text class="gap-label" x="${cx}" y="${mid + 4}" text-anchor="middle">${esc(label)}</text>`);
    } else if (r.shape === 'note') {
      // A note is alone in its row, so it may spread over the neighbouring lanes.
      const text = lines[i];
      const w = Math.max(...text.map((l) => l.length)) * CHAR_W + 14;
      const left = Math.min(Math.max(laneX(r.from) - w / 2, TIME_W + 2), width - w - 4);
      out.push(`<rect class="note" x="${left}" y="${y + 4}" width="${w}" height="${ROW_H - 8 + LINE_H * (text.length - 1)}" rx="4"/>`);
      const spans = text.map((l, k) => `<tspan x="${left + w / 2}" dy="${k ? LINE_H : 0}">${esc(l)}</tspan>`).join('');
      out.push(`<text class="note-text" x="${left + w / 2}" y="${mid + 4}" text-anchor="middle">${spans}</text>`);
    } else {
      const x1 = laneX(r.from);
      let x2 = laneX(r.to);
      if (x1 === x2) x2 = x1 + LANE_W / 3;
      const dir = x2 > x1 ? 1 : -1;
      const end = r.lost ? (r.to === 'net' ? x2 : (x1 + x2) / 2) : x2 - dir * 3;
      out.push(
        `<line class="arrow${r.dashed ? ' dashed' : ''}" x1="${x1 + dir * 3}" y1="${mid + 5}" x2="${end}" y2="${mid + 5}"${r.lost ? '' : ` marker-end="url(#${esc(id)}-arrow)"`}/>`,
      );
      // A run of identical pings: the arrow drawn as a stack of them.
      if (r.last) out.push(`<line class="stack" x1="${x1 + dir * 3}" y1="${mid + 8}" x2="${end - dir * 4}" y2="${mid + 8}"/>`);
      if (r.lost) out.push(`<path class="cross" d="M${end - 5},${mid} l10,10 M${end + 5},${mid} l-10,10"/>`);
      const span = Math.abs(x2 - x1);
      const label = clip(r.label, Math.max(18, Math.floor(span / 6.1)));
      out.push(`<text class="arrow-label" x="${(x1 + (r.lost ? end : x2)) / 2}" y="${mid - 1}" text-anchor="middle">${esc(label)}</text>`);
    }
    out.push(`</g>`);
  });
  if (truncated) {
    const y = bottom + ROW_H / 2 + 4;
    out.push(`<text class="truncated" x="${TIME_W + 8}" y="${y}">… ${truncated} later event${truncated === 1 ? '' : 's'} not drawn</text>`);
  }
  out.push(`</svg>`);
  return { svg: out.join(''), width, lanes, rows: rows.length, collapsed: rows.filter((r) => r.last).length, truncated };
}
