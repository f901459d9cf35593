import * as net from 'node:net';
import { decodePdu } from '../../adapters/wire/pdu';
import { WireServer } from '../../adapters/wire/server';
import { bytes, CAPTURED } from './fixtures';

/** Sends node-dcom's captured bind to the scm listener; resolves with what comes back within `ms`. */
async function bindAndListen(server: WireServer, ms: number, socket: net.Socket): Promise<Buffer> {
  const port = Number(/\[(\d+)\]/.exec(server.scmAddress('client1'))![1]);
  await new Promise<void>((r) => socket.connect(port, '127.0.0.1', r));
  const got: Buffer[] = [];
  socket.on('data', (b) => got.push(b));
  socket.write(bytes(CAPTURED.bindScm));
  await new Promise((r) => setTimeout(r, ms));
  return Buffer.concat(got);
}

describe('wire server outbox', () => {
  test('without it an answer is written at once; with it, it waits for sendNext, then goes out whole', async () => {
    for (const outbox of [false, true]) {
      const server = await WireServer.start({ now: () => 0, emit: () => undefined, outbox });
      const socket = new net.Socket();
      try {
        const early = await bindAndListen(server, 200, socket);
        if (!outbox) {
          expect(decodePdu(early).type).toBe('bind_ack');
          continue;
        }
        expect(early.length).toBe(0);
        expect(server.queued).toBe(1);
        const late = new Promise<Buffer>((r) => socket.once('data', r));
        expect(server.sendNext()).toBe(true);
        expect(decodePdu(await late).type).toBe('bind_ack');
        expect(server.queued).toBe(0);
        expect(server.sendNext()).toBe(false);
      } finally {
        socket.destroy();
        await server.close();
      }
    }
  });
});

describe('wire server crash', () => {
  test('a connection whose client already closed its side is forgotten too, not left in flows() for good', async () => {
    const server = await WireServer.start({ now: () => 0, emit: () => undefined, outbox: true });
    const client = new net.Socket();
    client.on('error', () => undefined);
    try {
      const port = Number(/\[(\d+)\]/.exec(server.scmAddress('client1'))![1]);
      await new Promise<void>((r) => client.connect(port, '127.0.0.1', r));
      // The adapter reads flows() while the connection lives (which also caches its port).
      for (let i = 0; i < 200 && server.flows().size === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(server.flows().size).toBe(1);
      // The server's end of it, to catch the moment the client's FIN is read.
      const [accepted] = (server as unknown as { sockets: Set<net.Socket> }).sockets;
      // A client process killed just before the server crashes: its FIN arrives, Node starts
      // ending the server's side (next tick), and the crash lands while that shutdown is under way.
      const crashed = new Promise<void>((resolve) =>
        accepted.once('end', () => process.nextTick(() => process.nextTick(() => (server.crash(), resolve())))),
      );
      client.end();
      await crashed;
      for (let i = 0; i < 100 && server.flows().size > 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect([...server.flows().keys()]).toEqual([]);
    } finally {
      client.destroy();
      // Bounded: with the bug the leaked connection keeps the listener from ever closing.
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  });
});
