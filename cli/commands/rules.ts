import { RULES } from '../../spec';
import { parse } from '../args';
import { EXIT } from '../errors';

export const RULES_HELP = `Usage: dcomkit rules [--json | --markdown]

Lists the rule catalogue: id, sources, profiles, and each rule's statement with the time
bounds it is judged by.

Options:
  --json                  the catalogue as JSON (with what each rule needs and observes)
  --markdown              the catalogue as the README's table
  -h, --help              this text`;

/** The README's rule table: id, statement, sources; README.md holds exactly this. */
export function rulesMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return ['| id | what correct DCOM does | source |', '|---|---|---|', ...RULES.map((r) => `| ${r.id} | ${cell(r.statement)} | ${cell(r.sources.join('; '))} |`)].join('\n');
}

export function rulesCommand(args: string[]): number {
  const { values } = parse(args, { json: { type: 'boolean' }, markdown: { type: 'boolean' } } as const, 'rules');
  if (values.help) {
    console.log(RULES_HELP);
    return EXIT.ok;
  }
  if (values.json) {
    console.log(JSON.stringify(RULES, null, 2));
    return EXIT.ok;
  }
  if (values.markdown) {
    console.log(rulesMarkdown());
    return EXIT.ok;
  }
  for (const r of RULES) {
    console.log(`${r.id}${r.informational ? ' (informational)' : ''}  [${r.sources.join('; ')}]  profiles: ${r.profiles.join(', ')}`);
    console.log(`  ${r.statement}`);
  }
  return EXIT.ok;
}
