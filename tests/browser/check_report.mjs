#!/usr/bin/env node
// tests/browser/check_report.mjs — opens an HTML report of `outbreak compare` in real
// headless Chromium (Debian's, driven by playwright-core) and checks that it renders:
//
//   node tests/browser/check_report.mjs REPORT.html --expect nats,rabbitmq,kafka \
//        [--text TEXT]... [--screenshot OUT.png] [--chromium /usr/bin/chromium] [--timeout SECONDS]
//
// FAIL (exit 1, one line per problem) when the page logs a console error or throws, when
// it makes any request other than for the report file itself (data:, blob: and about:
// URLs aside: the report must be self-contained; such requests are aborted, nothing
// leaves the machine), when it does not set body[data-ready="1"] within the timeout
// (10 s), when #report-error has text, or when the DOM contract does not hold:
//   * every chart is an <svg data-chart="NAME">; each series in it is one element with
//     data-series="MIDDLEWARE";
//   * svg[data-chart="throughput"] and svg[data-chart="latency"] hold exactly one
//     [data-series="M"] per expected middleware M and none for any other;
//   * table#summary has exactly one tr[data-middleware="M"] per expected M, no other;
//   * the rendered page's text (document.body.innerText) holds every --text TEXT.
// The rows of table#thresholds (k6's thresholds, when the summaries have them) are
// printed as "thresholds: M EXPR VALUE RESULT; ...".
// Console warnings are printed, not counted. Exit 2 with one line on bad arguments.
// Chromium and playwright-core come from `bash scripts/deps browser`.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const USAGE = 'usage: check_report.mjs REPORT.html --expect M1,M2,... [--text TEXT]... [--screenshot OUT.png] ' +
    '[--chromium PATH] [--timeout SECONDS]';
const SERIES_CHARTS = ['throughput', 'latency'];

function usage(msg, withUsage = true) {
    console.error(`check_report: ${msg}` + (withUsage ? ` (${USAGE})` : ''));
    process.exit(2);
}

function parseArgs(argv) {
    const o = { report: null, expect: null, screenshot: null, texts: [],
                chromium: process.env.OB_CHROMIUM || '/usr/bin/chromium', timeout: 10 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length || argv[i + 1] === '') usage(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
        case '--expect': o.expect = value(); break;
        case '--text': o.texts.push(value()); break;
        case '--screenshot': o.screenshot = value(); break;
        case '--chromium': o.chromium = value(); break;
        case '--timeout': o.timeout = Number(value());
            if (!(o.timeout > 0)) usage(`--timeout wants a number of seconds > 0`);
            break;
        case '-h': case '--help': console.log(USAGE); process.exit(0);
        default:
            if (a.startsWith('-')) usage(`unknown flag ${a}`);
            if (o.report !== null) usage(`unexpected argument ${a}`);
            o.report = a;
        }
    }
    if (o.report === null) usage('no report given');
    if (!existsSync(o.report) || !statSync(o.report).isFile()) usage(`no such file: ${o.report}`);
    if (o.expect === null) usage('--expect is required');
    o.expect = o.expect.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (o.expect.length === 0) usage('--expect names no middleware');
    if (new Set(o.expect).size !== o.expect.length) usage(`--expect names a middleware twice: ${o.expect.join(',')}`);
    if (!existsSync(o.chromium)) usage(`no chromium at ${o.chromium} (bash scripts/deps browser)`, false);
    return o;
}

const opt = parseArgs(process.argv.slice(2));
const reportUrl = pathToFileURL(resolve(opt.report)).href;
const problems = [];
const consoleErrors = [];
const network = [];  // URLs requested other than the report itself
const fail = (msg) => problems.push(msg);

// The report itself (any #fragment or ?query), and URLs that never leave the page.
function allowed(url) {
    const bare = url.replace(/[?#].*$/, '');
    return bare === reportUrl || /^(data|blob|about):/i.test(url);
}

let playwright;
try {
    playwright = await import('playwright-core');
} catch (e) {
    console.error(`check_report: FAIL playwright-core is not installed in tests/browser/node_modules ` +
        `(bash scripts/deps browser): ${e.message.split('\n')[0]}`);
    process.exit(1);
}

// A hard limit on the whole check, so that a hung browser fails instead of hanging.
const hardLimit = setTimeout(() => {
    console.error(`check_report: FAIL the check did not finish within ${opt.timeout + 50} s`);
    process.exit(1);
}, (opt.timeout + 50) * 1000);
hardLimit.unref();

let browser;
try {
    browser = await playwright.chromium.launch({
        executablePath: opt.chromium,
        headless: true,
        timeout: 30000,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update',
               '--disable-sync', '--disable-default-apps', '--disable-extensions',
               // belt and braces besides the routing below: no host name resolves
               '--host-resolver-rules=MAP * ~NOTFOUND'],
    });
} catch (e) {
    console.error(`check_report: FAIL could not launch ${opt.chromium}: ${e.message.split('\n')[0]}`);
    process.exit(1);
}

try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
                                               serviceWorkers: 'block' });
    const page = await context.newPage();
    page.on('request', (req) => {
        if (!allowed(req.url())) network.push(req.url());
    });
    page.on('websocket', (ws) => network.push(ws.url()));
    await page.route('**/*', (route) =>
        allowed(route.request().url()) ? route.continue() : route.abort('blockedbyclient'));
    page.on('console', (msg) => {
        const loc = msg.location();
        const where = loc && loc.url ? ` [${loc.url.replace(reportUrl, 'report')}:${loc.lineNumber}]` : '';
        if (msg.type() === 'error') consoleErrors.push(`${msg.text()}${where}`);
        else if (msg.type() === 'warning') console.log(`check_report: console warning: ${msg.text()}${where}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught ${err.name || 'error'}: ${err.message}`));

    await page.goto(reportUrl, { waitUntil: 'load', timeout: opt.timeout * 1000 });
    try {
        await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: opt.timeout * 1000 });
    } catch {
        const ready = await page.evaluate(() => document.body ? document.body.dataset.ready : undefined);
        fail(`the report did not set body[data-ready="1"] within ${opt.timeout} s ` +
             `(data-ready is ${ready === undefined ? 'not set' : JSON.stringify(ready)})`);
    }
    // events of the last moments (a late error, a late request) still count
    await page.waitForTimeout(200);

    const dom = await page.evaluate(() => {
        const err = document.querySelector('#report-error');
        const charts = [...document.querySelectorAll('svg[data-chart]')].map((svg) => ({
            name: svg.getAttribute('data-chart'),
            series: [...svg.querySelectorAll('[data-series]')].map((e) => e.getAttribute('data-series')),
        }));
        const table = document.querySelectorAll('table#summary');
        const rows = table.length === 1
            ? [...table[0].querySelectorAll('tr[data-middleware]')].map((r) => r.getAttribute('data-middleware'))
            : null;
        const thresholds = [...document.querySelectorAll('table#thresholds tbody tr')]
            .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()).join(' '));
        return { error: err ? err.textContent.trim() : '', charts, tables: table.length, rows, thresholds,
                 title: document.title, text: document.body ? document.body.innerText : '' };
    });

    if (dom.error !== '') fail(`#report-error says: ${dom.error.replace(/\s+/g, ' ')}`);
    const shown = dom.text.replace(/\s+/g, ' ');
    for (const t of opt.texts) {
        if (shown.includes(t)) console.log(`text: ${JSON.stringify(t)} shown`);
        else fail(`the page does not show ${JSON.stringify(t)}`);
    }
    for (const c of dom.charts) console.log(`${c.name}: ${c.series.join(' ') || '(no series)'}`);
    const expected = new Set(opt.expect);
    const checkSet = (what, noun, found) => {
        for (const m of opt.expect) {
            const n = found.filter((x) => x === m).length;
            if (n === 0) fail(`${what}: no ${noun} for ${m}`);
            else if (n > 1) fail(`${what}: ${n} ${noun}s for ${m} (wanted one)`);
        }
        for (const m of new Set(found)) {
            if (!expected.has(m)) fail(`${what}: a ${noun} for ${JSON.stringify(m)}, which was not expected`);
        }
    };
    for (const name of SERIES_CHARTS) {
        const found = dom.charts.filter((c) => c.name === name);
        if (found.length === 0) fail(`no chart svg[data-chart="${name}"]`);
        else if (found.length > 1) fail(`${found.length} charts svg[data-chart="${name}"] (wanted one)`);
        else checkSet(`chart ${name}`, 'series', found[0].series);
    }
    // the thresholds table, when the summaries hold thresholds: one line per row
    if (dom.thresholds.length) console.log(`thresholds: ${dom.thresholds.join('; ')}`);
    if (dom.tables === 0) fail('no table#summary');
    else if (dom.tables > 1) fail(`${dom.tables} tables #summary (wanted one)`);
    else {
        console.log(`summary: ${dom.rows.join(' ') || '(no rows)'}`);
        checkSet('table#summary', 'row', dom.rows);
    }

    if (opt.screenshot) {
        mkdirSync(dirname(resolve(opt.screenshot)), { recursive: true });
        await page.screenshot({ path: opt.screenshot, fullPage: true });
        console.log(`check_report: screenshot ${opt.screenshot}`);
    }
} catch (e) {
    fail(`${e.message.split('\n')[0]}`);
} finally {
    await browser.close().catch(() => {});
}

for (const e of consoleErrors) fail(`console error: ${e}`);
for (const u of new Set(network)) fail(`network request: ${u}`);
if (problems.length > 0) {
    for (const p of problems) console.log(`check_report: FAIL ${p}`);
    process.exit(1);
}
console.log(`check_report: OK (${opt.expect.length} middlewares, ${consoleErrors.length} console errors, ` +
            `${network.length} network requests)`);
process.exit(0);
