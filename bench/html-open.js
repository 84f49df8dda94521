#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// bench/html-open.js - how long report.html takes to open in headless
// Chromium (not a test: nothing is asserted).
//
//   node bench/html-open.js [-n RUNS] [--filter WORD] REPORT.html...
//
// Uses playwright-core from tests/browser/node_modules (tests/browser/run.sh
// installs it) and Chromium at $CHROMIUM (default /usr/bin/chromium).  Each
// run starts a new browser, opens the file:// URL and records, in the
// page's own clock (performance.now(), 0 = navigation start):
//   fcp       first contentful paint
//   rows      the first static row of the message table is in the DOM
//   painted   the first frame after that (requestAnimationFrame)
//   parsed    the whole page is parsed (domInteractive)
//   ready     report.js has made the message table interactive
//             (html[data-ready="messages"])
//   all       report.js is done with the rest (html[data-ready="all"]:
//             anomalies, queue shape; the inventory waits to be seen)
// A page whose script gives up (the data cannot be read) is reported as a
// failed run, with the time it gave up.
// then, as soon as the table is ready, types WORD (default "payment") in
// the filter box and waits for the footer to change (filter), clicks the
// Size heading (sort), opens the first row's detail (detail), and prints
// when each was done, still from navigation start.  "interactive" is the
// latest of filter, sort and detail.  The best run (lowest interactive)
// of RUNS (default 3) and the median of each column are printed per file,
// with the size; several files are measured in turn, run by run.
'use strict';

const fs = require('fs');
const path = require('path');

const pw = path.join(__dirname, '..', 'tests', 'browser', 'node_modules', 'playwright-core');
const { chromium } = require(pw);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

let runs = 3;
let word = 'payment';
const files = [];
const argv = process.argv.slice(2);
while (argv.length) {
	const a = argv.shift();
	if (a === '-n') runs = parseInt(argv.shift(), 10);
	else if (a === '--filter') word = argv.shift();
	else files.push(path.resolve(a));
}
if (!files.length || !(runs > 0)) {
	console.error('usage: node bench/html-open.js [-n RUNS] [--filter WORD] REPORT.html...');
	process.exit(2);
}

// Runs in the page before its own script: marks the moments above.
function probe() {
	const T = window.__imcqT = {};
	const mark = (k) => { if (!(k in T)) T[k] = performance.now(); };
	const rows = new MutationObserver(() => {
		if (document.querySelector('body > p.noscript')) mark('gaveup');
		if (document.querySelector('#msg-body tr') && !('rows' in T)) {
			mark('rows');
			requestAnimationFrame(() => mark('painted'));
		}
	});
	rows.observe(document, { subtree: true, childList: true });
	new MutationObserver(() => {
		const r = document.documentElement.dataset.ready;
		if (r) mark('ready_' + r);
	}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
	try {
		new PerformanceObserver((l) => l.getEntries().forEach((e) => {
			if (e.name === 'first-contentful-paint') T.fcp = e.startTime;
		})).observe({ type: 'paint', buffered: true });
	} catch (e) { /* no paint timing */ }
}

async function once(file) {
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	const problems = [];
	try {
		const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
		page.on('pageerror', (e) => problems.push(e.message));
		page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
		await page.addInitScript(probe);
		await page.goto('file://' + file, { waitUntil: 'commit', timeout: 600000 });
		await page.waitForSelector('html[data-ready], body > p.noscript', { timeout: 600000 });
		if (await page.$('body > p.noscript')) {
			const T = await page.evaluate(() => window.__imcqT);
			throw new Error('the script gave up (' + await page.$eval('body > p.noscript', (e) => e.textContent) +
				') at ' + fmt(T.gaveup) + ' s; first rows at ' + fmt(T.rows) + ' s, painted ' + fmt(T.painted) +
				' s, fcp ' + fmt(T.fcp) + ' s');
		}
		const now = () => page.evaluate(() => performance.now());
		const total = await page.$eval('#msg-foot', (e) => +e.dataset.total || +e.dataset.count);
		// filter
		await page.fill('#msg-q', word);
		await page.waitForFunction((n) => {
			const f = document.querySelector('#msg-foot');
			return f && f.dataset.count !== undefined && +f.dataset.count !== n;
		}, total, { timeout: 600000, polling: 10 });
		const filter = await now();
		const matched = await page.$eval('#msg-foot', (e) => +e.dataset.count);
		// sort
		await page.locator('#msg-table thead th', { hasText: 'Size' }).locator('button').click();
		await page.waitForSelector('#msg-table th[aria-sort="ascending"]', { timeout: 600000 });
		const sort = await now();
		// detail
		await page.click('#msg-body tr:nth-child(1)');
		await page.waitForSelector('#detail-body .dtitle', { timeout: 600000 });
		const detail = await now();
		await page.waitForSelector('html[data-ready="all"]', { timeout: 600000 });
		const T = await page.evaluate(() => window.__imcqT);
		T.parsed = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domInteractive);
		const mem = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
		return {
			fcp: T.fcp, rows: T.rows, painted: T.painted, parsed: T.parsed, ready: T.ready_messages, all: T.ready_all,
			filter, sort, detail, interactive: Math.max(filter, sort, detail),
			total, matched, heapMiB: mem / 1048576, problems,
		};
	} finally {
		await browser.close();
	}
}

const KEYS = ['fcp', 'rows', 'painted', 'parsed', 'ready', 'filter', 'sort', 'detail', 'interactive', 'all'];
const fmt = (v) => (typeof v === 'number' ? (v / 1000).toFixed(2) : '-');

(async () => {
	// files are measured in turn (run 1 of each, run 2 of each, ...) so
	// that a change of load on the machine affects them alike
	const res = files.map(() => []);
	for (let k = 0; k < runs; k++) {
		for (let j = 0; j < files.length; j++) {
			const file = files[j];
			let r;
			try {
				r = await once(file);
			} catch (e) {
				console.error('# ' + file + ' run ' + (k + 1) + ' failed: ' + String(e.message || e).split('\n')[0]);
				continue;
			}
			res[j].push(r);
			console.error('# ' + file + ' run ' + (k + 1) + ': ' + KEYS.map((x) => x + ' ' + fmt(r[x])).join(', ') +
				'; filter "' + word + '": ' + r.matched + ' of ' + r.total +
				(r.problems.length ? '; PROBLEMS: ' + r.problems.slice(0, 3).join(' / ') : ''));
		}
	}
	console.log('| file | MiB | run | ' + KEYS.join(' s | ') + ' s | JS heap MiB |');
	console.log('|---|---:|---|' + KEYS.map(() => '---:').join('|') + '|---:|');
	files.forEach((file, j) => {
		const mib = (fs.statSync(file).size / 1048576).toFixed(1);
		const rs = res[j];
		const name = path.basename(path.dirname(file)) + '/' + path.basename(file);
		if (!rs.length) {
			console.log('| ' + name + ' | ' + mib + ' | all failed |');
			return;
		}
		const med = {};
		KEYS.concat(['heapMiB']).forEach((x) => {
			const v = rs.map((r) => r[x]).filter((y) => typeof y === 'number').sort((a, b) => a - b);
			med[x] = v.length ? v[Math.floor((v.length - 1) / 2)] : undefined;
		});
		const best = rs.slice().sort((a, b) => a.interactive - b.interactive)[0];
		const row = (label, r) => console.log('| ' + name + ' | ' + mib + ' | ' + label + ' | ' +
			KEYS.map((x) => fmt(r[x])).join(' | ') + ' | ' + (r.heapMiB || 0).toFixed(0) + ' |');
		row('best of ' + rs.length, best);
		row('median', med);
	});
})().catch((e) => {
	console.error(e);
	process.exit(1);
});
