#!/usr/bin/env node
// bench/web_ui_watch.mjs — for bench/web_ui.sh: opens outbreak's web UI in headless
// Chromium (Debian's, through tests/browser's playwright-core), presses Start (the form
// is filled with `outbreak run`'s flags) and watches the Charts tab as a user would (the
// page polls the state, the series and the logs every second and redraws its charts)
// until the status is stopped; prints the number of chart points it drew. The browser
// starts before the test, so its start-up (about 3 CPU seconds) is not in the run.
//   node bench/web_ui_watch.mjs BASE_URL [CHROMIUM]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../tests/browser/package.json'));
const { chromium } = require('playwright-core');
const [base, exe = '/usr/bin/chromium'] = process.argv.slice(2);
if (!base) { console.error('usage: web_ui_watch.mjs BASE_URL [CHROMIUM]'); process.exit(2); }
const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
await page.goto(base);
await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });
await page.click('button[data-tab="charts"]');
await page.waitForTimeout(1000);
await page.click('#start-button');
const end = Date.now() + 120000;
while (Date.now() < end && ((await page.textContent('#status')) || '').trim().toLowerCase() !== 'stopped')
    await page.waitForTimeout(2000);
const points = await page.getAttribute('div[data-chart="rps"]', 'data-points');
await browser.close();
console.log(`web_ui_watch: ${points} points drawn, ${errors.length} console errors`);
process.exit(errors.length ? 1 : 0);
