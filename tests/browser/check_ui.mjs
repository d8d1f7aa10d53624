#!/usr/bin/env node
// tests/browser/check_ui.mjs — drives outbreak's live web UI (outbreak web / outbreak run
// without --headless) in real headless Chromium (Debian's, through playwright-core), as a
// user would, and checks what it shows. Two phases:
//
//   node check_ui.mjs run  --base URL --broker URL --compare URL,URL --out DIR [--login U:P]
//     opens the UI; starts a test from the form (the first broker), watches the charts'
//     series grow, edits the users while it runs and sees the new count, stops it,
//     checks the statistics row, downloads the stats CSV and checks it against the row;
//     then New test, a comparison of the --compare brokers: both series side by side
//     and both rows at the end.
//   node check_ui.mjs dash --base URL --expect FILE --sink-pid PID --out DIR [--login U:P]
//     the data dashboard's figures equal FILE (what the test aggregated itself over
//     MongoDB: mongo_tool.py dash), and the monitor lists the sink's process and the
//     RAM chart grows.
//
// --spki HASH: the UI is served over HTTPS with a certificate of a private CA; Chromium
// trusts that one key (--ignore-certificate-errors-spki-list, the base64 SHA-256 of the
// certificate's public key), nothing else.
//
// Both: zero console errors, zero page errors and zero requests to any other origin
// (such requests are aborted and counted), screenshots of every tab in DIR. Prints one
// "check_ui: ok: ..." line per check and "check_ui: FAIL ..." per problem; exit 0 when
// all passed, 1 otherwise, 2 on bad arguments.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = 'usage: check_ui.mjs run|dash --base URL --out DIR [--broker URL --compare URL,URL] ' +
    '[--expect FILE --sink-pid PID] [--login USER:PASS] [--spki HASH] [--chromium PATH]';

function usage(msg) {
    console.error(`check_ui: ${msg} (${USAGE})`);
    process.exit(2);
}

const argv = process.argv.slice(2);
const phase = argv.shift();
if (phase !== 'run' && phase !== 'dash') usage('the first argument is run or dash');
const o = { chromium: process.env.OB_CHROMIUM || '/usr/bin/chromium' };
for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || i + 1 >= argv.length) usage(`bad argument ${a}`);
    o[a.slice(2).replace(/-/g, '_')] = argv[++i];
}
for (const k of ['base', 'out']) if (!o[k]) usage(`--${k} is required`);
if (phase === 'run' && (!o.broker || !o.compare)) usage('run needs --broker and --compare');
if (phase === 'dash' && (!o.expect || !o.sink_pid)) usage('dash needs --expect and --sink-pid');
mkdirSync(o.out, { recursive: true });

const origin = new URL(o.base).origin;
let failed = 0;
const ok = (msg) => console.log(`check_ui: ok: ${msg}`);
const fail = (msg) => { failed++; console.log(`check_ui: FAIL ${msg}`); };
const check = (what, cond, detail = '') => (cond ? ok(what) : fail(`${what}${detail ? ': ' + detail : ''}`));

const { chromium } = await import('playwright-core');
const launchArgs = ['--no-sandbox'];
if (o.spki) launchArgs.push(`--ignore-certificate-errors-spki-list=${o.spki}`);
const browser = await chromium.launch({ executablePath: o.chromium, args: launchArgs });
const ctxOpts = { acceptDownloads: true, viewport: { width: 1500, height: 1000 } };
if (o.login) {
    const [username, ...rest] = o.login.split(':');
    ctxOpts.httpCredentials = { username, password: rest.join(':') };
}
const context = await browser.newContext(ctxOpts);
const page = await context.newPage();
const consoleErrors = [];
const foreign = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin && !/^(data|blob|about):/.test(url)) {
        foreign.push(url);
        return route.abort();
    }
    return route.continue();
});

const text = async (sel) => ((await page.textContent(sel)) || '').trim();
const attr = (sel, name) => page.getAttribute(sel, name);
async function until(what, fn, seconds) {
    const end = Date.now() + seconds * 1000;
    let last;
    while (Date.now() < end) {
        try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
        await page.waitForTimeout(250);
    }
    fail(`${what} (not within ${seconds} s; last: ${JSON.stringify(last)})`);
    return null;
}
const shot = (name) => page.screenshot({ path: join(o.out, `${name}.png`), fullPage: true });
const tab = async (name) => { await page.click(`button[data-tab="${name}"]`); await page.waitForTimeout(300); };
const num = (s) => Number(String(s).replace(/[^0-9.\-]/g, ''));

async function startTest(fields) {
    await page.fill('form#start-form [name="broker"]', fields.broker);
    for (const k of ['users', 'spawn_rate', 'rate', 'run_time', 'wait', 'record_size'])
        await page.fill(`form#start-form [name="${k}"]`, fields[k] ?? '');
    await page.click('#start-button');
}

try {
    await page.goto(o.base, { waitUntil: 'load' });
    check('the page is ready', await until('body[data-ready="1"]',
        () => page.$('body[data-ready="1"]'), 10) !== null);

    if (phase === 'run') {
        check('status ready before a test', (await text('#status')).toLowerCase() === 'ready',
            await text('#status'));
        const prefilled = await page.inputValue('form#start-form [name="broker"]');
        check('the start form is pre-filled with the broker', prefilled.includes(o.broker), prefilled);
        await shot('ui-start-form');
        await startTest({ broker: o.broker, users: '3', spawn_rate: '10', wait: '0.05-0.1', run_time: '12s' });
        await until('status running', async () => (await text('#status')).toLowerCase() === 'running', 10);
        ok('a JetStream test started from the form');
        await tab('charts');
        const first = await until('the records/s chart has 2 points',
            async () => { const n = num(await attr('div[data-chart="rps"]', 'data-points')); return n >= 2 && n; }, 15);
        const grown = await until('the records/s chart grows',
            async () => { const n = num(await attr('div[data-chart="rps"]', 'data-points')); return n > first && n; }, 10);
        check(`charts' series grow (${first} -> ${grown} points)`, grown > first);
        for (const c of ['latency', 'users'])
            check(`chart ${c} plots the middleware`, ((await attr(`div[data-chart="${c}"]`, 'data-series')) || '').includes('nats'));
        await shot('ui-charts');
        await page.click('#edit-button');
        await page.fill('form#edit-form [name="users"]', '9');
        await page.fill('form#edit-form [name="spawn_rate"]', '50');
        await page.click('#edit-submit');
        const users = await until('users 9 in the top bar after the edit',
            async () => num(await text('#users')) === 9, 10);
        check('the edit took: 9 users shown', users === true);
        await page.click('#stop-button');
        await until('status stopped', async () => (await text('#status')).toLowerCase() === 'stopped', 60);
        await tab('stats');
        const row = 'table#stats tbody tr[data-middleware="nats"]';
        const cell = async (col) => text(`${row} td[data-col="${col}"]`);
        const requests = num(await cell('requests'));
        check(`statistics: requests ${requests} > 0, fails ${await cell('fails')}`, requests > 0 && num(await cell('fails')) === 0);
        check(`statistics: acked ${await cell('acked')} and persisted ${await cell('persisted')} equal the requests`,
            num(await cell('acked')) === requests && num(await cell('persisted')) === requests);
        check(`statistics: lost ${await cell('lost')}`, (await cell('lost')) === '0');
        await shot('ui-statistics');
        await tab('download');
        const link = await until('the stats CSV link', () => page.$('#downloads a[href$="nats_stats.csv"]'), 10);
        if (link) {
            const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
            const path = join(o.out, 'downloaded_stats.csv');
            await download.saveAs(path);
            const lines = readFileSync(path, 'utf8').trim().split('\n');
            check('the CSV has Locust\'s header', lines[0].startsWith('Type,Name,Request Count,Failure Count'), lines[0]);
            const cells = lines[1].split(',');
            check(`the CSV's request count (${cells[2]}) is the table's (${requests})`, num(cells[2]) === requests);
        }
        await shot('ui-download');
        await tab('logs');
        check('logs: the edit is in the log', (await text('#logs')).includes('edited: 9 users'));

        // a comparison
        await page.click('#new-button');
        await until('status ready after New test', async () => (await text('#status')).toLowerCase() === 'ready', 10);
        const [a, b] = o.compare.split(',');
        await startTest({ broker: `${a}\n${b}`, rate: '100', run_time: '3s', record_size: '1024' });
        await tab('charts');
        const both = await until('the charts show both middlewares side by side',
            async () => ((await attr('div[data-chart="rps"]', 'data-series')) || '').split(',').length >= 2, 40);
        check('comparison: two series in the records/s chart', both === true);
        await until('comparison: stopped', async () => (await text('#status')).toLowerCase() === 'stopped', 90);
        await shot('ui-comparison-charts');
        await tab('stats');
        const rows = await page.$$eval('table#stats tbody tr[data-middleware]', (trs) => trs.map((t) => t.dataset.middleware));
        check(`comparison: a row per middleware (${rows.join(', ')})`, rows.length === 2);
        for (const m of rows) {
            const size = num(await text(`table#stats tbody tr[data-middleware="${m}"] td[data-col="size"]`));
            check(`comparison: ${m}'s records padded to the form's 1024 bytes (average size ${size})`,
                size >= 1016 && size <= 1024);
        }
        await shot('ui-comparison-statistics');
        await tab('download');
        check('comparison: the report is offered', (await page.$('#downloads a[href$="report.html"]')) !== null);
    } else {
        const want = JSON.parse(readFileSync(o.expect, 'utf8'));
        await tab('dashboard');
        await page.selectOption('select#dash-way', 'all');
        const total = await until(`the dashboard's total is ${want.records}`,
            async () => num(await text('[data-dash="total"]')) === want.records, 20);
        check(`dashboard: total ${want.records} records`, total === true);
        const shown = async (view) => Object.fromEntries(await page.$$eval(`[data-dash="${view}"] [data-key][data-count]`,
            (els) => els.map((e) => [e.dataset.key, Number(e.dataset.count)])));
        for (const [view, key] of [['state', 'state'], ['infectedtype', 'infectedtype'], ['ages', 'age']]) {
            const got = await shown(view);
            const diff = Object.keys({ ...got, ...want[key] }).filter((k) => (got[k] || 0) !== (want[key][k] || 0));
            check(`dashboard: ${view} equals MongoDB's (${Object.keys(want[key]).length} keys)`, diff.length === 0,
                diff.map((k) => `${k}: shown ${got[k]}, MongoDB ${want[key][k]}`).join('; '));
        }
        const top5 = await shown('top5');
        const order = Object.entries(want.location).sort((x, y) => y[1] - x[1]);
        const fifth = order.length >= 5 ? order[4][1] : 0;
        const topOk = Object.keys(top5).length === Math.min(5, order.length) &&
            Object.entries(top5).every(([k, n]) => want.location[k] === n && n >= fifth);
        check(`dashboard: the top 5 departments are MongoDB's (${Object.entries(top5).map(([k, n]) => `${k} ${n}`).join(', ')})`, topOk);
        const records = await page.$$('table#dash-records tbody tr');
        check(`dashboard: the records table has rows (${records.length})`, records.length > 0);
        const last5 = await page.$$('[data-dash="last5"] tbody tr');
        check(`dashboard: the last 5 cases (${last5.length})`, last5.length === Math.min(5, want.records));
        await shot('ui-dashboard');
        await tab('monitor');
        await page.fill('input#process-filter', 'outbreak');
        const sink = await until(`the monitor lists the sink (pid ${o.sink_pid})`,
            () => page.$(`table#processes tbody tr[data-pid="${o.sink_pid}"]`), 15);
        check('monitor: the sink\'s process is listed', sink !== null);
        const used = num(await attr('[data-monitor="ram"]', 'data-used-percent'));
        check(`monitor: RAM used ${used} %`, used > 0 && used < 100);
        const ram = await until('the RAM chart has 3 points',
            async () => num(await attr('div[data-chart="ram"]', 'data-points')) >= 3, 15);
        check('monitor: the RAM chart grows', ram === true);
        await shot('ui-monitor');
    }
} catch (e) {
    fail(`exception: ${e.message.split('\n')[0]}`);
    await shot(`ui-${phase}-failure`).catch(() => {});
}
check(`zero console errors${consoleErrors.length ? ': ' + consoleErrors.slice(0, 3).join(' | ') : ''}`, consoleErrors.length === 0);
check(`zero requests to other origins${foreign.length ? ': ' + foreign.slice(0, 3).join(' ') : ''}`, foreign.length === 0);
await browser.close();
console.log(`check_ui: ${phase}: ${failed === 0 ? 'OK' : failed + ' failed'}`);
process.exit(failed === 0 ? 0 : 1);
