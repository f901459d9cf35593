/**
 * Makes sure the Wine adapter can run before a Wine test starts: runs scripts/setup-wine.sh
 * when the set-up is missing, and fails loudly (never skips) when Wine cannot be set up.
 */
import { spawnSync } from 'node:child_process';
import { WINE_SETUP_SCRIPT, wineSetupProblem } from '../../adapters/wine';

let checked: string | undefined | null = null;

export function ensureWine(): void {
  if (checked === null) {
    let problem = wineSetupProblem();
    if (problem) {
      const r = spawnSync('bash', [WINE_SETUP_SCRIPT], { encoding: 'utf8', timeout: 15 * 60_000 });
      problem = wineSetupProblem();
      if (problem) {
        const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
        problem = `${problem}\nscripts/setup-wine.sh ended with status ${r.status ?? r.signal}:\n${tail}`;
      }
    }
    checked = problem;
  }
  if (checked) {
    throw new Error(`\n\n*** WINE IS NOT AVAILABLE: the Wine adapter tests cannot run and FAIL. ***\n${checked}\n`);
  }
}
