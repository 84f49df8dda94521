// SPDX-License-Identifier: MIT
// gen-report.js - a synthetic report document ("imcq.report/1") with n
// messages, for the paging, sorting and load-time tests of report.html.
// Deterministic (own PRNG). Every 997th subject carries hostile markup.
'use strict';

const STATES = [
	['awaiting-delivery', 'out', 60],
	['expired', 'out', 12],
	['awaiting-conversion', 'in', 8],
	['delivered', 'out', 5],
	['archived', 'out-archive', 8],
	['pickup', 'pickup', 3],
	['missing', 'out', 2],
	['damaged', 'out', 2],
];
const DOMAINS = ['fabrikam.com', 'northwind.example', 'contoso.com', 'tailspin.example',
	'wingtip.example', 'adventure-works.example', 'litware.example', 'proseware.example'];
const WORDS = ['invoice', 'order', 'meeting', 'report', 'forecast', 'price', 'list', 'update',
	'quarterly', 'ticket', 'newsletter', 'reminder', 'delivery', 'contract', 'draft', 'review'];
const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
	'</script><script>alert(2)</script>', 'line\u2028sep\u2029end', '<!--', '\u202eRLO'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function prng(seed) {
	let x = seed >>> 0 || 1;
	return function () {
		x ^= x << 13; x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5; x >>>= 0;
		return x / 4294967296;
	};
}

function hex64(rnd) {
	let s = '';
	for (let i = 0; i < 8; i++) s += (Math.floor(rnd() * 4294967296) >>> 0).toString(16).padStart(8, '0');
	return s;
}

function iso(t) {
	return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

// Spool ids: 8 characters, unique, sorted like the real report.
function spoolIds(n, rnd) {
	const seen = new Set();
	while (seen.size < n) {
		let s = '';
		for (let i = 0; i < 8; i++) s += ALNUM[Math.floor(rnd() * 36)];
		seen.add(s);
	}
	return Array.from(seen).sort();
}

function pickState(rnd) {
	let r = rnd() * 100;
	for (const s of STATES) {
		if (r < s[2]) return s;
		r -= s[2];
	}
	return STATES[0];
}

function generate(n, seed) {
	const rnd = prng(seed || 12345);
	const ref = Date.parse('2001-03-07T09:00:00Z') / 1000;
	const input = 'serverB-imcdata.zip';
	const ids = spoolIds(n, rnd);
	const messages = [];
	const inventory = [];
	const byState = {};
	STATES.forEach((s) => { byState[s[0]] = 0; });
	for (let i = 0; i < n; i++) {
		const [state, queue] = pickState(rnd);
		const id = ids[i];
		const age = Math.floor(rnd() * rnd() * 9 * 86400);
		const size = 400 + Math.floor(rnd() * rnd() * 200000);
		const dom = DOMAINS[Math.floor(rnd() * rnd() * DOMAINS.length)];
		const nr = 1 + Math.floor(rnd() * rnd() * 3);
		const rcpts = [];
		for (let k = 0; k < nr; k++) rcpts.push('user' + Math.floor(rnd() * 5000) + '@' + (k ? DOMAINS[Math.floor(rnd() * DOMAINS.length)] : dom));
		const from = rnd() < 0.05 ? '' : 'sender' + Math.floor(rnd() * 300) + '@contoso.com';
		let subject = WORDS[Math.floor(rnd() * WORDS.length)] + ' ' + WORDS[Math.floor(rnd() * WORDS.length)] + ' ' + (i % 37 === 0 ? 'needle ' : '') + Math.floor(rnd() * 10000);
		if (i % 997 === 0) subject = HOSTILE[(i / 997) % HOSTILE.length] + ' ' + subject;
		const qt = iso(ref - age);
		const member = 'Exchsrvr/IMCDATA/' + (queue === 'in' ? 'IN' : queue === 'out-archive' ? 'OUT/ARCHIVE' : queue === 'pickup' ? 'PICKUP' : 'OUT') + '/' + id;
		const sha = hex64(rnd);
		byState[state]++;
		const m = {
			spool_id: id, format: 'spool', queue, state,
			state_reason: state === 'expired' ? 'older than the 48 h time-out' : null,
			size: state === 'missing' ? null : size,
			queue_time: qt, queue_time_source: 'file mtime', age_seconds: age,
			sources: state === 'missing' ? [] : [{ input, member, offset: 0, size: size + 120, sha256: sha, mtime: qt }],
			envelope: {
				mail_from: from, rcpt_to: rcpts, helo: 'EXCHB', client_host: '10.1.1.12',
				mts_id: 'c=US;a= ;p=Contoso;l=EXCHB-' + (10000 + i), source: 'spool-header',
			},
			headers: {
				message_id: '<' + id.toLowerCase() + '@contoso.com>', date: qt,
				from: from || 'MAILER-DAEMON@contoso.com', to: rcpts.slice(0, 1), cc: [], subject,
				received: [{ from: 'EXCHB', by: 'exchb.contoso.com', with: 'SMTP', id, for: null, date: qt, date_raw: null }],
			},
			recipients: rcpts.map((a) => ({
				address: a, domain: a.slice(a.indexOf('@') + 1), status: state === 'delivered' ? 'delivered' : 'pending',
				route: { known: true, connector: 'Internet Mail Service (EXCHB)', server: 'EXCHB', address_space: 'SMTP:*', cost: 1, rule: 'address space', evidence: [] },
				evidence: [],
			})),
			findings: state === 'expired' || (state === 'awaiting-delivery' && age > 86400)
				? [{ code: 'STALE_ROUTING', severity: 'error', message: 'queued before the routing change', reference: 'Q268494', evidence: [] }]
				: [],
			seen_in: [0],
		};
		messages.push(m);
		if (state !== 'missing')
			inventory.push({ input, member, size: size + 120, sha256: sha, mtime: qt, kind: 'spool' });
	}
	const codes = {};
	messages.forEach((m) => m.findings.forEach((f) => { codes[f.code] = (codes[f.code] || 0) + 1; }));
	return {
		schema: 'imcq.report/1',
		tool: { name: 'imcq', version: '0.1.0' },
		reference_time: iso(ref),
		inputs: [{ path: input, kind: 'archive', size: 123456789, sha256: hex64(rnd) }],
		summary: { messages: n, by_state: byState, findings: codes },
		incident: null,
		findings: [],
		messages,
		queue_files: [],
		routing: { tables: [], decisions: [] },
		snapshots: [{ index: 0, inputs: [input], server: 'EXCHB', newest_time: iso(ref) }],
		changes: { appeared: [], disappeared: [], persisted: [] },
		inventory,
		anomalies: [],
	};
}

module.exports = { generate };

if (require.main === module) {
	const n = parseInt(process.argv[2] || '1000', 10);
	process.stdout.write(JSON.stringify(generate(n, 12345)));
}
