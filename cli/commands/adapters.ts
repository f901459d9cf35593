import { BUILTIN_ADAPTERS } from '../../adapters';
import { parse } from '../args';
import { EXIT } from '../errors';

export const ADAPTERS_HELP = `Usage: dcomkit adapters

Lists the built-in adapters. Any other implementation plugs in with --adapter PATH (a JS
module) or --adapter-cmd "CMD" (a process speaking the JSON Lines protocol).`;

export function adaptersCommand(args: string[]): number {
  const { values } = parse(args, {}, 'adapters');
  if (values.help) {
    console.log(ADAPTERS_HELP);
    return EXIT.ok;
  }
  const width = Math.max(...BUILTIN_ADAPTERS.map((f) => f.name.length)) + 2;
  for (const f of BUILTIN_ADAPTERS) console.log(`${f.name.padEnd(width)}${f.summary}`);
  return EXIT.ok;
}
