import { ClientProcess } from '../../adapters/node-dcom/child-process';
import { WireServer } from '../../adapters/wire/server';
import { PING_PERIOD_MS, type AdapterEvent } from '../../spec';

/**
 * The client process on its own, against a server that answers at once: what recycling and a
 * crash leave of a node-dcom program. The adapter counts on both leaving nothing that could
 * ever act again.
 */
describe('node-dcom client process', () => {
  let server: WireServer;
  let client: ClientProcess;
  const events: AdapterEvent[] = [];
  let now = 0;

  beforeEach(async () => {
    events.length = 0;
    now = 0;
    server = await WireServer.start({ now: () => now, emit: (e) => events.push(e) });
    client = await ClientProcess.spawn({ socketTimeoutMs: 3000 });
    expect(await client.begin(0)).toBe(true);
    const done = await client.run({ op: 'activate', handle: 'h1', address: server.scmAddress('client1'), identity: 'alice' });
    expect(done).toMatchObject({ ok: true, hr: 0 });
  });
  afterEach(async () => {
    await client.kill();
    await server.close();
  });

  /** Moves the child's clock period by period, as the adapter would, and lets the network catch up. */
  async function pass(periods: number): Promise<void> {
    for (let k = 1; k <= periods; k++) {
      now += PING_PERIOD_MS;
      await client.tick(now);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const pings = () => events.filter((e) => e.kind === 'ping').length;

  test('a live program pings each period; recycled, it leaves no timer, socket or work, and never reaches the network again', async () => {
    await pass(2);
    expect(pings()).toBe(2);
    client.end(); // the program ends without destroySession: its ping timer stays
    const before = await client.state();
    expect(before!.due).not.toBeNull();
    expect(before!.flows.length).toBeGreaterThan(0);
    expect(await client.recycle()).toBe(true);
    const after = await client.state();
    expect(after).toMatchObject({ pending: 0, queued: 0, work: [], flows: [], due: null });
    await pass(4);
    expect(pings()).toBe(2);
    expect(server.flows().size).toBe(0);
  });

  test('a crash closes every connection at once and nothing of the program runs again', async () => {
    await pass(1);
    expect(pings()).toBe(1);
    expect(await client.crash()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.flows().size).toBe(0);
    expect((await client.state())!.due).toBeNull();
    await pass(4);
    expect(pings()).toBe(1);
    // The process itself lives on, ready to be recycled for another program.
    expect(client.exited).toBe(false);
    expect(await client.recycle()).toBe(true);
    const again = await client.run({ op: 'activate', handle: 'h2', address: server.scmAddress('client2'), identity: 'bob' });
    expect(again).toMatchObject({ ok: true, hr: 0 });
  });
});
