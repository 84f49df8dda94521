// SPDX-License-Identifier: MIT
// check-html.js - static checks of a report.html (used by
// tests/cli/t0600-html.sh): valid UTF-8; exactly the page's own two
// scripts and one style; a Content-Security-Policy whose hashes match
// them; no element, attribute or URL that the data could have smuggled
// in; a data block that cannot end its script element and holds the
// report document.
//   node check-html.js report.html [--json report.json] [--expect TEXT]...
'use strict';

const fs = require('fs');
const crypto = require('crypto');

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
check(count(/<script/gi) === 2 && count(/<\/script/gi) === 2, 'exactly two script elements');
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
	const markup = html.replace(dataM[1], '').replace(jsM[1], '').replace(cssM[1], '');
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

if (dataM) {
	const data = dataM[1];
	check(!/[<>&\u2028\u2029]/.test(data), 'the data block has < > & U+2028 U+2029 escaped');
	let doc = null;
	try {
		doc = JSON.parse(data);
	} catch (e) {
		doc = null;
	}
	if (check(doc && doc.schema === 'imcq.report/1', 'the data block is the report document') && jsonFile) {
		const want = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
		check(JSON.stringify(doc) === JSON.stringify(want), 'the data block equals report.json');
	}
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
	.replace(/"/g, '&quot;').replace(/'/g, '&#39;');
expect.forEach((t) => check(html.includes(esc(t)), 'shown, escaped: ' + JSON.stringify(t)));

console.log(fails ? fails + ' failed' : 'all checks passed');
process.exit(fails ? 1 : 0);
