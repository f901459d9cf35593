/**
 * The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core
 * (scripts/install-chromium.sh installs it). Asserts that the verdict matrix and the sequence
 * diagrams render, and keeps screenshots in test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { renderHtml } from '../../report';
import { RULES } from '../../spec';
import { certify } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('HTML report in chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-chromium.sh`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  test('the verdict matrix and the sequence diagrams render, with no request leaving the page', async () => {
    const cert = await certify('nt4-sp5', 150, 2);
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml([cert]));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);

    expect(await page.locator('#verdict-matrix tbody tr').count()).toBe(RULES.length);
    expect(await page.locator('#verdict-matrix td.cell').count()).toBe(2 * RULES.length);
    const failedCell = page.locator('#verdict-matrix tr[data-rule="PING-TERMINATION"] td.cell').first();
    expect(await failedCell.isVisible()).toBe(true);
    expect(await failedCell.getAttribute('data-verdict')).toBe('FAILED');
    // No DOM types in this project's lib: the page function reaches the window through globalThis.
    const background = await failedCell.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle((el as unknown as { querySelector(s: string): unknown }).querySelector('a')).backgroundColor);
    expect(background).toBe('rgb(255, 235, 233)');

    const diagrams = page.locator('svg.seq');
    expect(await diagrams.count()).toBeGreaterThanOrEqual(3);
    const first = diagrams.first();
    await first.scrollIntoViewIfNeeded();
    const box = (await first.boundingBox())!;
    expect(box.width).toBeGreaterThan(600);
    expect(box.height).toBeGreaterThan(200);
    // Five visible lanes, each with a lifeline running down the diagram.
    const lanes = first.locator('g.lane');
    expect(await lanes.count()).toBe(5);
    for (let i = 0; i < 5; i++) {
      expect(await lanes.nth(i).isVisible()).toBe(true);
      const line = (await lanes.nth(i).locator('line.lifeline').boundingBox())!;
      expect(line.height).toBeGreaterThan(box.height / 2);
    }
    expect(await first.locator('g.lane text.lane-title').allTextContents()).toEqual(['client process p1', 'client1 resolver', 'network', 'server resolver', 'server object']);
    expect(await first.locator('g.row').count()).toBeGreaterThan(5);
    expect(await first.locator('g.row.violation').count()).toBeGreaterThanOrEqual(1);
    const arrow = (await first.locator('g.row-arrow line.arrow').first().boundingBox())!;
    expect(arrow.width).toBeGreaterThan(100);
    // The numbered action list sits beside the diagram.
    const article = page.locator('article.cx').first();
    const steps = (await article.locator('.cx-steps').boundingBox())!;
    expect(steps.x + steps.width).toBeLessThanOrEqual(box.x);
    expect(await article.locator('.cx-steps ol li').count()).toBe(cert.results[0].rules.find((t) => t.id === 'PING-TERMINATION')!.counterexample!.actions.length);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-top.png') });
    await article.screenshot({ path: join(ARTIFACTS, 'report-counterexample.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'report-full.png'), fullPage: true });
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.close();
  }, 30_000);
});
