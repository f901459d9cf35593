/**
 * The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core
 * (scripts/install-chromium.sh installs it). Asserts that the verdict matrix and the sequence
 * diagrams render, and keeps screenshots in test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { renderHtml } from '../../report';
import { RULES } from '../../spec';
import { loadCertificate } from '../../cli/commands/certify';
import { certify } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const CERTIFICATES = join(__dirname, '..', '..', 'certificates');
/** No DOM types in this project's lib: page functions reach the document through globalThis. */
interface Box { scrollWidth: number; clientWidth: number }
type Doc = { documentElement: Box; querySelectorAll(s: string): ArrayLike<Box & { className: string; id: string; closest(s: string): { id: string } | null }> };
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

  test('index.html (every committed certificate side by side) reads at 1400 px without sideways scrolling; every diagram shows all its lanes', async () => {
    // As scripts/certificates.sh builds it: the reference first, then the rest by name.
    const dirs = readdirSync(CERTIFICATES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const names = dirs.sort((a, b) => (a === 'reference' ? -1 : b === 'reference' ? 1 : a < b ? -1 : 1));
    expect(names.length).toBeGreaterThanOrEqual(6);
    const certs = names.map((n) => loadCertificate(join(CERTIFICATES, n, 'certificate.json')));
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-index-'));
    const file = join(dir, 'index.html');
    writeFileSync(file, renderHtml(certs));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`file://${file}`);

    // Neither the page nor any box inside it scrolls sideways.
    const widths = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: Doc }).document;
      const boxes = Array.from(doc.querySelectorAll('.matrix-wrap, figure.diagram, table, pre'));
      return { page: [doc.documentElement.scrollWidth, doc.documentElement.clientWidth], over: boxes.filter((b) => b.scrollWidth > b.clientWidth).map((b) => `${b.className} ${b.closest('[id]')?.id} ${b.scrollWidth}>${b.clientWidth}`) };
    });
    expect(widths.page[0]).toBeLessThanOrEqual(widths.page[1]);
    expect(widths.over).toEqual([]);

    // One column per certificate, its profiles inside the cell, all of it in view.
    const matrix = page.locator('#verdict-matrix');
    expect(await matrix.locator('thead th.adapter').allTextContents()).toEqual(certs.map((c) => `${c.adapter.name}${c.adapter.version}`));
    expect(await matrix.locator('tbody tr').count()).toBe(RULES.length);
    const box = (await matrix.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1400);
    for (const name of names) {
      const col = names.indexOf(name);
      const cell = matrix.locator('tr[data-rule="PING-TERMINATION"] td.cell').nth(col);
      const cert = certs[col];
      const verdicts = cert.results.map((r) => r.rules.find((t) => t.id === 'PING-TERMINATION')!.verdict);
      expect(await cell.locator('.pv').first().getAttribute('data-verdict')).toBe(verdicts[0]);
      expect(await cell.isVisible()).toBe(true);
      const c = (await cell.boundingBox())!;
      expect(c.x + c.width).toBeLessThanOrEqual(1400);
    }
    const split = matrix.locator('tr[data-rule="CALLBACK-MARSHALLING"] td.cell').nth(names.indexOf('nt4-sp5')).locator('.pv');
    expect(await split.evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(a: string): string }).getAttribute('data-profile') + ' ' + (e as unknown as { getAttribute(a: string): string }).getAttribute('data-verdict')))).toEqual(['strict FAILED', 'nt4 NON-STRICT']);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'index-top.png') });

    // Every lane of every diagram lies inside the viewport, drawn at its natural size.
    const diagrams = page.locator('svg.seq');
    expect(await diagrams.count()).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < (await diagrams.count()); i++) {
      const svg = diagrams.nth(i);
      await svg.scrollIntoViewIfNeeded();
      const b = (await svg.boundingBox())!;
      expect(b.width).toBeCloseTo(Number(await svg.getAttribute('width')), 0);
      const lanes = svg.locator('g.lane');
      for (let k = 0; k < (await lanes.count()); k++) {
        const lane = (await lanes.nth(k).boundingBox())!;
        expect(lane.x).toBeGreaterThanOrEqual(0);
        expect(lane.x + lane.width).toBeLessThanOrEqual(1400);
      }
    }
    // Wine's diagram (two client processes: six lanes) keeps its server lane in view.
    const wine = page.locator('article.cx[id^="cx-wine-"]').first();
    await wine.scrollIntoViewIfNeeded();
    const server = wine.locator('svg.seq g.lane-server-object');
    expect(await wine.locator('svg.seq g.lane').count()).toBeGreaterThanOrEqual(6);
    expect(await server.isVisible()).toBe(true);
    const s = (await server.boundingBox())!;
    expect(s.x + s.width).toBeLessThanOrEqual(1400);
    await wine.screenshot({ path: join(ARTIFACTS, 'index-wine-counterexample.png') });
    await page.close();
  }, 60_000);
});
