/**
 * dcomkit setup: runs the set-up scripts the package ships (scripts/setup.sh holds their one
 * list), so an installed kit can prepare Wine, Chromium or Python on the machine it runs on.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KIT_ROOT } from '../../spec/kit';
import { parse } from '../args';
import { EXIT, UsageError } from '../errors';

const SCRIPT = join(KIT_ROOT, 'scripts', 'setup.sh');

/** The steps scripts/setup.sh knows: name and what needs it. */
export function setupSteps(): { name: string; what: string }[] {
  const r = spawnSync('bash', [SCRIPT, '--list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${SCRIPT} --list failed: ${r.stderr || r.error?.message}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, what] = line.split('\t');
      return { name, what };
    });
}

function help(): string {
  const steps = setupSteps();
  const width = Math.max(...steps.map((s) => s.name.length)) + 2;
  return `Usage: dcomkit setup STEP... | --list

Prepares this machine for an adapter or for the kit's own tests, with the set-up scripts
the kit ships: ${SCRIPT}
Idempotent: a step already done costs a second or two. Steps that install Debian packages
need root or sudo.

Steps:
${steps.map((s) => `  ${s.name.padEnd(width)}${s.what}`).join('\n')}

Options:
  --list       the step names, one per line
  -h, --help   this text

Exit codes: 0 ready, 1 a step failed, 2 usage error.`;
}

export function setupCommand(args: string[]): number {
  const { values, positionals } = parse(args, { list: { type: 'boolean' } } as const, 'setup', Number.MAX_SAFE_INTEGER);
  if (values.help) {
    console.log(help());
    return EXIT.ok;
  }
  const steps = setupSteps();
  if (values.list) {
    for (const s of steps) console.log(s.name);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError(`setup needs a step: ${steps.map((s) => s.name).join(', ')} (see 'dcomkit setup --help')`);
  const unknown = positionals.find((p) => !steps.some((s) => s.name === p));
  if (unknown) throw new UsageError(`unknown set-up step '${unknown}' (steps: ${steps.map((s) => s.name).join(', ')})`);
  const r = spawnSync('bash', [SCRIPT, ...positionals], { stdio: 'inherit' });
  if (r.error) throw new Error(`could not run ${SCRIPT}: ${r.error.message}`);
  return r.status === 0 ? EXIT.ok : r.status === 2 ? EXIT.usage : EXIT.failed;
}
