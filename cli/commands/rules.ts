import { RULES } from '../../spec';
import { parse } from '../args';
import { EXIT } from '../errors';

export const RULES_HELP = `Usage: dcomkit rules [--json]

Lists the rule catalogue: id, sources, profiles and what each rule requires.`;

export function rulesCommand(args: string[]): number {
  const { values } = parse(args, { json: { type: 'boolean' } } as const, 'rules');
  if (values.help) {
    console.log(RULES_HELP);
    return EXIT.ok;
  }
  if (values.json) {
    console.log(JSON.stringify(RULES, null, 2));
    return EXIT.ok;
  }
  for (const r of RULES) {
    console.log(`${r.id}${r.informational ? ' (informational)' : ''}  [${r.sources.join('; ')}]  profiles: ${r.profiles.join(', ')}`);
    console.log(`  ${r.statement}`);
  }
  return EXIT.ok;
}
