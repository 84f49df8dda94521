/* SPDX-License-Identifier: MIT */
/*
 * report.js - the script of report.html (embedded by html.c; the page's
 * Content-Security-Policy admits it by its SHA-256).
 *
 * It reads the report-wide part of the document from the JSON block
 * #imcq-data and the rest from packed blocks (raw DEFLATE of JSON, in
 * base64; reports/html.c): the message table's columns (#imcq-rK), then,
 * when first needed, the messages' search text (#imcq-xK) and domains
 * (#imcq-qK), the inventory (#imcq-iK) and the detail of a block of
 * messages (#imcq-dK).  The last two follow this script in the page, so
 * they may still be on their way when it starts.  It makes the large tables
 * (messages, inventory, anomalies) sortable, filterable and paged,
 * rendering only the visible page; opens the detail of one message;
 * computes the queue shape when the document has none; and wires the copy
 * and "show" buttons.
 *
 * Every string of the document is hostile: the DOM is only ever written
 * with createElement and textContent (never innerHTML, never an attribute
 * built from data other than numbers), class names come from fixed lists.
 * Every member of the document is optional.
 */
(function () {
	'use strict';

	var root = document.documentElement;

	/* the data cannot be read (damaged, or a browser without
	 * DecompressionStream): the static page stays */
	function giveUp() {
		root.classList.remove('js');
		var note = document.createElement('p');
		note.className = 'noscript wrap';
		note.textContent = 'The report data embedded in this page could not be read ' +
			'by this browser: the tables show their first rows only. ' +
			'The complete report is in report.json.';
		document.body.insertBefore(note, document.querySelector('main'));
	}

	var D;
	try {
		D = JSON.parse(document.getElementById('imcq-data').textContent);
	} catch (e) {
		D = null;
	}
	if (!D || typeof D !== 'object' || typeof DecompressionStream !== 'function') {
		giveUp();
		return;
	}

	/* a packed block: base64 of raw DEFLATE of JSON (an array, or an object
	 * of arrays: columns), or of text (asText) */
	function unpack(el, asText) {
		var s = el.textContent, bytes, bin, n, i;
		if (typeof Uint8Array.fromBase64 === 'function') {
			bytes = Uint8Array.fromBase64(s);
		} else {
			bin = atob(s);
			n = bin.length;
			bytes = new Uint8Array(n);
			for (i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
		}
		return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')))
			.text().then(asText ? null : JSON.parse);
	}
	/* once the page is read to its end (the blocks after this script) */
	function parsed() {
		return new Promise(function (ok) {
			if (document.readyState !== 'loading') ok();
			else document.addEventListener('DOMContentLoaded', function () { ok(); });
		});
	}
	/* the blocks imcq-P0, imcq-P1, ... inflated and joined: arrays, or the
	 * columns named in cols (each block first through each(block)) */
	function unpackAll(prefix, cols, each) {
		var els = [], k, el;
		for (k = 0; (el = document.getElementById('imcq-' + prefix + k)); k++) els.push(el);
		return Promise.all(els.map(function (e) { return unpack(e, false); })).then(function (parts) {
			if (!cols) return Array.prototype.concat.apply([], parts.filter(Array.isArray));
			var out = {};
			parts = parts.map(function (p) { return isObj(p) ? (each ? each(p) : p) : {}; });
			cols.forEach(function (c) {
				out[c] = Array.prototype.concat.apply([], parts.map(function (p) {
					return p && Array.isArray(p[c]) ? p[c] : [];
				}));
			});
			return out;
		});
	}

	var STATES = ['awaiting-delivery', 'awaiting-conversion', 'expired',
		'delivered', 'missing', 'archived', 'pickup', 'damaged'];
	var QUEUES = ['out', 'in', 'out-archive', 'in-archive', 'pickup',
		'pickup-archive', 'work', 'other'];
	var SEVERITIES = ['error', 'warning', 'info'];
	var QUEUED = { 'awaiting-delivery': 1, 'awaiting-conversion': 1,
		'expired': 1, 'delivered': 1, 'pickup': 1 };
	var CODE_WORDS = {
		STALE_ROUTING: 'The mail server is working from an out-of-date copy of its routing table, so mail queued under the old routes can never leave until the queue is rebuilt.',
		NO_ROUTE: 'No route covers some recipients: the routing table has no entry for their domain.',
		NO_DELIVERY_ATTEMPT: 'The server never even tried to deliver these messages: the logs show no attempt since they were queued.',
		NOT_IN_QUEUE_DAT: 'Message files are on disk but the queue index (Queue.dat) does not list them, so the service ignores them.',
		MISSING_SPOOL_FILE: 'The queue index or a log names messages whose files are gone: they may be lost.',
		DUPLICATE_RISK: 'The same message is in several places, or was already delivered: re-sending blindly would deliver it twice.',
		EXPIRED: 'Messages passed the delivery time-out without a non-delivery report: their senders do not know they failed.',
		BCC_IN_ENVELOPE: 'Some recipients are only in the envelope (blind copies). This is normal and listed for completeness.',
		LOOP_SUSPECTED: 'Messages went through too many servers, which suggests a mail loop.',
		OVERSIZED: 'Messages are larger than the configured size limit.',
		DNS_FAILURE: 'The server could not look up the destination in DNS.',
		SMART_HOST_FAILURE: 'The relay server (smart host) that this server forwards mail to failed or refused the mail.',
		REMOTE_REJECT: 'The receiving servers refused the mail.',
		CORRUPT_QUEUE_DAT: 'The queue index Queue.dat is damaged or inconsistent.'
	};
	/* qshape buckets, as reports/summary.c: 5 minutes, doubling */
	var BUCKETS = [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 0];

	/* ---- small helpers ---- */

	function $(id) { return document.getElementById(id); }
	function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
	function arr(v) { return Array.isArray(v) ? v : []; }
	function obj(v) { return isObj(v) ? v : {}; }
	function isInt(v) { return typeof v === 'number' && isFinite(v) && Math.floor(v) === v; }
	/* maps keyed by data (a domain may be "__proto__"): no prototype */
	function dict() { return Object.create(null); }
	function has(o, k) { return isObj(o) && Object.prototype.hasOwnProperty.call(o, k); }
	/* a member with something to show: not null, not "", not [] */
	function present(o, k) {
		if (!has(o, k)) return false;
		var v = o[k];
		return !(v === null || v === '' || (Array.isArray(v) && !v.length));
	}

	/* control characters shown as U+FFFD, as html.c does */
	var CTRL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

	/* Any value as text: arrays joined by ", ", objects as JSON. */
	function txt(v) {
		if (v === null || v === undefined) return '';
		if (typeof v === 'string') return v.replace(CTRL, '\ufffd');
		if (typeof v === 'number' || typeof v === 'boolean') return String(v);
		if (Array.isArray(v)) return v.map(txt).join(', ');
		return JSON.stringify(v).replace(CTRL, '\ufffd');
	}

	function E(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null && text !== '') e.textContent = text;
		return e;
	}
	function add(p, c) { p.appendChild(c); return c; }
	function T(p, s) { p.appendChild(document.createTextNode(s)); return p; }

	function fmtCount(n) {
		if (!isInt(n)) return txt(n);
		var s = String(Math.abs(n)), out = '', i;
		for (i = 0; i < s.length; i++) {
			if (i > 0 && (s.length - i) % 3 === 0) out += ',';
			out += s.charAt(i);
		}
		return (n < 0 ? '-' : '') + out;
	}
	function pad2(n) { return n < 10 ? '0' + n : String(n); }
	function fmtAge(s) {
		if (!isInt(s)) return '';
		var sign = '';
		if (s < 0) { sign = '-'; s = -s; }
		if (s < 60) return sign + s + 's';
		if (s < 3600) return sign + Math.floor(s / 60) + 'm';
		if (s < 86400) return sign + Math.floor(s / 3600) + 'h ' + pad2(Math.floor(s % 3600 / 60)) + 'm';
		return sign + Math.floor(s / 86400) + 'd ' + pad2(Math.floor(s % 86400 / 3600)) + 'h';
	}
	function fmtSize(n) {
		if (!isInt(n) || n < 0) return '';
		if (n < 1024) return n + ' B';
		var u = ['KB', 'MB', 'GB', 'TB'], d = 1024, k = 0, t;
		while (k < 3 && n >= d * 1024) { d *= 1024; k++; }
		t = Math.floor((n * 10 + d / 2) / d);
		return Math.floor(t / 10) + '.' + (t % 10) + ' ' + u[k];
	}

	function stateBadge(s) {
		var st = txt(s);
		return E('span', 'st st-' + (STATES.indexOf(st) >= 0 ? st : 'other'), st);
	}
	function sevBadge(s) {
		var sv = txt(s);
		return E('span', 'sev sev-' + (SEVERITIES.indexOf(sv) >= 0 ? sv : 'other'), sv || '?');
	}
	function sevRank(s) {
		var i = SEVERITIES.indexOf(s);
		return i < 0 ? 3 : i;
	}

	/* ---- the messages: columns (html.c message_cols) ---- */

	/*
	 * M.id[i], queue, state, from, to, subject: text as shown (strings
	 * with control characters replaced already; other values as in the
	 * document); age, size: as in the document; nrc: recipients; codes:
	 * finding codes.  ROWS: the message indices, the table's rows.
	 */
	var COLS = ['id', 'queue', 'state', 'age', 'size', 'from', 'to', 'nrc', 'subject', 'codes'];
	var M = {}, ROWS = [];

	function disp(v) { return typeof v === 'string' ? v : txt(v); }

	/* a block's queue, state and codes: numbers of strings in its dict,
	 * strings, or [any other value] */
	function undict(p) {
		var d = arr(p.dict);
		function dv(v) { return typeof v === 'number' ? disp(d[v]) : Array.isArray(v) ? txt(v[0]) : disp(v); }
		p.queue = arr(p.queue).map(dv);
		p.state = arr(p.state).map(dv);
		p.codes = arr(p.codes).map(function (a) { return arr(a).map(dv); });
		return p;
	}

	function setColumns(c) {
		var n = c.id.length, i;
		COLS.forEach(function (k) {
			if (c[k].length !== n) throw new Error('damaged message table');
		});
		M.id = c.id.map(disp);
		M.queue = c.queue;
		M.state = c.state;
		M.age = c.age.map(function (v) { return isInt(v) ? v : null; });
		M.size = c.size.map(function (v) { return isInt(v) ? v : null; });
		M.from = c.from.map(disp);
		M.to = c.to.map(disp);
		M.nrc = c.nrc.map(function (v) { return isInt(v) ? v : 0; });
		M.subject = c.subject.map(disp);
		M.codes = c.codes;
		ROWS = new Array(n);
		for (i = 0; i < n; i++) ROWS[i] = i;
	}

	/*
	 * The search text (#imcq-xK): a line per message, read and lower-cased
	 * at the first text filter.  Until then, or if it cannot be read, the
	 * table's own columns stand in.
	 */
	var HAY = null, HAYX = null, HAYP = null;
	function loadHay() {
		var els = [], k, el;
		if (HAYP) return HAYP;
		for (k = 0; (el = document.getElementById('imcq-x' + k)); k++) els.push(el);
		return HAYP = Promise.all(els.map(function (e) { return unpack(e, true); })).then(function (t) {
			var lines = t.join('').toLowerCase().split('\n');
			lines.pop();
			HAYX = lines.length === ROWS.length ? lines : [];
		}, function () { HAYX = []; }).then(function () { HAY = null; });
	}
	function haystack(i) {
		if (HAYX && HAYX.length) return HAYX[i];
		if (!HAY) HAY = new Array(ROWS.length);
		if (HAY[i] === undefined)
			HAY[i] = [M.id[i], M.queue[i], M.state[i], M.from[i], M.subject[i], M.to[i]]
				.join('\n').toLowerCase();
		return HAY[i];
	}

	/* recipients[].domain, else the recipients' text after their last @
	 * (#imcq-qK, only when the document has no queue shape) */
	function domainsOf(i, doms) {
		var seen = dict(), out = [];
		arr(doms[i]).forEach(function (d0) {
			var d = typeof d0 === 'string' ? d0.toLowerCase() : '';
			if (d && !seen[d]) { seen[d] = 1; out.push(d); }
		});
		return out;
	}

	/* report-wide findings name messages by spool id */
	var FINDING_IDS = dict();
	arr(D.findings).forEach(function (f) {
		var c = txt(obj(f).code);
		if (!c) return;
		var set = FINDING_IDS[c] || (FINDING_IDS[c] = dict());
		arr(obj(f).spool_ids).forEach(function (id) { set[txt(isObj(id) ? id.spool_id : id)] = 1; });
	});

	/* ---- a paged, sortable, filterable table ---- */

	function words(q) {
		return q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
	}

	/*
	 * opts: prefix (ids: P-body, P-foot, P-pager, P-q, P-size), cols
	 * [{label, num, cls, val(row) -> text, key(row) -> sort key,
	 * cell(td, row)}], rows, what ("messages"), hay(i) -> lower-case text,
	 * selects {name: {values, test(row, value)}}, onOpen(i), before(text)
	 * -> null, or a promise to wait for before filtering (text: whether
	 * the text filter is used).
	 */
	function Pager(opts) {
		var self = this;
		this.o = opts;
		this.rows = opts.rows;
		this.order = null;		/* all indices in sort order */
		this.view = null;		/* filtered indices */
		this.page = 0;
		this.size = 100;
		this.sortCol = -1;
		this.dir = 1;
		this.body = $(opts.prefix + '-body');
		this.foot = $(opts.prefix + '-foot');
		this.pagerEl = $(opts.prefix + '-pager');
		this.q = $(opts.prefix + '-q');
		this.sizeSel = $(opts.prefix + '-size');
		this.sel = {};
		if (!this.body) return;
		this.table = this.body.parentNode;
		this.buildHead();
		Object.keys(opts.selects || {}).forEach(function (name) {
			var el = $(opts.prefix + '-' + name), spec = opts.selects[name];
			if (!el) return;
			spec.values.forEach(function (v) {
				var o = E('option', null, v);
				o.value = v;
				el.appendChild(o);
			});
			self.sel[name] = el;
			el.addEventListener('change', function () { self.refilter(); });
		});
		if (this.q) {
			var timer = null;
			this.q.addEventListener('input', function () {
				clearTimeout(timer);
				timer = setTimeout(function () { self.refilter(); }, 120);
			});
		}
		if (this.sizeSel) {
			this.sizeSel.addEventListener('change', function () {
				self.size = parseInt(self.sizeSel.value, 10) || 100;
				self.page = 0;
				self.render();
			});
		}
		this.body.addEventListener('click', function (ev) {
			var tr = ev.target.closest ? ev.target.closest('tr') : null;
			if (tr && tr.dataset.i !== undefined && opts.onOpen) opts.onOpen(+tr.dataset.i);
		});
		this.body.addEventListener('keydown', function (ev) {
			var tr = ev.target;
			if ((ev.key === 'Enter' || ev.key === ' ') && tr.dataset && tr.dataset.i !== undefined && opts.onOpen) {
				ev.preventDefault();
				opts.onOpen(+tr.dataset.i);
			}
		});
		this.resetOrder();
		this.view = this.order;
		this.render();
	}

	Pager.prototype.buildHead = function () {
		var self = this, thead = this.table.tHead, tr = E('tr');
		this.ths = [];
		this.o.cols.forEach(function (c, k) {
			var th = E('th', c.num ? 'num' : null), b = E('button', 'sort', c.label);
			b.type = 'button';
			b.title = 'Sort by ' + c.label;
			b.addEventListener('click', function () { self.sortBy(k); });
			th.appendChild(b);
			th.setAttribute('aria-sort', 'none');
			tr.appendChild(th);
			self.ths.push(th);
		});
		thead.textContent = '';
		thead.appendChild(tr);
	};

	Pager.prototype.resetOrder = function () {
		var n = this.rows.length, a = new Array(n), i;
		for (i = 0; i < n; i++) a[i] = i;
		this.order = a;
	};

	/*
	 * The order of keys (integers or null) as sortBy wants it, by the
	 * browser's own sort of numbers: each key and its index are one number,
	 * key * n + index.  null when a key is not a small enough integer.
	 */
	function sortInts(keys, dir) {
		var n = keys.length, packed = new Float64Array(n), rest = [], m = 0, i, v, out;
		for (i = 0; i < n; i++) {
			v = keys[i];
			if (v === null) { rest.push(i); continue; }
			if (Math.floor(v) !== v || Math.abs(v) > 9007199254740991 / (n + 1) - 1) return null;
			packed[m++] = dir * v * n + i;
		}
		packed = packed.subarray(0, m).sort();
		out = new Array(n);
		for (i = 0; i < m; i++) {
			v = packed[i] - Math.floor(packed[i] / n) * n;	/* exact: integers */
			out[i] = v < 0 ? v + n : v >= n ? v - n : v;
		}
		for (i = 0; i < rest.length; i++) out[m + i] = rest[i];
		return out;
	}

	Pager.prototype.sortBy = function (k) {
		var c = this.o.cols[k], rows = this.rows, keys, dir, i, n = rows.length;
		if (this.sortCol === k) this.dir = -this.dir;
		else { this.sortCol = k; this.dir = 1; }
		dir = this.dir;
		keys = new Array(n);
		for (i = 0; i < n; i++) {
			var v = (c.key || c.val)(rows[i]);
			keys[i] = c.num ? (typeof v === 'number' && isFinite(v) ? v : null) : String(v);
		}
		/* missing values last in both directions; ties keep document order */
		this.order = c.num ? sortInts(keys, dir) : null;
		if (!this.order) {
			this.resetOrder();
			this.order.sort(function (a, b) {
				var x = keys[a], y = keys[b];
				if (x === null || y === null) {
					if (x === y) return a - b;
					return x === null ? 1 : -1;
				}
				if (x < y) return -dir;
				if (x > y) return dir;
				return a - b;
			});
		}
		this.ths.forEach(function (th, j) {
			th.setAttribute('aria-sort', j === k ? (dir > 0 ? 'ascending' : 'descending') : 'none');
		});
		this.refilter(true);
	};

	Pager.prototype.refilter = function (keepPage) {
		var self = this, ws = this.q ? words(this.q.value) : [], tests = [], wait;
		/* what the text filter reads may have to be fetched first */
		wait = this.o.before ? this.o.before(ws.length > 0) : null;
		if (wait) {
			wait.then(function () { self.refilter(keepPage); });
			return;
		}
		Object.keys(this.sel).forEach(function (name) {
			var v = self.sel[name].value;
			if (v !== '') tests.push([self.o.selects[name].test, v]);
		});
		if (!ws.length && !tests.length) {
			this.view = this.order;
		} else {
			var rows = this.rows, hay = this.o.hay;
			this.view = this.order.filter(function (i) {
				var r = rows[i], k, h;
				for (k = 0; k < tests.length; k++)
					if (!tests[k][0](r, tests[k][1])) return false;
				if (ws.length) {
					h = hay(i);
					for (k = 0; k < ws.length; k++)
						if (h.indexOf(ws[k]) < 0) return false;
				}
				return true;
			});
		}
		if (!keepPage) this.page = 0;
		this.render();
	};

	Pager.prototype.pages = function () {
		return Math.max(1, Math.ceil(this.view.length / this.size));
	};

	Pager.prototype.go = function (p) {
		this.page = Math.min(Math.max(0, p), this.pages() - 1);
		this.render();
	};

	Pager.prototype.render = function () {
		var o = this.o, v = this.view, n = v.length, from, to, frag, k, tr, i;
		if (this.page >= this.pages()) this.page = this.pages() - 1;
		from = this.page * this.size;
		to = Math.min(n, from + this.size);
		frag = document.createDocumentFragment();
		for (k = from; k < to; k++) {
			i = v[k];
			tr = E('tr');
			tr.dataset.i = String(i);
			if (o.onOpen) tr.tabIndex = 0;
			if (o.selected === i) tr.className = 'sel';
			o.cols.forEach(function (c) {
				var td = E('td', c.cls || (c.num ? 'num' : null));
				if (c.cell) c.cell(td, this.rows[i]);
				else td.textContent = c.val(this.rows[i]);
				tr.appendChild(td);
			}, this);
			frag.appendChild(tr);
		}
		this.body.textContent = '';
		this.body.appendChild(frag);
		if (this.foot) {
			var msg;
			if (n === 0) msg = this.rows.length ? 'No ' + o.what + ' match the filter' : 'No ' + o.what + '.';
			else msg = 'Showing ' + fmtCount(from + 1) + '\u2013' + fmtCount(to) + ' of ' + fmtCount(n) + ' ' + o.what;
			if (n !== this.rows.length) msg += ' (filtered from ' + fmtCount(this.rows.length) + ')';
			this.foot.textContent = msg;
			this.foot.dataset.count = String(n);
			this.foot.dataset.total = String(this.rows.length);
			this.foot.dataset.page = String(this.page);
		}
		this.renderPager();
	};

	Pager.prototype.renderPager = function () {
		var self = this, el = this.pagerEl, np = this.pages(), inp;
		if (!el) return;
		el.textContent = '';
		if (this.view.length <= this.size) return;
		function btn(label, p, dis, name) {
			var b = E('button', null, label);
			b.type = 'button';
			b.disabled = dis;
			b.dataset.go = name;
			b.addEventListener('click', function () { self.go(p); });
			el.appendChild(b);
		}
		btn('\u00ab First', 0, this.page === 0, 'first');
		btn('\u2039 Previous', this.page - 1, this.page === 0, 'prev');
		var pos = add(el, E('span', 'pos'));
		T(pos, 'Page ');
		inp = add(pos, E('input'));
		inp.type = 'number';
		inp.min = '1';
		inp.max = String(np);
		inp.value = String(this.page + 1);
		inp.setAttribute('aria-label', 'Page number');
		inp.addEventListener('change', function () {
			var p = parseInt(inp.value, 10);
			if (p >= 1) self.go(p - 1);
		});
		T(pos, ' of ' + fmtCount(np));
		btn('Next \u203a', this.page + 1, this.page >= np - 1, 'next');
		btn('Last \u00bb', np - 1, this.page >= np - 1, 'last');
	};

	/* show the page holding index i and mark its row */
	Pager.prototype.reveal = function (i) {
		var k = this.view.indexOf(i);
		this.o.selected = i;
		if (k >= 0) this.page = Math.floor(k / this.size);
		this.render();
	};

	function distinct(values, preferred) {
		var seen = dict(), out = [];
		(preferred || []).forEach(function (v) { seen[v] = 0; });
		values.forEach(function (v) {
			if (v === '') return;
			if (seen[v] === undefined) { seen[v] = 1; out.push(v); }
			else if (seen[v] === 0) seen[v] = 2;
		});
		var pre = (preferred || []).filter(function (v) { return seen[v] === 2; });
		return pre.concat(out.sort());
	}

	/* ---- 5. the message table ---- */

	function codeValues() {
		var seen = dict();
		M.codes.forEach(function (cs) { cs.forEach(function (c) { seen[c] = 1; }); });
		Object.keys(FINDING_IDS).forEach(function (c) { seen[c] = 1; });
		Object.keys(obj(obj(D.summary).findings)).forEach(function (c) { seen[c] = 1; });
		return Object.keys(seen).filter(function (c) { return c !== ''; }).sort();
	}

	var msgTable = null;
	function initMessages() {
		msgTable = new Pager({
			prefix: 'msg',
			what: 'messages',
			rows: ROWS,
			hay: haystack,
			cols: [
				{ label: 'Spool ID', cls: 'mono', val: function (i) { return M.id[i]; } },
				{ label: 'Queue', val: function (i) { return M.queue[i]; } },
				{ label: 'State', val: function (i) { return M.state[i]; },
					cell: function (td, i) { if (M.state[i]) td.appendChild(stateBadge(M.state[i])); } },
				{ label: 'Age', num: true, key: function (i) { return M.age[i]; },
					val: function (i) { return fmtAge(M.age[i]); } },
				{ label: 'Size', num: true, key: function (i) { return M.size[i]; },
					cell: function (td, i) {
						td.textContent = fmtSize(M.size[i]);
						if (M.size[i] !== null) td.title = fmtCount(M.size[i]) + ' bytes';
					} },
				{ label: 'From', cls: 'addr', val: function (i) { return M.from[i]; } },
				{ label: 'To', cls: 'addr', key: function (i) { return M.to[i]; },
					cell: function (td, i) {
						td.textContent = M.to[i];
						if (M.nrc[i] > 1) { T(td, ' '); td.appendChild(E('span', 'more', '+' + (M.nrc[i] - 1))); }
					} },
				{ label: 'Subject', cls: 'subj', val: function (i) { return M.subject[i]; } },
				{ label: 'Findings', val: function (i) { return M.codes[i].join(', '); } }
			],
			selects: {
				state: { values: distinct(M.state, STATES),
					test: function (i, v) { return M.state[i] === v; } },
				queue: { values: distinct(M.queue, QUEUES),
					test: function (i, v) { return M.queue[i] === v; } },
				finding: { values: codeValues(),
					test: function (i, v) {
						return M.codes[i].indexOf(v) >= 0 || !!(FINDING_IDS[v] && FINDING_IDS[v][M.id[i]]);
					} }
			},
			/* the search text comes with the first text filter */
			before: function (q) {
				if (!q || HAYX) return null;
				return loadHay();
			},
			onOpen: function (i) { openMessage(i, true); }
		});
	}

	/* ---- 6. message detail ---- */

	var detailBody = $('detail-body'), detailSec = $('detail'), shown = -1;

	function kv(dl, k, v) {
		var dd;
		if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) return null;
		add(dl, E('dt', null, k));
		dd = add(dl, E('dd'));
		if (v instanceof Node) dd.appendChild(v);
		else dd.textContent = txt(v);
		return dd;
	}

	function table(headers, rows, cls) {
		var wrap = E('div', 'scroll'), t = add(wrap, E('table', cls || 'generic')),
			tr = add(add(t, E('thead')), E('tr')), tb = add(t, E('tbody'));
		headers.forEach(function (h) { add(tr, E('th', h.num ? 'num' : null, h.label || h)); });
		rows.forEach(function (r) {
			var row = add(tb, E('tr'));
			r.forEach(function (c, k) {
				var h = headers[k], td = add(row, E('td', h.cls || (h.num ? 'num' : null)));
				if (c instanceof Node) td.appendChild(c);
				else td.textContent = txt(c);
			});
		});
		return wrap;
	}

	function whereText(ev) {
		var s = txt(present(ev, 'member') ? ev.member : ev.input);
		if (isInt(ev.line)) s += ', line ' + ev.line;
		else if (isInt(ev.offset)) s += ', offset ' + ev.offset;
		return s;
	}

	function evidenceNode(list) {
		var ul = E('ul', 'plain');
		arr(list).forEach(function (ev) {
			var li = add(ul, E('li'));
			if (!isObj(ev)) { li.textContent = txt(ev); return; }
			add(li, E('span', 'mono', whereText(ev)));
			if (present(ev, 'excerpt')) { T(li, ': '); add(li, E('q', 'mono', txt(ev.excerpt))); }
		});
		return ul;
	}

	function evidenceTable(list) {
		return table([{ label: 'Input', cls: 'mono' }, { label: 'Member', cls: 'mono' },
			{ label: 'Offset', num: true }, { label: 'Line', num: true }, { label: 'Excerpt', cls: 'excerpt mono' }],
		arr(list).map(function (ev) {
			ev = obj(ev);
			return [ev.input, ev.member, ev.offset, ev.line, ev.excerpt];
		}), 'evidence');
	}

	function findingCard(f) {
		f = obj(f);
		var sv = txt(f.severity), a = E('article', 'finding sev-' + (SEVERITIES.indexOf(sv) >= 0 ? sv : 'other')),
			h = add(a, E('h3'));
		h.appendChild(sevBadge(f.severity));
		T(h, ' ');
		add(h, E('code', null, txt(f.code)));
		if (present(f, 'reference')) { T(h, ' '); add(h, E('span', 'kb', 'Microsoft KB ' + txt(f.reference))); }
		if (typeof f.code === 'string' && has(CODE_WORDS, f.code)) add(a, E('p', 'plainwords', CODE_WORDS[f.code]));
		if (present(f, 'message')) add(a, E('p', null, txt(f.message)));
		if (present(f, 'action')) {
			var p = add(a, E('p', 'action'));
			add(p, E('strong', null, 'What to do: '));
			T(p, txt(f.action));
		}
		if (arr(f.evidence).length) a.appendChild(evidenceTable(f.evidence));
		return a;
	}

	function routeText(rt) {
		if (!isObj(rt)) return txt(rt);
		var parts = [], named = ['known', 'connector', 'server', 'address_space', 'cost', 'rule', 'host', 'ims_rule', 'evidence'];
		if (present(rt, 'connector')) parts.push(txt(rt.connector));
		if (present(rt, 'server')) parts.push('via ' + txt(rt.server));
		if (present(rt, 'address_space')) parts.push('address space ' + txt(rt.address_space));
		if (present(rt, 'cost')) parts.push('cost ' + txt(rt.cost));
		if (present(rt, 'rule')) parts.push('rule: ' + txt(rt.rule));
		if (present(rt, 'host')) parts.push('host ' + txt(rt.host));
		if (present(rt, 'ims_rule')) parts.push('IMS: ' + txt(rt.ims_rule));
		Object.keys(rt).forEach(function (k) {
			if (named.indexOf(k) < 0 && present(rt, k)) parts.push(k + ' ' + txt(rt[k]));
		});
		if (!parts.length && rt.known === false) return 'no route known';
		return parts.join(', ');
	}

	/* a Received header, as read: "from X by Y with Z id I for F; date" */
	function hopText(h) {
		if (!isObj(h)) return txt(h);
		if (present(h, 'raw')) return txt(h.raw);
		var s = [];
		['from', 'by', 'with', 'id', 'for'].forEach(function (k) {
			if (present(h, k)) s.push(k + ' ' + txt(h[k]));
		});
		var d = present(h, 'date_raw') ? h.date_raw : h.date;
		return s.join(' ') + (present(h, 'date_raw') || present(h, 'date') ? '; ' + txt(d) : '') +
			(present(h, 'date') && present(h, 'date_raw') ? '  (' + txt(h.date) + ')' : '');
	}

	var KNOWN = ['spool_id', 'queue', 'state', 'state_reason', 'size', 'sources', 'envelope',
		'headers', 'recipients', 'findings', 'seen_in', 'queue_time', 'queue_time_source', 'age_seconds'];

	/* m0: the message's detail record (html.c detail_json), or undefined */
	function renderDetail(i, m0) {
		var m = obj(m0), env = obj(m.envelope), hd = obj(m.headers), frag = document.createDocumentFragment(),
			title = add(frag, E('div', 'dtitle')), nav, dl, other, k;
		add(title, E('span', 'big', txt(m.spool_id) || M.id[i] || '(no spool id)'));
		if (present(m, 'state')) title.appendChild(stateBadge(m.state));
		if (present(m, 'queue')) add(title, E('span', 'muted', 'queue ' + txt(m.queue)));
		nav = add(title, E('span', 'dnav'));
		var pos = msgTable.view.indexOf(i);
		[['\u2039 Previous', pos - 1, 'prev'], ['Next \u203a', pos + 1, 'next'], ['Close', -2, 'close']].forEach(function (b) {
			var el = add(nav, E('button', null, b[0]));
			el.type = 'button';
			el.dataset.act = b[2];
			if (b[1] === -2) el.addEventListener('click', closeDetail);
			else {
				el.disabled = pos < 0 || b[1] < 0 || b[1] >= msgTable.view.length;
				el.addEventListener('click', function () { openMessage(msgTable.view[b[1]], true); });
			}
		});

		if (m0 === undefined)
			add(frag, E('p', 'muted', 'The detail of this message could not be read from this page; it is in report.json.'));
		add(frag, E('h3', null, 'Summary'));
		dl = add(frag, E('dl', 'kv'));
		kv(dl, 'State', present(m, 'state') ? txt(m.state) + (present(m, 'state_reason') ? ': ' + txt(m.state_reason) : '') : null);
		kv(dl, 'Size', isInt(m.size) ? fmtCount(m.size) + ' bytes (' + fmtSize(m.size) + ')' : m.size);
		kv(dl, 'Queued', present(m, 'queue_time') ? txt(m.queue_time) + (present(m, 'queue_time_source') ? ' (from ' + txt(m.queue_time_source) + ')' : '') : null);
		kv(dl, 'Age', isInt(m.age_seconds) ? fmtAge(m.age_seconds) + ' (' + fmtCount(m.age_seconds) + ' s)' : m.age_seconds);
		kv(dl, 'Seen in snapshots', m.seen_in);

		add(frag, E('h3', null, 'Envelope'));
		dl = add(frag, E('dl', 'kv'));
		kv(dl, 'MAIL FROM', env.mail_from === '' ? '<> (null sender)' : env.mail_from);
		if (arr(env.rcpt_to).length) {
			var ul = E('ul', 'plain');
			env.rcpt_to.forEach(function (r) { add(ul, E('li', 'mono', txt(r))); });
			kv(dl, 'RCPT TO (' + env.rcpt_to.length + ')', ul);
		}
		kv(dl, 'HELO', env.helo);
		kv(dl, 'Client host', env.client_host);
		kv(dl, 'MTS-ID', env.mts_id);
		kv(dl, 'Read from', env.source);
		for (k in env)
			if (has(env, k) && ['mail_from', 'rcpt_to', 'helo', 'client_host', 'mts_id', 'source'].indexOf(k) < 0)
				kv(dl, k, env[k]);
		if (!dl.firstChild) add(dl, E('dd', 'muted', 'No envelope was read.'));

		add(frag, E('h3', null, 'Headers'));
		dl = add(frag, E('dl', 'kv'));
		[['Message-ID', 'message_id'], ['Date', 'date'], ['From', 'from'], ['Sender', 'sender'],
			['To', 'to'], ['Cc', 'cc'], ['Subject', 'subject']].forEach(function (p) { kv(dl, p[0], hd[p[1]]); });
		for (k in hd)
			if (has(hd, k) && ['message_id', 'date', 'from', 'sender', 'to', 'cc', 'subject', 'received'].indexOf(k) < 0)
				kv(dl, k, hd[k]);
		if (!dl.firstChild) add(dl, E('dd', 'muted', 'No header was read.'));

		var hops = arr(hd.received);
		add(frag, E('h3', null, 'Received hops (' + hops.length + ', newest first as in the message)'));
		if (hops.length) {
			var ol = add(frag, E('ol', 'hops'));
			hops.forEach(function (h) { add(ol, E('li', null, hopText(h))); });
		} else add(frag, E('p', 'muted', 'None.'));

		var rcs = arr(m.recipients);
		add(frag, E('h3', null, 'Recipients (' + rcs.length + ')'));
		if (rcs.length) {
			frag.appendChild(table([{ label: 'Address', cls: 'mono' }, { label: 'Domain', cls: 'mono' },
				'Status', 'Route', 'Evidence'],
			rcs.map(function (r) {
				r = obj(r);
				var ev = arr(r.evidence).concat(arr(obj(r.route).evidence));
				return [r.address, r.domain, r.status, routeText(r.route),
					ev.length ? evidenceNode(ev) : ''];
			})));
		} else add(frag, E('p', 'muted', 'None.'));

		/* its own findings, and the report-wide ones that name it */
		var fs = arr(m.findings).concat(arr(D.findings).filter(function (f) {
			return arr(obj(f).spool_ids).some(function (id) {
				return txt(isObj(id) ? id.spool_id : id) === M.id[i];
			});
		}));
		add(frag, E('h3', null, 'Findings (' + fs.length + ')'));
		if (fs.length) fs.slice().sort(function (a, b) {
			return sevRank(obj(a).severity) - sevRank(obj(b).severity);
		}).forEach(function (f) { frag.appendChild(findingCard(f)); });
		else add(frag, E('p', 'muted', 'None.'));

		var src = arr(m.sources);
		add(frag, E('h3', null, 'Sources (' + src.length + ')'));
		if (src.length) {
			frag.appendChild(table([{ label: 'Input', cls: 'mono' }, { label: 'Member', cls: 'mono' },
				{ label: 'Offset', num: true }, { label: 'Size', num: true }, 'Modified', { label: 'SHA-256', cls: 'hash' }],
			src.map(function (s) {
				s = obj(s);
				return [s.input, s.member, s.offset, isInt(s.size) ? fmtCount(s.size) : s.size, s.mtime, s.sha256];
			})));
		} else add(frag, E('p', 'muted', 'None.'));

		other = Object.keys(m).filter(function (x) { return KNOWN.indexOf(x) < 0; });
		if (other.length) {
			add(frag, E('h3', null, 'Other facts'));
			dl = add(frag, E('dl', 'kv'));
			other.forEach(function (x) { kv(dl, x, m[x]); });
		}

		var det = add(frag, E('details'));
		add(det, E('summary', null, 'The record as JSON (what this page holds; the complete record, with MIME parts and raw bytes, is in report.json)'));
		add(det, E('pre', 'raw', JSON.stringify(m0 === undefined ? null : m0, null, 2)));

		detailBody.textContent = '';
		detailBody.appendChild(frag);
	}

	/*
	 * The details come in blocks of page.detail_chunk messages, inflated
	 * when one of their messages is opened; the last few stay parsed, so
	 * that Previous and Next answer at once.
	 */
	var DCHUNK = isInt(obj(D.page).detail_chunk) && D.page.detail_chunk > 0 ? D.page.detail_chunk : 256;
	var dcache = dict(), dorder = [];
	function withDetail(i, cb) {
		var k = Math.floor(i / DCHUNK), el;
		if (dcache[k]) { cb(dcache[k][i % DCHUNK]); return; }
		el = $('imcq-d' + k);
		/* the blocks follow this script: is this one read to its end? */
		if (document.readyState === 'loading' && !(el && $('imcq-d' + (k + 1)))) {
			parsed().then(function () { withDetail(i, cb); });
			return;
		}
		if (!el) { cb(undefined); return; }
		unpack(el).then(function (list) {
			list = arr(list);
			if (!dcache[k]) {
				dcache[k] = list;
				dorder.push(k);
				if (dorder.length > 8) delete dcache[dorder.shift()];
			}
			cb(list[i % DCHUNK]);
		}, function () { cb(undefined); });
	}

	function openMessage(i, setHash) {
		if (!(i >= 0 && i < ROWS.length)) return;
		shown = i;
		msgTable.reveal(i);
		if (setHash && location.hash !== '#msg=' + i) {
			location.hash = 'msg=' + i;	/* a fragment: no request */
		}
		withDetail(i, function (m) {
			if (shown !== i) return;	/* another one was opened since */
			renderDetail(i, m);
			detailSec.classList.add('open');
			detailSec.scrollIntoView({ block: 'start' });
		});
	}

	function closeDetail() {
		shown = -1;
		msgTable.o.selected = undefined;
		msgTable.render();
		detailSec.classList.remove('open');
		detailBody.textContent = '';
		add(detailBody, E('p', 'muted', 'Click a row of the message table to see everything about one message.'));
		$('messages').scrollIntoView({ block: 'start' });
	}

	function fromHash() {
		var h = location.hash, i = -1, id, k;
		if (h.indexOf('#msg=') === 0) {
			i = parseInt(h.slice(5), 10);
		} else if (h.indexOf('#id=') === 0) {
			try { id = decodeURIComponent(h.slice(4)); } catch (e) { return; }
			for (k = 0; k < ROWS.length; k++) if (M.id[k] === id) { i = k; break; }
		} else return;
		if (i >= 0 && i < ROWS.length && i !== shown) openMessage(i, false);
	}
	window.addEventListener('hashchange', fromHash);

	/* ---- 8, 9. inventory and anomalies ---- */

	var ANOM = arr(D.anomalies).map(obj);
	function lowerHay(list, keys) {
		var cache = [];
		return function (i) {
			if (cache[i] === undefined)
				cache[i] = keys.map(function (k) { return txt(list[i][k]); }).join('\n').toLowerCase();
			return cache[i];
		};
	}

	/* [input, member, kind, size, mtime, sha256] (html.c inventory_keys) */
	function initInventory(rows) {
		var p, INV = rows.map(function (a0) {
			var a = Array.isArray(a0) ? a0 : [];
			return { input: a[0], member: a[1], kind: a[2], size: a[3], mtime: a[4], sha256: a[5] };
		});
		p = new Pager({
			prefix: 'inv',
			what: 'members',
			rows: INV,
			hay: lowerHay(INV, ['input', 'member', 'kind', 'sha256', 'mtime']),
			cols: [
				{ label: 'Input', cls: 'mono', val: function (r) { return txt(r.input); } },
				{ label: 'Member', cls: 'mono', val: function (r) { return txt(r.member); } },
				{ label: 'Kind', val: function (r) { return txt(r.kind); } },
				{ label: 'Size', num: true, key: function (r) { return r.size; },
					val: function (r) { return isInt(r.size) ? fmtCount(r.size) : txt(r.size); } },
				{ label: 'Modified', cls: 'time', val: function (r) { return txt(r.mtime); } },
				{ label: 'SHA-256', cls: 'hash', val: function (r) { return txt(r.sha256); } }
			],
			selects: {
				kind: { values: distinct(INV.map(function (r) { return txt(r.kind); })),
					test: function (r, v) { return txt(r.kind) === v; } }
			}
		});
		if (p.q && p.q.value) p.refilter();
		root.dataset.inventory = 'ready';
	}

	/* The inventory (as many rows as members) is read when its table comes
	 * near the screen or its controls are used, not before. */
	function watchInventory() {
		var table = $('inv-table'), ctl = $('inv-controls'), started = false, io;
		function go() {
			if (started) return;
			started = true;
			if (io) io.disconnect();
			parsed().then(function () { return unpackAll('i'); }).then(initInventory)
				.catch(function () { /* the static rows stay */ });
		}
		if (!table) return;
		if (ctl) ctl.addEventListener('focusin', go);
		if (typeof IntersectionObserver !== 'function') { go(); return; }
		io = new IntersectionObserver(function (es) {
			if (es.some(function (e) { return e.isIntersecting; })) go();
		}, { rootMargin: '400px' });
		io.observe(table);
	}

	function initAnomalies() {
		new Pager({
			prefix: 'an',
			what: 'anomalies',
			rows: ANOM,
			hay: lowerHay(ANOM, ['severity', 'code', 'input', 'member', 'offset', 'message']),
			cols: [
				{ label: 'Severity', key: function (r) { return sevRank(r.severity); }, num: false,
					cell: function (td, r) { td.appendChild(sevBadge(r.severity)); } },
				{ label: 'Code', cls: 'mono', val: function (r) { return txt(r.code); } },
				{ label: 'Input', cls: 'mono', val: function (r) { return txt(r.input); } },
				{ label: 'Member', cls: 'mono', val: function (r) { return txt(r.member); } },
				{ label: 'Offset', num: true, key: function (r) { return r.offset; },
					val: function (r) { return txt(r.offset); } },
				{ label: 'Message', val: function (r) { return txt(r.message); } }
			],
			selects: {
				severity: { values: distinct(ANOM.map(function (r) { return txt(r.severity); }), SEVERITIES),
					test: function (r, v) { return txt(r.severity) === v; } },
				code: { values: distinct(ANOM.map(function (r) { return txt(r.code); })),
					test: function (r, v) { return txt(r.code) === v; } }
			}
		});
	}

	/* ---- 3. queue shape, when the document has none ---- */

	function bucketOf(age) {
		for (var b = 0; b + 1 < BUCKETS.length; b++)
			if (age < BUCKETS[b] * 60) return b;
		return BUCKETS.length - 1;
	}

	function computeQshape() {
		var box = $('qshape-js');
		if (!box) return null;
		return unpackAll('q').then(function (doms) { qshapeFrom(box, doms); });
	}

	function qshapeFrom(box, doms) {
		var doms = dict(), list = [], total = { d: 'TOTAL', t: 0, c: BUCKETS.map(function () { return 0; }) };
		ROWS.forEach(function (i) {
			var ds, b;
			if (!has(QUEUED, M.state[i])) return;
			ds = domainsOf(i, doms);
			if (!ds.length) ds = ['(no domain)'];
			b = M.age[i] !== null ? bucketOf(Math.max(0, M.age[i])) : -1;
			total.t++;
			if (b >= 0) total.c[b]++;
			ds.forEach(function (d) {
				var r = doms[d];
				if (!r) { r = doms[d] = { d: d, t: 0, c: BUCKETS.map(function () { return 0; }) }; list.push(r); }
				r.t++;
				if (b >= 0) r.c[b]++;
			});
		});
		list.sort(function (a, b) { return b.t - a.t || (a.d < b.d ? -1 : a.d > b.d ? 1 : 0); });
		box.textContent = '';
		if (!total.t) { add(box, E('p', 'muted', 'No queued message.')); return; }
		var t = add(box, E('table', 'qshape')), hr = add(add(t, E('thead')), E('tr')), tb = add(t, E('tbody')), limit = 50;
		add(hr, E('th', null, 'Domain'));
		add(hr, E('th', 'num', 'Total'));
		BUCKETS.forEach(function (b, k) {
			add(hr, E('th', 'num', b ? b + 'm' : BUCKETS[k - 1] + 'm+'));
		});
		function row(r, sum) {
			var tr = add(tb, E('tr', sum ? 'sum' : null));
			add(tr, E('th', sum ? null : 'mono', r.d)).scope = 'row';
			add(tr, E('td', 'num total', fmtCount(r.t)));
			r.c.forEach(function (n) { add(tr, E('td', 'num' + (n ? '' : ' zero'), fmtCount(n))); });
		}
		row(total, true);
		list.slice(0, limit).forEach(function (r) { row(r, false); });
		if (list.length > limit) {
			var p = add(box, E('p', 'muted', fmtCount(list.length - limit) + ' more domains. ')), b = add(p, E('button', 'link', 'show all'));
			b.type = 'button';
			b.addEventListener('click', function () {
				list.slice(limit).forEach(function (r) { row(r, false); });
				p.remove();
				heat();
			});
		}
	}

	/* shade the busiest cells of the queue shape */
	function heat() {
		var cells = document.querySelectorAll('#qshape tbody tr:not(.sum) td.num:not(.total)'), max = 0, vals = [];
		Array.prototype.forEach.call(cells, function (td) {
			var v = parseInt(td.textContent.replace(/,/g, ''), 10) || 0;
			vals.push(v);
			if (v > max) max = v;
		});
		Array.prototype.forEach.call(cells, function (td, k) {
			td.classList.remove('hot', 'hot2');
			if (max > 0 && vals[k] >= max * 0.5) td.classList.add('hot2');
			else if (max > 0 && vals[k] > 0 && vals[k] >= max * 0.1) td.classList.add('hot');
		});
	}

	/* ---- buttons and bars ---- */

	function showMessagesWhere(name, value) {
		var t = msgTable;
		if (!t) return;
		Object.keys(t.sel).forEach(function (n) { t.sel[n].value = ''; });
		if (t.q) t.q.value = '';
		if (t.sel[name]) t.sel[name].value = value;
		t.refilter();
		$('messages').scrollIntoView({ block: 'start' });
	}

	document.addEventListener('click', function (ev) {
		var b = ev.target.closest ? ev.target.closest('button') : null;
		if (!b) return;
		if (b.dataset.state !== undefined) showMessagesWhere('state', b.dataset.state);
		else if (b.dataset.finding !== undefined) showMessagesWhere('finding', b.dataset.finding);
		else if (b.classList.contains('copy')) copyBlock(b);
	});

	function copyBlock(b) {
		var pre = b.parentNode.querySelector('pre'), text = pre ? pre.textContent : '';
		function selectIt() {
			var r = document.createRange(), s = window.getSelection();
			r.selectNodeContents(pre);
			s.removeAllRanges();
			s.addRange(r);
			b.textContent = 'Selected: press Ctrl+C';
		}
		try {
			if (navigator.clipboard && navigator.clipboard.writeText) {
				navigator.clipboard.writeText(text).then(function () {
					b.textContent = 'Copied';
					setTimeout(function () { b.textContent = 'Copy'; }, 2000);
				}, selectIt);
			} else selectIt();
		} catch (e) { selectIt(); }
	}

	function bars() {
		var list = document.querySelectorAll('#states .bar'), max = 0;
		Array.prototype.forEach.call(list, function (b) { max = Math.max(max, +b.dataset.n || 0); });
		Array.prototype.forEach.call(list, function (b) {
			var n = +b.dataset.n || 0;
			b.style.width = max ? Math.max(n ? 1 : 0, Math.round(n / max * 100)) + '%' : '0';
		});
	}

	/* print: open the glossary, show the detail only when one is open */
	var opened = [];
	window.addEventListener('beforeprint', function () {
		opened = [];
		Array.prototype.forEach.call(document.querySelectorAll('details.glossary'), function (d) {
			if (!d.open) { d.open = true; opened.push(d); }
		});
	});
	window.addEventListener('afterprint', function () {
		opened.forEach(function (d) { d.open = false; });
	});

	bars();
	heat();
	unpackAll('r', COLS, undict).then(function (c) {
		setColumns(c);
		initMessages();
		root.classList.add('js');
		root.dataset.ready = 'messages';
		fromHash();
		/* the search text, before the first filter needs it */
		setTimeout(loadHay, 50);
		/* the rest after the first paint */
		setTimeout(function () {
			initAnomalies();
			watchInventory();
			Promise.resolve(computeQshape()).catch(function () { /* the static text stays */ }).then(function () {
				heat();
				root.dataset.ready = 'all';
			});
		}, 0);
	}).catch(giveUp);
})();
