#!/usr/bin/env node
/**
 * Captures what Debian's impacket puts on the wire against the emulator, for the byte
 * fixtures of test/wire (test/wire/impacket-capture.json). Needs `npm run build` and
 * scripts/setup-impacket.sh. Two conversations:
 *  - client1: the impacket adapter's own program at impacket's defaults (PKT_PRIVACY for
 *    activation and pings, the authentication hint for objects): activate, call,
 *    QueryInterface IUnknown, release, two pings, DCOMConnection.disconnect;
 *  - client2: impacket's IActivation::RemoteActivation (the older activation interface) at
 *    PKT_INTEGRITY, the path whose ORPCTHIS carries an extensions array.
 * Every PDU is recorded as sent, with the client port that tells connections apart.
 *
 *   node scripts/capture-impacket-fixtures.js > test/wire/impacket-capture.json
 */
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const path = require('node:path');
const root = path.join(__dirname, '..');
const { ImpacketAdapter } = require(path.join(root, 'dist/adapters/impacket/adapter.js'));
const { impacketSetup, PYTHON } = require(path.join(root, 'dist/adapters/impacket/setup.js'));
const { EMULATOR_NT_HASH } = require(path.join(root, 'dist/adapters/wire/server.js'));
const { defaultWorld } = require(path.join(root, 'dist/spec/world.js'));

const REMOTE_ACTIVATION = `
import sys
from impacket.dcerpc.v5 import transport, dcomrt
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_INTEGRITY
from impacket.uuid import string_to_bin, uuidtup_to_bin
port, nthash = int(sys.argv[1]), sys.argv[2]
t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
t.set_credentials('dcomkit', '', 'WORKGROUP', '', nthash)
dce = t.get_dce_rpc()
dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
dce.connect()
iface = dcomrt.IActivation(dce).RemoteActivation(string_to_bin('d0c0f00d-5e57-4a11-9000-00000000c1a5'), uuidtup_to_bin(('d0c0f00d-5e57-4a11-9000-00000000c0de', '0.0')))
print(iface.get_iPid().hex())
`;

async function main() {
  const setup = impacketSetup();
  if ('problem' in setup) throw new Error(setup.problem);
  const frames = [];
  const tap = (dir, role, machine, pdu, conn) => frames.push({ machine, role, conn, dir, hex: pdu.toString('hex') });
  const a = new ImpacketAdapter({ version: setup.version, tap, spares: 1 });
  try {
    await a.reset(1, defaultWorld());
    const steps = [
      { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true },
      { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'remote', serverInfo: true, authInfo: null },
      { kind: 'call', handle: 'h1' },
      { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'IUnknown' },
      { kind: 'release', handle: 'h2' },
      { kind: 'advance', ms: 120_000 },
      { kind: 'advance', ms: 120_000 },
      { kind: 'exit', process: 'p1' },
    ];
    const events = [];
    for (const s of steps) events.push(...(s.kind === 'advance' ? await a.advance(s.ms) : await a.apply(s)));
    // Asynchronously: the emulator answers from this process's event loop.
    await promisify(execFile)(PYTHON, ['-c', REMOTE_ACTIVATION, String(a.wire.port('scm', 'client2')), EMULATOR_NT_HASH.toString('hex')], { timeout: 30_000 });
    process.stdout.write(JSON.stringify({ impacket: setup.version, events: events.map((e) => `${e.kind} ${e.at}`), frames }, null, 1) + '\n');
  } finally {
    await a.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
