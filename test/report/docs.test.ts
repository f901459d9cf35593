/**
 * The README cannot drift from what the kit does: its sample output of `dcomkit run` is the
 * output of a real run of the command it shows (wall-clock figures aside), and the replay
 * command under it names the file that run writes.
 *
 * Its rule table is `dcomkit rules --markdown`, whose statements carry the time bounds the
 * oracles judge by (spec/constants.ts), never "promptly".
 *
 * After a change to what the commands print, regenerate the README's blocks with
 *   DCOMKIT_UPDATE_DOCS=1 npx jest test/report/docs
 * and read the diff before committing it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_PROMPT_MS, CALL_TIMEOUT_MS, PING_PERIOD_MS, PING_SET_TIMEOUT_MS, RELEASE_PROMPT_MS, RULES, RUNDOWN_SLACK_MS, UDP_UNREACHABLE_FAILURE_MS, type RuleId } from '../../spec';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const README = join(ROOT, 'README.md');
const UPDATE = process.env.DCOMKIT_UPDATE_DOCS === '1';

function dcomkit(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Where the README's `<!-- name ... -->` ... `<!-- /name -->` block holds its fenced text. */
function span(readme: string, name: string): { from: number; to: number } {
  const start = readme.indexOf(`<!-- ${name}`);
  const to = readme.indexOf(`<!-- /${name} -->`);
  if (start < 0 || to < 0) throw new Error(`README.md has no <!-- ${name} --> block`);
  return { from: readme.indexOf('-->', start) + 3, to };
}

/** The block's text, without its code fence. */
function block(readme: string, name: string): string {
  const { from, to } = span(readme, name);
  return readme.slice(from, to).trim().replace(/^```\w*\n/, '').replace(/\n```$/, '');
}

function withBlock(readme: string, name: string, text: string, fenced = true): string {
  const { from, to } = span(readme, name);
  return `${readme.slice(0, from)}\n${fenced ? `\`\`\`\n${text}\n\`\`\`` : text}\n${readme.slice(to)}`;
}

/** The README's `npx dcomkit ...` line that contains `marker`, as arguments. */
function commandLine(readme: string, marker: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith('npx dcomkit ') && l.includes(marker));
  if (!line) throw new Error(`README.md shows no 'npx dcomkit' command with ${marker}`);
  return line.replace(/#.*$/, '').trim().split(/\s+/).slice(2);
}

/** Wall-clock figures differ from run to run; everything else must not. */
function timeless(text: string): string {
  return text.replace(/shrunk( from \d+)? in [\d.]+s/g, 'shrunk$1 in #s').replace(/actions in [\d.]+s \(\d+ actions\/s\)/g, 'actions in #s (# actions/s)');
}

/** The verdicts and the first counterexample in full, then `...` and the closing summary. */
function sampleOf(output: string): string {
  const lines = output.trimEnd().split('\n');
  const firstGap = lines.indexOf('');
  const secondGap = lines.indexOf('', firstGap + 1);
  return [...lines.slice(0, secondGap), '', '...', '', lines[lines.length - 1]].join('\n');
}

describe('README', () => {
  test('the sample output of dcomkit run is what the command above it prints, and the replay file it names exists', () => {
    let readme = readFileSync(README, 'utf8');
    const args = commandLine(readme, '--adapter nt4-sp5');
    expect(args).toEqual(expect.arrayContaining(['run', '--seed']));
    const cwd = mkdtempSync(join(tmpdir(), 'dcomkit-readme-'));
    const run = dcomkit(args, cwd);
    expect(run.err).toBe('');
    expect(run.code).toBe(1);
    const sample = sampleOf(run.out);
    if (UPDATE) {
      readme = withBlock(readme, 'run-sample', sample);
      writeFileSync(README, readme);
    }
    expect(timeless(block(readme, 'run-sample'))).toBe(timeless(sample));

    // The replay command the README shows works after the run command it shows.
    const replay = commandLine(readme, 'replay');
    expect(existsSync(join(cwd, replay[1]))).toBe(true);
    expect(run.out).toContain(`replay: npx dcomkit replay ${replay[1]}`);
    const again = dcomkit(replay, cwd);
    expect(again.out).toMatch(/recorded FAILED \(\d+ actions?, minimal: [^)]*\); reproduced; trace identical to the recorded one/);
    expect(again.code).toBe(1);
  });

  test("the rule table is what 'dcomkit rules' says, and the statements carry the bounds the oracles judge by", () => {
    let readme = readFileSync(README, 'utf8');
    const table = dcomkit(['rules', '--markdown'], ROOT);
    expect(table.code).toBe(0);
    if (UPDATE) {
      readme = withBlock(readme, 'rules-table', table.out.trimEnd(), false);
      writeFileSync(README, readme);
    }
    expect(block(readme, 'rules-table')).toBe(table.out.trimEnd());
    const listed = dcomkit(['rules'], ROOT).out;
    for (const r of RULES) expect(listed).toContain(`  ${r.statement}\n`);

    const s = (ms: number) => `${ms / 1000} s`;
    const bounds: Record<RuleId, number[]> = {
      'PING-TERMINATION': [PING_PERIOD_MS],
      'NO-EARLY-RUNDOWN': [PING_SET_TIMEOUT_MS],
      'EVENTUAL-RUNDOWN': [PING_SET_TIMEOUT_MS, RUNDOWN_SLACK_MS],
      'RELEASE-RECLAIM': [RELEASE_PROMPT_MS],
      'CALLBACK-MARSHALLING': [CALL_TIMEOUT_MS],
      'CALL-AFTER-RECLAIM': [CALL_TIMEOUT_MS],
      'PING-SEQUENCE': [PING_PERIOD_MS],
      'PROCESS-EXIT': [EXIT_PROMPT_MS],
      'UNREACHABLE-CALL': [UDP_UNREACHABLE_FAILURE_MS],
    };
    for (const r of RULES) {
      expect([r.id, r.statement]).not.toEqual([r.id, expect.stringMatching(/promptly|quickly|soon/)]);
      for (const ms of bounds[r.id]) expect([r.id, r.statement]).toEqual([r.id, expect.stringMatching(new RegExp(`\\b${s(ms)}\\b`))]);
      // Any other number of seconds in a statement is a bound the test does not know of.
      const said = [...r.statement.matchAll(/(\d+(?:\.\d+)?) s\b/g)].map((m) => Number(m[1]) * 1000);
      expect([r.id, said.filter((ms) => !bounds[r.id].includes(ms))]).toEqual([r.id, []]);
    }
  });
});
