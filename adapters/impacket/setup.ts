/**
 * Where the impacket adapter's pieces are, and whether this machine has them: Debian's
 * python3-impacket for /usr/bin/python3 (scripts/setup-impacket.sh installs it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KIT_ROOT } from '../../spec/kit';

export const IMPACKET_DRIVER = join(KIT_ROOT, 'adapters', 'impacket', 'driver.py');
export const IMPACKET_SETUP_SCRIPT = join(KIT_ROOT, 'scripts', 'setup-impacket.sh');
/** Debian's interpreter, which python3-impacket installs for (`python3` on PATH may be another). */
export const PYTHON = process.env.DCOMKIT_IMPACKET_PYTHON ?? '/usr/bin/python3';

export class ImpacketNotSetUpError extends Error {
  override name = 'ImpacketNotSetUpError';
}

let found: { version: string } | { problem: string } | undefined;

/** impacket's version as /usr/bin/python3 imports it, or why it cannot (checked once per process). */
export function impacketSetup(): { version: string } | { problem: string } {
  if (found) return found;
  const r = spawnSync(PYTHON, ['-c', 'import impacket.version, impacket.dcerpc.v5.dcomrt; print(impacket.version.version)'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0 && r.stdout.trim()) return (found = { version: r.stdout.trim() });
  const why = r.error ? `${PYTHON} cannot be run (${r.error.message})` : `${PYTHON} cannot import impacket`;
  return (found = { problem: `The impacket adapter is not set up: ${why}. Run scripts/setup-impacket.sh (as root or with sudo: it installs Debian's python3-impacket with apt-get).` });
}
