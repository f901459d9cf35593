#!/usr/bin/env node
/** dcomkit's command line: run, replay, certify, verify, diff, merge, rules, adapters, mutate, setup. */
import { killAll } from '../adapters/process';
import { KIT_VERSION } from '../runner';
import { isAdapterFault } from '../spec';
import { AdapterStartError } from './adapter';
import { adaptersCommand } from './commands/adapters';
import { mutateCommand } from './commands/mutate';
import { certifyCommand } from './commands/certify';
import { diffCommand } from './commands/diff';
import { mergeCommand } from './commands/merge';
import { verifyCommand } from './commands/verify';
import { replayCommand } from './commands/replay';
import { rulesCommand } from './commands/rules';
import { runCommand } from './commands/run';
import { setupCommand } from './commands/setup';
import { EXIT, UsageError } from './errors';
import { installInterrupts } from './interrupt';
import { isWorker, supervise } from './supervisor';

/** Commands that run adapters: they run in a supervised child (cli/supervisor.ts). */
const SUPERVISED = new Set(['run', 'replay', 'certify', 'verify', 'mutate']);

const HELP = `dcomkit ${KIT_VERSION}: property-based fuzzing and conformance for DCOM implementations

Usage: dcomkit <command> [options]

Commands:
  run        generate runs against an adapter, judge them, shrink failures
  replay     re-execute a saved counterexample
  certify    certify an adapter: certificate.json, report.html, junit.xml
  verify     re-check a certificate: hash, seeds and counterexamples reproduce
  diff       which rules got worse, which were fixed, between two certificates
  merge      combine shard certificates (certify --shard i/n) into one
  rules      list the rule catalogue
  adapters   list the built-in adapters
  mutate     run the suite against every single-fault mutant of the reference world
  setup      prepare this machine for an adapter: wine, impacket, chromium, python3

'dcomkit <command> --help' describes each command's options.`;

const COMMANDS: Record<string, (args: string[]) => number | Promise<number>> = {
  run: runCommand,
  replay: replayCommand,
  certify: certifyCommand,
  verify: verifyCommand,
  diff: diffCommand,
  merge: mergeCommand,
  rules: rulesCommand,
  adapters: adaptersCommand,
  mutate: mutateCommand,
  setup: setupCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === '--version' || command === '-v') {
    console.log(KIT_VERSION);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
  return handler(rest);
}

function fatal(err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`dcomkit: ${err.message}`);
    return EXIT.usage;
  }
  // An adapter that could not be loaded, started or used, or that failed outside a run: its
  // own words, on one line plus its stderr, never a stack trace.
  if (isAdapterFault(err) || err instanceof AdapterStartError || (err as Error)?.name === 'WineNotSetUpError') {
    console.error(`dcomkit: adapter error: ${(err as Error).message}`);
    return EXIT.usage;
  }
  const e = err as Error;
  console.error(`dcomkit: internal error (a bug in dcomkit; please report it): ${e?.stack ?? String(err)}`);
  return EXIT.usage;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (SUPERVISED.has(argv[0] ?? '') && !isWorker()) {
    supervise(__filename, argv);
  } else {
    installInterrupts();
    main(argv)
      .catch(fatal)
      .then((code) => {
        killAll();
        // Exit now rather than when the event loop drains: an adapter may leave a socket or a
        // timer behind, and the kit must not outlive its work.
        process.exit(code);
      });
  }
}
