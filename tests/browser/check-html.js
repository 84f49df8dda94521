// SPDX-License-Identifier: MIT
// check-html.js - static checks of a report.html (used by
// tests/cli/t0600-html.sh): valid UTF-8; exactly the page's own script,
// its JSON data block, its packed data blocks and one style; a
// Content-Security-Policy whose hashes match them; no element, attribute
// or URL that the data could have smuggled in; a data block that cannot
// end its script element; packed blocks that are base64 of raw DEFLATE
// and hold what the page needs (with --json: exactly what report.json
// says: the report-wide members, each message's row, search text and
// detail, the inventory).
//   node check-html.js report.html [--json report.json] [--expect TEXT]...
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const zlib = require('zlib');

let fails = 0;
function check(cond, what) {
	console.log((cond ? 'ok: ' : 'FAIL: ') + what);
	if (!cond) fails++;
	return cond;
}

const args = process.argv.slice(2);
const file = args.shift();
const expect = [];
let jsonFile = null;
while (args.length) {
	const a = args.shift();
	if (a === '--expect') expect.push(args.shift());
	else if (a === '--json') jsonFile = args.shift();
	else throw new Error('unknown argument ' + a);
}

const bytes = fs.readFileSync(file);
let html = '';
try {
	html = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	check(true, 'the page is valid UTF-8');
} catch (e) {
	check(false, 'the page is valid UTF-8');
	html = bytes.toString('utf8');
}

const count = (re) => (html.match(re) || []).length;
const packRe = /<script type="application\/octet-stream" id="imcq-([a-z])(\d+)">([^<]*)<\/script>/g;
const packs = [];
for (let m; (m = packRe.exec(html)) !== null;) packs.push({ kind: m[1], k: +m[2], text: m[3], at: m.index });
check(count(/<script>/g) === 1 && count(/<script type="application\/json" id="imcq-data">/g) === 1 &&
	count(/<script/gi) === 2 + packs.length && count(/<\/script/gi) === 2 + packs.length,
'exactly one script, one JSON data block and the packed data blocks (' + packs.length + ')');
check(count(/<style/gi) === 1 && count(/<\/style/gi) === 1, 'exactly one style element');

const dataM = /<script type="application\/json" id="imcq-data">([\s\S]*?)<\/script>/.exec(html);
const jsM = /<script>([\s\S]*?)<\/script>/.exec(html);
const cssM = /<style>([\s\S]*?)<\/style>/.exec(html);
check(dataM && jsM && cssM, 'the data block, the script and the style are where expected');

const cspRe = /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-([A-Za-z0-9+/]{43}=)'; style-src 'sha256-([A-Za-z0-9+/]{43}=)'; img-src data:; base-uri 'none'; form-action 'none'">/;
const csp = cspRe.exec(html);
check(csp && count(/<meta http-equiv="Content-Security-Policy"/gi) === 1, 'one Content-Security-Policy meta of the expected form');
const b64 = (s) => crypto.createHash('sha256').update(Buffer.from(s, 'utf8')).digest('base64');
if (csp && jsM && cssM) {
	check(csp[1] === b64(jsM[1]), 'script-src hash matches the inline script');
	check(csp[2] === b64(cssM[1]), 'style-src hash matches the inline style');
	check(csp.index < html.indexOf('<style>') && html.indexOf('<meta charset="utf-8">') < csp.index,
		'the policy comes after the charset and before the style');
}

// Every tag outside the script and style bodies: known names, no
// handler, style or script-bearing attribute, links only to fragments.
if (dataM && jsM && cssM) {
	const markup = html.replace(dataM[1], '').replace(jsM[1], '').replace(cssM[1], '').replace(packRe, '');
	const allowed = new Set(('html head meta link title style body header div h1 h2 h3 p nav a noscript code ' +
		'main section ul li strong span br q time ol em pre button details summary dl dt dd table thead ' +
		'tbody tfoot tr th td label input select option article footer script').split(' '));
	const tagRe = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g;
	let m, bad = [];
	while ((m = tagRe.exec(markup)) !== null) {
		const name = m[2].toLowerCase(), attrs = m[3];
		if (!allowed.has(name)) bad.push('element ' + name);
		const attrRe = /\s([a-zA-Z-]+)(?:="([^"]*)")?/g;
		let a;
		while ((a = attrRe.exec(attrs)) !== null) {
			const an = a[1].toLowerCase(), av = a[2] || '';
			if (/^on/.test(an) || an === 'style' || an === 'src' || an === 'srcdoc' || an === 'action' || an === 'formaction')
				bad.push('attribute ' + an + ' on ' + name);
			if (an === 'href' && !(av.startsWith('#') || (name === 'link' && av === 'data:,')))
				bad.push('href ' + av);
			if (/javascript:/i.test(av)) bad.push('javascript: in ' + an);
		}
		if (/["']/.test(attrs.replace(/\s[a-zA-Z-]+="[^"]*"/g, '').replace(/\s[a-zA-Z-]+(?=\s|$)/g, '')))
			bad.push('stray quote in <' + name + attrs + '>');
	}
	check(bad.length === 0, 'no element, attribute or link the data could have added' +
		(bad.length ? ' (' + bad.slice(0, 5).join('; ') + ')' : ''));
	check(!/<img/i.test(html), 'no <img anywhere');
	check(!/<!--/.test(markup), 'no comment opener in the markup');
}

// The packed blocks: base64, raw DEFLATE, JSON (text for the search text).
const unpacked = {};
let packOk = true;
packs.forEach((p) => {
	try {
		if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.text)) throw new Error('not base64');
		const t = zlib.inflateRawSync(Buffer.from(p.text, 'base64')).toString('utf8');
		(unpacked[p.kind] || (unpacked[p.kind] = []))[p.k] = p.kind === 'x' ? t : JSON.parse(t);
	} catch (e) {
		packOk = false;
		console.log('  block imcq-' + p.kind + p.k + ': ' + e.message);
	}
});
check(packOk, 'every packed block is base64 of raw DEFLATE of JSON (or text)');
const kinds = Object.keys(unpacked).sort().join('');
check(Object.keys(unpacked).every((k) => 'dqirx'.includes(k) && unpacked[k].every((v) => v !== undefined) &&
	unpacked[k].length === packs.filter((p) => p.kind === k).length),
'the blocks are of known kinds (' + kinds + ') and numbered from 0');
const script = jsM ? jsM.index : -1;
check(packs.every((p) => ('rxq'.includes(p.kind) ? p.at < script : p.at > script)),
	'table rows and search text come before the script, inventory and details after it');
const joined = (k) => [].concat(...(unpacked[k] || []));
// the rows' blocks: queue, state and codes are numbers in the block's dict
const undict = (c) => {
	const dv = (v) => (typeof v === 'number' ? c.dict[v] : Array.isArray(v) ? v[0] : v);
	return Object.assign({}, c, { queue: c.queue.map(dv), state: c.state.map(dv), codes: c.codes.map((a) => a.map(dv)) });
};
const cols = (k) => {
	const out = {};
	(unpacked[k] || []).map(undict).forEach((c) => Object.keys(c).forEach((n) => {
		if (n !== 'dict') out[n] = (out[n] || []).concat(c[n]);
	}));
	return out;
};

let doc = null;
if (dataM) {
	const data = dataM[1];
	check(!/[<>&\u2028\u2029]/.test(data), 'the data block has < > & U+2028 U+2029 escaped');
	try {
		doc = JSON.parse(data);
	} catch (e) {
		doc = null;
	}
	check(doc && doc.schema === 'imcq.report/1' && doc.page && typeof doc.page.messages === 'number',
		'the data block is the report-wide part of the document');
}

// What report.js shows for a value: control characters as U+FFFD.
const CTRL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const shown = (v) => (typeof v === 'string' ? v.replace(CTRL, '\ufffd') : v === undefined ? null : v);
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const pick = (o, keys) => {
	if (!isObj(o)) return o;
	const r = {};
	Object.keys(o).forEach((k) => { if (keys.includes(k)) r[k] = o[k]; });
	return r;
};
const DETAIL = ['spool_id', 'format', 'queue', 'place', 'state', 'state_reason', 'size', 'queue_time',
	'queue_time_source', 'age_seconds', 'expires', 'priority', 'seen_in', 'sources', 'envelope', 'headers',
	'recipients', 'findings'];
function detailOf(m) {
	if (!isObj(m)) return m;
	const d = pick(m, DETAIL);
	if (Array.isArray(d.sources)) d.sources = d.sources.map((s) => pick(s, ['input', 'member', 'offset', 'size', 'sha256', 'mtime']));
	if ('envelope' in d) d.envelope = pick(d.envelope, ['mail_from', 'rcpt_to', 'helo', 'client_host', 'mts_id', 'source']);
	if ('headers' in d) d.headers = pick(d.headers, ['message_id', 'date', 'from', 'sender', 'reply_to', 'to', 'cc', 'bcc', 'subject', 'received']);
	return d;
}
function rcpts(m) {
	const e = isObj(m.envelope) ? m.envelope : {};
	if (Array.isArray(e.rcpt_to) && e.rcpt_to.length) return e.rcpt_to;
	if (Array.isArray(m.recipients) && m.recipients.length) return m.recipients.map((r) => (isObj(r) ? r.address : r));
	return isObj(m.headers) && Array.isArray(m.headers.to) ? m.headers.to : [];
}

if (doc && jsonFile) {
	const want = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
	const keys = ['schema', 'tool', 'reference_time', 'reference_source', 'inputs', 'summary', 'incident',
		'findings', 'snapshots', 'changes', 'anomalies'];
	const same = keys.every((k) => JSON.stringify(doc[k]) === JSON.stringify(want[k]));
	check(same, 'the data block holds report.json\'s report-wide members');
	const ms = want.messages || [];
	check(doc.page.messages === ms.length, 'the data block counts the messages of report.json (' + ms.length + ')');
	const r = cols('r');
	const bad = [];
	ms.forEach((m0, i) => {
		const m = isObj(m0) ? m0 : {};
		const h = isObj(m.headers) ? m.headers : {}, e = isObj(m.envelope) ? m.envelope : {};
		let from = e.mail_from === undefined || e.mail_from === null ? h.from : e.mail_from;
		from = from === '' ? '<>' : shown(from);
		const rc = rcpts(m);
		const row = { id: shown(m.spool_id), queue: shown(m.queue), state: shown(m.state), age: m.age_seconds === undefined ? null : m.age_seconds,
			size: m.size === undefined ? null : m.size, from: from === undefined ? null : from, to: rc.length ? shown(rc[0]) : null, nrc: rc.length,
			subject: shown(h.subject), codes: (m.findings || []).map((f) => shown(isObj(f) ? f.code : f)) };
		Object.keys(row).forEach((k) => {
			if (JSON.stringify(row[k]) !== JSON.stringify((r[k] || [])[i])) bad.push(i + '.' + k);
		});
	});
	check(bad.length === 0 && (r.id || []).length === ms.length,
		'the table rows are report.json\'s messages' + (bad.length ? ' (' + bad.slice(0, 5).join(', ') + ')' : ''));
	const hay = (unpacked.x || []).join('').split('\n');
	hay.pop();
	check(hay.length === ms.length && hay.every((l, i) => typeof (ms[i] || {}).spool_id !== 'string' ||
		l.includes(shown(ms[i].spool_id))),
		'one line of search text per message');
	const det = joined('d');
	const dbad = ms.map((m, i) => i).filter((i) => JSON.stringify(det[i]) !== JSON.stringify(detailOf(ms[i])));
	check(det.length === ms.length && dbad.length === 0,
		'the details are report.json\'s messages, cut to what the detail shows' + (dbad.length ? ' (' + dbad.slice(0, 5).join(', ') + ')' : ''));
	const inv = joined('i');
	const iw = (want.inventory || []).map((x) => ['input', 'member', 'kind', 'size', 'mtime', 'sha256'].map((k) =>
		(isObj(x) && x[k] !== undefined ? x[k] : null)));
	check(JSON.stringify(inv) === JSON.stringify(iw), 'the inventory is report.json\'s');
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
	.replace(/"/g, '&quot;').replace(/'/g, '&#39;');
expect.forEach((t) => check(html.includes(esc(t)), 'shown, escaped: ' + JSON.stringify(t)));

console.log(fails ? fails + ' failed' : 'all checks passed');
process.exit(fails ? 1 : 0);
