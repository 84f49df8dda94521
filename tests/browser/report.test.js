// SPDX-License-Identifier: MIT
// report.test.js - loads report.html in headless Chromium (playwright-core)
// and checks it as a reader would: no console error, no page error, no
// dialog, no request but the file itself; every message is in the table;
// filtering, sorting, paging, the detail view and the inventory work; a
// 100,000-message report works too (its times are printed, not asserted:
// bench/html-open.js measures them).
//
// Environment (tests/browser/run.sh sets it):
//   IMCQ_RENDER  helper that writes report.html for a report.json (render.c)
//   IMCQ         the imcq program (optional: adds a real, hostile report)
//   CHROMIUM     the browser (default /usr/bin/chromium)
//   IMCQ_SCREENSHOT  where to write the screenshot (default /tmp/imcq-report.png)
//   IMCQ_BIG     number of messages of the large report (default 100000)
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const { generate } = require('./gen-report.js');

const RENDER = process.env.IMCQ_RENDER;
const IMCQ = process.env.IMCQ;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOT = process.env.IMCQ_SCREENSHOT || '/tmp/imcq-report.png';
const BIG = parseInt(process.env.IMCQ_BIG || '100000', 10);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

let passed = 0;
let failed = 0;

function check(cond, what) {
	if (cond) {
		passed++;
		console.log('ok - ' + what);
	} else {
		failed++;
		console.log('not ok - ' + what);
	}
	return cond;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imcq-browser-'));

function render(doc, name) {
	const json = path.join(tmp, name + '.json');
	const html = path.join(tmp, name + '.html');
	fs.writeFileSync(json, typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc));
	const t0 = Date.now();
	execFileSync(RENDER, [json, html], { stdio: 'inherit' });
	return { html, json, ms: Date.now() - t0 };
}

// check-html.js on a page (with its document: every packed block compared)
function staticChecks(html, json, what) {
	const args = [path.join(__dirname, 'check-html.js'), html].concat(json ? ['--json', json] : []);
	try {
		execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
		check(true, what + ': static checks pass' + (json ? ' (data as in the document)' : ''));
	} catch (e) {
		check(false, what + ': static checks pass\n' + String(e.stdout || e).split('\n')
			.filter((l) => !l.startsWith('ok')).join('\n'));
	}
}

// A page with the listeners every test needs.
async function open(browser, file, opts) {
	const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
	const url = 'file://' + file;
	const problems = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('dialog', (d) => { problems.push('dialog: ' + d.type() + ' ' + d.message()); d.dismiss().catch(() => {}); });
	page.on('request', (r) => {
		const u = r.url().split('#')[0];
		if (u !== url && !u.startsWith('data:')) problems.push('request: ' + r.url());
	});
	page.on('popup', () => problems.push('popup'));
	const t0 = Date.now();
	await page.goto(url + ((opts && opts.hash) || ''), { timeout: 120000, waitUntil: 'commit' });
	// the first page of messages is static HTML: it shows before the script runs
	await page.waitForSelector('#msg-body tr, #msg-foot', { timeout: 120000 });
	const firstPage = Date.now() - t0;
	await page.waitForSelector('html[data-ready="messages"], html[data-ready="all"]', { timeout: 120000 });
	const interactive = Date.now() - t0;
	await page.waitForSelector('html[data-ready="all"]', { timeout: 120000 });
	return { page, problems, firstPage, interactive };
}

async function foot(page, id) {
	return page.$eval('#' + (id || 'msg') + '-foot', (e) => ({
		count: +e.dataset.count, total: +e.dataset.total, text: e.textContent,
	}));
}

// The message indices of the rows on the current page.
function rowIndices(page) {
	return page.$$eval('#msg-body tr', (trs) => trs.map((t) => +t.dataset.i));
}

async function setFilter(page, q, state, finding) {
	await page.selectOption('#msg-state', state || '');
	await page.selectOption('#msg-finding', finding || '');
	await page.fill('#msg-q', q || '');
	await page.waitForTimeout(250);	// the text box is debounced
}

function expectWords(doc, i, words) {
	// what the page searches: report.js haystack(), simplified to the
	// fields the generated documents fill
	const m = doc.messages[i];
	const h = [m.spool_id, m.subject, m.headers && m.headers.subject, m.envelope && m.envelope.mail_from,
		(m.envelope && m.envelope.rcpt_to || []).join(' ')].join('\n').toLowerCase();
	return words.every((w) => h.includes(w));
}

function noProblems(p, what) {
	check(p.problems.length === 0, what + ': no console error, page error, dialog or request' +
		(p.problems.length ? ' (' + p.problems.slice(0, 5).join('; ') + ')' : ''));
}

async function testSample(browser) {
	const doc = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sample-report.json'), 'utf8'));
	const { html, json } = render(doc, 'sample');
	staticChecks(html, json, 'sample');
	const p = await open(browser, html);
	const { page } = p;
	const f = await foot(page);
	check(f.count === doc.messages.length && f.total === doc.messages.length,
		'sample: footer counts every message (' + f.count + ' of ' + doc.messages.length + ')');
	const ids = await page.$$eval('#msg-body tr td:first-child', (tds) => tds.map((t) => t.textContent));
	check(JSON.stringify(ids) === JSON.stringify(doc.messages.map((m) => m.spool_id)),
		'sample: the table lists the messages in document order');

	// hostile text is shown as text, never run
	const subj = await page.$$eval('#msg-body td.subj', (tds) => tds.map((t) => t.textContent));
	check(subj.some((s) => s.includes('<script>alert(1)</script>') && s.includes('<img src=x onerror=alert(1)>')),
		'sample: hostile subject shown literally');
	check(await page.$$eval('img', (l) => l.length) === 0, 'sample: no <img> element exists');
	const scripts = await page.$$eval('script', (l) => l.map((e) => [e.type, e.id]));
	check(scripts.filter((t) => t[0] === '').length === 1 &&
		scripts.filter((t) => t[0] === 'application/json' && t[1] === 'imcq-data').length === 1 &&
		scripts.every((t) => t[0] === '' || t[1] === 'imcq-data' ||
			(t[0] === 'application/octet-stream' && /^imcq-[dqirx][0-9]+$/.test(t[1]))),
	'sample: only the page\'s own script and data blocks exist (' + scripts.length + ')');

	// incident composed from the findings
	const inc = await page.$eval('#incident', (e) => e.textContent);
	check(/7 e-mail messages are stuck/.test(inc) && inc.includes('Q268494') &&
		inc.includes('imcq recover --to pickup'), 'sample: incident composed (count, KB, recovery commands)');

	// states: the "show" button of expired filters the table
	await page.click('#states button[data-state="expired"]');
	let g = await foot(page);
	check(g.count === doc.messages.filter((m) => m.state === 'expired').length, 'sample: state "show" filters the table');

	// filter by finding, from a finding card (report-wide spool_ids)
	await page.click('#findings article button[data-finding="STALE_ROUTING"]');
	g = await foot(page);
	const stale = new Set(doc.findings.find((x) => x.code === 'STALE_ROUTING').spool_ids);
	doc.messages.forEach((m) => { if (m.findings.some((x) => x.code === 'STALE_ROUTING')) stale.add(m.spool_id); });
	check(g.count === stale.size, 'sample: finding filter shows its messages (' + g.count + ')');

	// text filter
	await setFilter(page, 'fabrikam', '', '');
	g = await foot(page);
	const want = doc.messages.filter((m) => JSON.stringify([m.envelope, m.headers, m.recipients]).toLowerCase().includes('fabrikam')).length;
	check(g.count === want, 'sample: text filter "fabrikam" (' + g.count + ' of ' + want + ')');
	await setFilter(page, '', '', '');

	// detail by click
	await page.click('#msg-body tr:nth-child(2)');
	await page.waitForSelector('#detail-body .dtitle');
	const m1 = doc.messages[1];
	let det = await page.$eval('#detail-body', (e) => e.textContent);
	check(det.includes(m1.spool_id) && det.includes('Envelope') && det.includes('Received hops') &&
		det.includes(m1.sources[0].sha256) && det.includes(m1.sources[0].member),
	'sample: detail shows envelope, hops and sources with SHA-256');
	await page.evaluate(() => { location.hash = 'id=HBWK2Q2P'; });
	await page.waitForFunction(() => document.querySelector('#detail-body .big') &&
		document.querySelector('#detail-body .big').textContent === 'HBWK2Q2P');
	det = await page.$eval('#detail-body', (e) => e.textContent);
	check(det.includes('Internet Mail Service (EXCHB)') && det.includes('GWART0.MTA') && det.includes('c.ortiz@northwind.example'),
		'sample: detail shows the recipients, their route and its evidence');
	// deep link by spool id
	await page.evaluate(() => { location.hash = 'id=ZZ0HOST1'; });
	await page.waitForFunction(() => document.querySelector('#detail-body .big') &&
		document.querySelector('#detail-body .big').textContent === 'ZZ0HOST1');
	det = await page.$eval('#detail-body', (e) => e.textContent);
	check(det.includes('</script><script>alert(2)</script>'), 'sample: #id= link opens the detail; hostile text literal');
	await page.click('#detail-body button[data-act="close"]');

	// inventory and anomalies are paged tables too; the inventory is read
	// when it comes into view
	await page.$eval('#inventory', (e) => e.scrollIntoView());
	await page.waitForSelector('html[data-inventory="ready"]');
	g = await foot(page, 'inv');
	check(g.count === doc.inventory.length && g.total === doc.inventory.length,
		'sample: inventory footer counts every member');
	await page.fill('#inv-q', 'queue.dat');
	await page.waitForFunction((n) => +document.querySelector('#inv-foot').dataset.count !== n, doc.inventory.length);
	g = await foot(page, 'inv');
	check(g.count === doc.inventory.filter((x) => JSON.stringify(x).toLowerCase().includes('queue.dat')).length,
		'sample: inventory text filter (' + g.count + ')');
	g = await foot(page, 'an');
	check(g.count === doc.anomalies.length, 'sample: anomalies footer counts every anomaly');
	const qs = await page.$$eval('#qshape table tbody tr', (trs) => trs.length);
	check(qs > 1, 'sample: queue shape computed from the messages');

	// print: no controls, summary, findings and first page visible
	await page.emulateMedia({ media: 'print' });
	const pr = await page.evaluate(() => {
		const vis = (s) => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
		return { controls: vis('#msg-controls'), pager: vis('#msg-pager'), incident: vis('#incident'),
			findings: vis('#findings'), rows: document.querySelectorAll('#msg-body tr').length, toc: vis('.toc') };
	});
	check(!pr.controls && !pr.pager && !pr.toc && pr.incident && pr.findings && pr.rows > 0,
		'sample: print shows summary, findings and messages, hides the controls');
	await page.emulateMedia({ media: 'screen' });

	await page.screenshot({ path: SHOT, fullPage: true });
	console.log('# screenshot: ' + SHOT);
	noProblems(p, 'sample');
	await page.close();
}

// The same fixture with the members the pipeline adds: incident, qshape.
async function testIncident(browser) {
	const doc = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sample-report.json'), 'utf8'));
	doc.incident = {
		headline: '6 messages <b>stuck</b> in Out of EXCHB since 2001-03-03',
		summary_lines: ['The IMS of EXCHB has an old routing table.', '"><img src=x onerror=alert(9)>'],
		cause: 'Route.txt older than GWART0.MTA (Q268494)',
		since: '2001-03-03T08:00:00Z',
		kb: ['Q268494'],
		recover_commands: ['imcq recover --to pickup --out recovered serverB.zip', 'echo </script><script>alert(8)</script>'],
	};
	doc.summary.qshape = { buckets: ['5m', '10m', '5120m+'], rows: [
		{ domain: 'TOTAL', total: 3, counts: [1, 0, 2] },
		{ domain: '<i>x</i>.example', total: 3, counts: [1, 0, 2] }] };
	const { html } = render(doc, 'incident');
	const p = await open(browser, html);
	const inc = await p.page.$eval('#incident', (e) => e.textContent);
	check(inc.includes('6 messages <b>stuck</b>') && inc.includes('"><img src=x onerror=alert(9)>') &&
		inc.includes('echo </script><script>alert(8)</script>'), 'incident: doc.incident shown literally');
	const cmds = await p.page.$$eval('#incident .cmd pre', (l) => l.map((e) => e.textContent));
	check(cmds.length === 1 && cmds[0].split('\n').length === 2, 'incident: recovery commands in one copyable block');
	const qrows = await p.page.$$eval('#qshape tbody tr', (trs) => trs.map((t) => t.textContent));
	check(qrows.length === 2 && qrows[1].includes('<i>x</i>.example'), 'incident: summary.qshape rendered');
	check(await p.page.$$eval('#qshape i', (l) => l.length) === 0, 'incident: no markup from the data');
	noProblems(p, 'incident');
	await p.page.close();
}

// A document whose strings are not valid UTF-8 and hold control
// characters (a JSON writer that let them through): the page must stay
// valid UTF-8 with its data block escaped, and show U+FFFD in their place.
async function testBytes(browser) {
	const doc = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sample-report.json'), 'utf8'));
	doc.messages[0].headers.subject = 'SUBJ1';
	doc.messages[0].envelope.mail_from = 'FROM1';
	doc.inventory[0].member = 'MEMBER1';
	let text = Buffer.from(JSON.stringify(doc));
	const swap = (from, bytes) => {
		const i = text.indexOf(from);
		text = Buffer.concat([text.subarray(0, i), bytes, text.subarray(i + from.length)]);
	};
	// invalid byte, overlong "<", a lone surrogate, a C1 control, ESC, SOH, U+2028, U+2029
	swap('SUBJ1', Buffer.concat([Buffer.from([0x61, 0xff, 0x20, 0x62, 0xc0, 0xbc]),
		Buffer.from('script c'), Buffer.from([0xed, 0xa0, 0x80, 0xc2, 0x85]), Buffer.from('\\u001b[31m\\u0001'),
		Buffer.from([0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9]), Buffer.from('</script><script>alert(7)</script>')]));
	swap('FROM1', Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80, 0x3c]));
	swap('MEMBER1', Buffer.from([0xf4, 0x90, 0x80, 0x80, 0x26, 0x3e]));
	const { html } = render(text, 'bytes');
	let out = '';
	try {
		out = execFileSync(process.execPath, [path.join(__dirname, 'check-html.js'), html,
			'--expect', '</script><script>alert(7)</script>'], { encoding: 'utf8' });
		check(true, 'bytes: static checks pass');
	} catch (e) {
		check(false, 'bytes: static checks pass\n' + (e.stdout || e));
	}
	const p = await open(browser, html);
	const subj = await p.page.$eval('#msg-body td.subj', (e) => e.textContent);
	check(subj.startsWith('a\ufffd b\ufffd\ufffdscript c\ufffd') && subj.includes('alert(7)'),
		'bytes: invalid UTF-8 and controls shown as U+FFFD (' + JSON.stringify(subj.slice(0, 40)) + ')');
	noProblems(p, 'bytes');
	await p.page.close();
	return out;
}

// A real report of a hostile tree, when the program is there.
async function testReal(browser) {
	if (!IMCQ || !fs.existsSync(IMCQ)) {
		console.log('# skipped: real report (IMCQ not set)');
		return;
	}
	const root = path.join(tmp, 'tree');
	const out = Buffer.from('Exchsrvr/IMCDATA/OUT');
	const dir = Buffer.concat([Buffer.from(root + '/a</script><script>alert(5)</script>/'), out]);
	fs.mkdirSync(dir, { recursive: true });
	const mk = (name, id, from, to, subject) => {
		const env = Buffer.concat([Buffer.from([0xf7]), Buffer.from('ImCr\x01\x00\x00\x00EXCHB\x00host.example\x00<' + from +
			'>\x00c=US;a= ;p=Org;l=EXCHB-0001\x00X\x009B\x00<' + to + '>\x00EwLs', 'latin1')]);
		const body = Buffer.concat([Buffer.from('Received: from EXCHB by exchb.example with SMTP id ' + id +
			'; Mon, 5 Mar 2001 10:00:00 +0000\r\nFrom: ' + from + '\r\nTo: ' + to + '\r\nSubject: '), Buffer.from(subject),
		Buffer.from('\r\nMessage-ID: <' + id + '@x>\r\nDate: Mon, 5 Mar 2001 10:00:00 +0000\r\n\r\nbody\r\n')]);
		const file = Buffer.concat([dir, Buffer.from('/'), Buffer.isBuffer(name) ? name : Buffer.from(name)]);
		fs.writeFileSync(file, Buffer.concat([env, body]));
	};
	mk('3SW32JRP', '3SW32JRP', 'a@example.com', 'b@example.net', '<script>alert(1)</script>');
	mk('HBWK2Q2P', 'HBWK2Q2P', 'x"><img src=x onerror=alert(1)>@evil.example', 'v@example.org', '"><img src=x onerror=alert(1)>');
	mk('WXJXSG2D', 'WXJXSG2D', 'x@example.com', '</script><script>alert(2)</script>@example.com',
		Buffer.concat([Buffer.from('</script><script>alert(3)</script> \u2028 sep \u2029 bad '),
			Buffer.from([0xff, 0xfe]), Buffer.from(' utf8')]));
	mk('"><img src=x onerror=alert(4)>', 'ZZZZZZZZ', 'x@example.com', 'y@example.com', 'name');
	mk(Buffer.from([0x42, 0x41, 0x44, 0xff, 0xfe, 0x4e, 0x4d]), 'BADNAME1', 'x@example.com', 'y@example.com', Buffer.from('latin1 \xe9t\xe9', 'latin1'));
	const o = path.join(tmp, 'real-out');
	try {
		execFileSync(IMCQ, ['analyze', '-q', '-o', o, root], { stdio: ['ignore', 'ignore', 'inherit'] });
	} catch (e) {
		if (e.status !== 1) throw e;	// 1: some member unreadable, still a report
	}
	const doc = JSON.parse(fs.readFileSync(path.join(o, 'report.json'), 'utf8'));
	const p = await open(browser, path.join(o, 'report.html'));
	const f = await foot(p.page);
	check(f.count === doc.messages.length && f.count >= 5, 'real: footer counts every message (' + f.count + ')');
	await p.page.click('#msg-body tr:nth-child(1)');
	await p.page.waitForSelector('#detail-body .dtitle');
	for (let k = 2; k <= doc.messages.length; k++) {
		await p.page.click('#detail-body button[data-act="next"]');
		await p.page.waitForFunction((n) => document.querySelector('#detail-body .big') &&
			document.querySelector('#detail-body .big').textContent !== n, doc.messages[k - 2].spool_id);
	}
	check(await p.page.$$eval('img', (l) => l.length) === 0, 'real: no <img> element after opening every detail');
	noProblems(p, 'real');
	await p.page.close();
}

// Paging, sorting and filtering, checked against the document.
async function testMedium(browser) {
	const n = 2345;
	const doc = generate(n, 777);
	const { html, json } = render(doc, 'medium');
	staticChecks(html, json, 'medium');
	const p = await open(browser, html);
	const { page } = p;
	let f = await foot(page);
	check(f.count === n, 'medium: footer counts every message');

	// paging: each spool id once
	const seen = [];
	for (;;) {
		const idx = await rowIndices(page);
		idx.forEach((i) => seen.push(doc.messages[i].spool_id));
		const next = await page.$('#msg-pager button[data-go="next"]');
		if (!next || await next.isDisabled()) break;
		await next.click();
	}
	check(seen.length === n && new Set(seen).size === n, 'medium: paging through shows each spool id once (' + seen.length + ')');
	await page.selectOption('#msg-size', '1000');
	const idx1000 = await rowIndices(page);
	check(idx1000.length === 1000, 'medium: 1000 rows per page');
	await page.selectOption('#msg-size', '100');

	// filter by state
	await setFilter(page, '', 'expired', '');
	f = await foot(page);
	const nExpired = doc.messages.filter((m) => m.state === 'expired').length;
	check(f.count === nExpired, 'medium: state filter (' + f.count + ' of ' + nExpired + ')');
	let idx = await rowIndices(page);
	check(idx.every((i) => doc.messages[i].state === 'expired'), 'medium: state filter shows only that state');
	// filter by text, then text and state together
	await setFilter(page, 'needle', '', '');
	f = await foot(page);
	const nNeedle = doc.messages.filter((m, i) => expectWords(doc, i, ['needle'])).length;
	check(f.count === nNeedle, 'medium: text filter (' + f.count + ' of ' + nNeedle + ')');
	await setFilter(page, 'needle', 'awaiting-delivery', '');
	f = await foot(page);
	const nBoth = doc.messages.filter((m, i) => m.state === 'awaiting-delivery' && expectWords(doc, i, ['needle'])).length;
	check(f.count === nBoth, 'medium: text and state filter together (' + f.count + ' of ' + nBoth + ')');
	await setFilter(page, doc.messages[1234].spool_id.toLowerCase(), '', '');
	idx = await rowIndices(page);
	check(idx.length === 1 && idx[0] === 1234, 'medium: filter by spool id finds that message');
	await setFilter(page, 'no-such-thing-anywhere', '', '');
	f = await foot(page);
	check(f.count === 0 && /No messages match/.test(f.text), 'medium: a filter matching nothing says so');
	await setFilter(page, '', '', 'STALE_ROUTING');
	f = await foot(page);
	check(f.count === doc.messages.filter((m) => m.findings.length).length, 'medium: finding filter');
	await setFilter(page, '', '', '');

	// sorting by age, both ways, then by spool id descending
	const ageHead = page.locator('#msg-table thead th', { hasText: 'Age' }).locator('button');
	await ageHead.click();
	idx = await rowIndices(page);
	let ages = idx.map((i) => doc.messages[i].age_seconds);
	const minAge = Math.min(...doc.messages.map((m) => m.age_seconds));
	check(ages.every((a, k) => k === 0 || ages[k - 1] <= a) && ages[0] === minAge, 'medium: sort by age ascending');
	await ageHead.click();
	idx = await rowIndices(page);
	ages = idx.map((i) => doc.messages[i].age_seconds);
	const maxAge = Math.max(...doc.messages.map((m) => m.age_seconds));
	check(ages.every((a, k) => k === 0 || ages[k - 1] >= a) && ages[0] === maxAge, 'medium: sort by age descending');
	const aria = await page.locator('#msg-table thead th', { hasText: 'Age' }).getAttribute('aria-sort');
	check(aria === 'descending', 'medium: aria-sort tells the order');
	// sorted and filtered together, across pages
	await setFilter(page, '', 'expired', '');
	await page.click('#msg-pager button[data-go="last"]');
	idx = await rowIndices(page);
	ages = idx.map((i) => doc.messages[i].age_seconds);
	const expAges = doc.messages.filter((m) => m.state === 'expired').map((m) => m.age_seconds).sort((a, b) => b - a);
	check(idx.every((i) => doc.messages[i].state === 'expired') && ages[ages.length - 1] === expAges[expAges.length - 1],
		'medium: last page of a sorted, filtered view');
	await setFilter(page, '', '', '');
	const idHead = page.locator('#msg-table thead th', { hasText: 'Spool ID' }).locator('button');
	await idHead.click();
	await idHead.click();
	idx = await rowIndices(page);
	check(idx[0] === n - 1 && idx[1] === n - 2, 'medium: sort by spool id descending');

	// detail: open, next, previous follow the current view
	await page.click('#msg-body tr:nth-child(1)');
	await page.waitForSelector('#detail-body .dtitle');
	let big = await page.$eval('#detail-body .big', (e) => e.textContent);
	check(big === doc.messages[n - 1].spool_id, 'medium: detail of the clicked row');
	await page.click('#detail-body button[data-act="next"]');
	await page.waitForFunction((id) => document.querySelector('#detail-body .big').textContent !== id,
		doc.messages[n - 1].spool_id);
	big = await page.$eval('#detail-body .big', (e) => e.textContent);
	check(big === doc.messages[n - 2].spool_id, 'medium: detail "next" follows the sorted view');
	const sel = await page.$$eval('#msg-body tr.sel', (l) => l.map((t) => +t.dataset.i));
	check(sel.length === 1 && sel[0] === n - 2, 'medium: the open message is marked in the table');
	noProblems(p, 'medium');
	await page.close();
}

async function testBig(browser) {
	const t0 = Date.now();
	const doc = generate(BIG, 4242);
	const json = JSON.stringify(doc);
	const genMs = Date.now() - t0;
	const r = render(json, 'big');
	const size = fs.statSync(r.html).size;
	staticChecks(r.html, null, 'big');
	console.log('# big: ' + BIG + ' messages, report.json ' + (json.length / 1048576).toFixed(1) + ' MiB generated in ' +
		genMs + ' ms, report.html ' + (size / 1048576).toFixed(1) + ' MiB written in ' + r.ms + ' ms');
	const p = await open(browser, r.html);
	console.log('# big: first page of messages shown ' + p.firstPage + ' ms after navigation; table interactive ' +
		'(sort, filter, pages) after ' + p.interactive + ' ms (not asserted: see bench/html-open.js)');
	const { page } = p;
	const f = await foot(page);
	check(f.count === BIG, 'big: footer counts every message (' + f.count + ')');
	const rows = await page.$$eval('#msg-body tr', (l) => l.length);
	check(rows === 100, 'big: only one page of rows in the DOM (' + rows + ')');
	const all = await page.$$eval('tr', (l) => l.length);
	check(all < 2000, 'big: no 100k DOM rows anywhere (' + all + ' rows)');
	await page.click('#msg-pager button[data-go="last"]');
	let idx = await rowIndices(page);
	check(idx[idx.length - 1] === BIG - 1, 'big: last page ends with the last message');
	let t = Date.now();
	await page.selectOption('#msg-state', 'expired');
	const g = await foot(page);
	console.log('# big: state filter ' + (Date.now() - t) + ' ms');
	check(g.count === doc.messages.filter((m) => m.state === 'expired').length, 'big: state filter');
	t = Date.now();
	await page.locator('#msg-table thead th', { hasText: 'Size' }).locator('button').click();
	await page.waitForSelector('#msg-table th[aria-sort="ascending"]');
	console.log('# big: sort by size ' + (Date.now() - t) + ' ms');
	t = Date.now();
	await page.fill('#msg-q', 'needle');
	await page.waitForFunction((n) => +document.querySelector('#msg-foot').dataset.count !== n, g.count);
	console.log('# big: text filter ' + (Date.now() - t) + ' ms (including 120 ms debounce)');
	const nNeedle = doc.messages.filter((m, i) => m.state === 'expired' && expectWords(doc, i, ['needle'])).length;
	check((await foot(page)).count === nNeedle, 'big: text and state filter (' + nNeedle + ')');
	// the detail of the last message (its block is the last of the page)
	await setFilter(page, doc.messages[BIG - 1].spool_id.toLowerCase(), '', '');
	idx = await rowIndices(page);
	check(idx.length === 1 && idx[0] === BIG - 1, 'big: filter by spool id finds the last message');
	await page.click('#msg-body tr:nth-child(1)');
	await page.waitForFunction((id) => document.querySelector('#detail-body .big') &&
		document.querySelector('#detail-body .big').textContent === id, doc.messages[BIG - 1].spool_id);
	const det = await page.$eval('#detail-body', (e) => e.textContent);
	const last = doc.messages[BIG - 1];
	check(det.includes(last.sources.length ? last.sources[0].sha256 : last.spool_id) &&
		det.includes(last.recipients[0].route.connector) && det.includes('Envelope'),
	'big: detail of the last message (sources, routes)');
	await page.evaluate(() => { location.hash = 'msg=0'; });
	await page.waitForFunction((id) => document.querySelector('#detail-body .big').textContent === id,
		doc.messages[0].spool_id);
	check(true, 'big: detail of the first message by #msg= link');
	await page.$eval('#inventory', (e) => e.scrollIntoView());
	await page.waitForSelector('html[data-inventory="ready"]', { timeout: 120000 });
	const inv = await foot(page, 'inv');
	check(inv.total === doc.inventory.length, 'big: inventory table of every member (' + inv.total + ')');
	noProblems(p, 'big');
	await page.close();
}

(async () => {
	if (!RENDER || !fs.existsSync(RENDER)) {
		console.log('IMCQ_RENDER is not set: run tests/browser/run.sh');
		process.exit(2);
	}
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	try {
		await testSample(browser);
		await testIncident(browser);
		await testBytes(browser);
		await testReal(browser);
		await testMedium(browser);
		if (BIG > 0) await testBig(browser);
	} catch (e) {
		check(false, 'exception: ' + (e && e.stack || e));
	} finally {
		await browser.close();
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	console.log(passed + ' passed, ' + failed + ' failed');
	process.exit(failed ? 1 : 0);
})();
