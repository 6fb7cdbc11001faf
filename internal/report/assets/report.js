// pcapframe report: draws the charts and tables from the JSON data block. Text from the capture reaches the page
// only through textContent / createTextNode; elements are made with createElement(NS); no innerHTML, no eval,
// no network.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  // The metrics and the words of every chart (titles, subtitles, axis names, units) come from the data, where
  // Go's package plot wrote them as `pcapframe plot` draws them.
  var METRICS = (D.metrics || []).map(function (x) { return x.id; });
  var METRIC_AXIS = {};
  (D.metrics || []).forEach(function (x) { METRIC_AXIS[x.id] = x.axis; });
  var state = { metric: 'payload', filter: null, range: null, view: null, search: '', sort: null };

  // ---- DOM helpers -------------------------------------------------------------------------------------------
  function h(tag, attrs) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function s(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    setAttrs(e, attrs);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (typeof v === 'function') e.addEventListener(k, v);
      else e.setAttribute(k, String(v));
    });
  }
  function add(e, kid) {
    if (kid === undefined || kid === null || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(e, k); }); return; }
    if (typeof kid === 'object' && kid.nodeType) e.appendChild(kid);
    else e.appendChild(document.createTextNode(String(kid)));
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  // ---- numbers -----------------------------------------------------------------------------------------------
  var UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  function byteScale(max) {
    var d = 1, i = 0;
    while (Math.abs(max) / d >= 1000 && i < UNITS.length - 1) { d *= 1000; i++; }
    return [d, UNITS[i]];
  }
  function three(x) {
    var a = Math.abs(x);
    return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
  }
  function fmtBytes(v) {
    var sc = byteScale(v);
    if (sc[0] === 1) return Math.round(v) + ' B';
    return three(v / sc[0]) + ' ' + sc[1];
  }
  function fmtCount(v) { return Number(v).toLocaleString('en-US'); }
  function fmtUnit(u, v) { return u === 'bytes' ? fmtBytes(v) : fmtCount(v); }
  function compact(v) {
    var a = Math.abs(v), t = function (x) { return String(Number(x.toFixed(2))); };
    if (a >= 1e9) return t(v / 1e9) + 'G';
    if (a >= 1e6) return t(v / 1e6) + 'M';
    if (a >= 1e3) return t(v / 1e3) + 'k';
    return t(v);
  }
  function pct(f) {
    var p = f * 100;
    if (p >= 9.95) return p.toFixed(0);
    if (p >= 0.995) return p.toFixed(1);
    if (p > 0) return p.toFixed(2);
    return '0';
  }
  function val(r, m) { return r ? Number(r[m]) || 0 : 0; }
  function niceStep(x) {
    if (!(x > 0)) return 1;
    var mag = Math.pow(10, Math.floor(Math.log10(x)));
    var ms = [1, 2, 5, 10];
    for (var i = 0; i < ms.length; i++) if (ms[i] * mag >= x * (1 - 1e-9)) return ms[i] * mag;
    return 10 * mag;
  }
  // axis returns the ticks of a value axis from 0 to at least max, with its title and tick labels.
  // unit is a chart's unit: "bytes" or "count".
  function axis(max, unit, what) {
    if (!(max > 0)) max = 1;
    var div = 1, title = what;
    if (unit === 'bytes') { var sc = byteScale(max); div = sc[0]; title = what + ' (' + sc[1] + ')'; }
    var step = niceStep(max / div / 5) * div;
    var end = Math.ceil(max / step - 1e-9) * step;
    var ticks = [];
    for (var i = 0; i <= Math.round(end / step); i++) ticks.push(i * step);
    return { end: end, ticks: ticks, title: title, label: function (v) {
      return unit === 'bytes' ? String(Number((v / div).toFixed(3))) : compact(v);
    } };
  }
  var measureCtx = document.createElement('canvas').getContext('2d');
  function textWidth(t, px) {
    measureCtx.font = px + 'px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif';
    return measureCtx.measureText(t).width;
  }
  // middle keeps n characters of a, half from each end, around an ellipsis.
  function middle(a, n) {
    var r = Array.from(a);
    if (n >= r.length) return a;
    if (n <= 0) return '\u2026';
    var head = Math.ceil(n / 2);
    return r.slice(0, head).join('') + '\u2026' + r.slice(r.length - (n - head)).join('');
  }
  // cut shortens a label until it fits w pixels by taking characters out of the middle of its addresses, the
  // longest first, so that both ends of each address stay visible; ports and the arrow between two endpoints
  // are never shortened ("192.168.1.100:7070 \u2194 192.168.1.6:65253" keeps 7070 and 65253). An endpoint is
  // "address:port" or "[IPv6 address]:port"; text of another form is shortened as one address. If the label
  // cannot fit, its addresses are shortened to an ellipsis and its ports stay whole. The full label is shown
  // on hover.
  function cut(t, px, w) {
    if (textWidth(t, px) <= w) return t;
    var segs = [];
    t.split(/( \u2194 | \u2192 )/).forEach(function (part, i) {
      if (i % 2 === 1) { segs.push({ fixed: part }); return; }
      var m = /^(\[[^\]]*\]|[^:\s]+):(\d+)$/.exec(part);
      if (m) { segs.push({ addr: m[1], n: Array.from(m[1]).length }); segs.push({ fixed: ':' + m[2] }); }
      else segs.push({ addr: part, n: Array.from(part).length });
    });
    var addrs = segs.filter(function (g) { return g.addr !== undefined; });
    var render = function () { return segs.map(function (g) { return g.fixed !== undefined ? g.fixed : middle(g.addr, g.n); }).join(''); };
    for (var guard = 0; guard < 4096; guard++) {
      var c = render();
      if (textWidth(c, px) <= w) return c;
      var longest = null;
      addrs.forEach(function (g) { if (g.n > 0 && (!longest || g.n > longest.n)) longest = g; });
      if (!longest) return c;
      longest.n--;
    }
    return render();
  }
  // labelsOf returns the words of a chart for metric m from its map of labels (empty strings when absent).
  function labelsOf(map, m) { return (map && map[m]) || { title: '', subtitle: '', axis: '', unit: '' }; }

  // ---- tooltip -----------------------------------------------------------------------------------------------
  var tip = document.getElementById('tooltip');
  function showTip(ev, lines) {
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 8) x = Math.max(8, ev.clientX - r.width - 14);
    if (y + r.height > window.innerHeight - 8) y = Math.max(8, ev.clientY - r.height - 14);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }

  // ---- conversations and filters -----------------------------------------------------------------------------
  var CV = D.conversations || { columns: [], rows: [], total: 0 };
  var C = {};
  CV.columns.forEach(function (c, i) { C[c] = i; });
  CV.rows.forEach(function (r) {
    var t0 = Date.parse(r[C.first]);
    r.t0 = isNaN(t0) ? null : t0;
    r.t1 = r.t0 === null ? null : r.t0 + (Number(r[C.duration_s]) || 0) * 1000;
    r.text = r.map(function (v) { return v === null ? '' : String(v); }).join('\u0001').toLowerCase();
  });
  function matcher(ch, r) {
    var k = r.key, mt = r.match || {};
    switch (ch.filter) {
      case 'addr':
        if (ch.talker) {
          var t = ch.talker;
          return function (row) { return (row[C.a] === t && row[C.b] === k) || (row[C.a] === k && row[C.b] === t); };
        }
        return function (row) { return row[C.a] === k || row[C.b] === k; };
      case 'port':
        return function (row) { return row[C.proto] === mt.proto && (row[C.port_a] === mt.port || row[C.port_b] === mt.port); };
      case 'service':
        if (k === '(unnamed)') return function (row) { return !row[C.service]; };
        return function (row) { return String(row[C.service] || '').split(', ').indexOf(k) >= 0; };
      case 'proto':
        return function (row) { return row[C.proto] === k; };
      case 'conv':
        return function (row) {
          return row[C.proto] === mt.proto && row[C.a] === mt.a && row[C.port_a] === mt.port_a &&
            row[C.b] === mt.b && row[C.port_b] === mt.port_b;
        };
      case 'pair':
        return function (row) { return (row[C.a] === mt.a && row[C.b] === mt.b) || (row[C.a] === mt.b && row[C.b] === mt.a); };
    }
    return function () { return false; };
  }
  function setFilter(f) {
    if (state.filter && f && state.filter.chart === f.chart && state.filter.key === f.key) f = null; // click again: off
    state.filter = f;
    renderFilters();
    renderTable();
    renderCharts();
    renderGraph();
  }
  function visibleRows() {
    var f = state.filter, rg = state.range, q = state.search.toLowerCase();
    var rows = CV.rows.filter(function (row) {
      if (f && !f.test(row)) return false;
      if (rg && row.t0 !== null && (row.t0 > rg[1] || row.t1 < rg[0])) return false;
      if (q && row.text.indexOf(q) < 0) return false;
      return true;
    });
    if (state.sort) {
      var i = state.sort.col, dir = state.sort.dir;
      rows.sort(function (x, y) {
        var a = x[i], b = y[i];
        if (a === b) return 0;
        if (a === null) return 1;
        if (b === null) return -1;
        if (typeof a === 'number' && typeof b === 'number') return (a - b) * dir;
        return String(a).localeCompare(String(b), 'en', { numeric: true }) * dir;
      });
    }
    return rows;
  }

  // ---- page skeleton -----------------------------------------------------------------------------------------
  var app = document.getElementById('app');
  var blocks = {};
  function block(id, title) {
    var sec = h('section', { class: 'block', id: id }, h('h2', {}, title));
    blocks[id] = sec;
    return sec;
  }

  var stats = (D.stats && D.stats.sections) || [];
  function section(name) {
    for (var i = 0; i < stats.length; i++) if (stats[i].name === name) return stats[i];
    return null;
  }

  function renderHeader() {
    var links = [['summary', 'Summary'], ['charts', 'Charts'], ['timeline', 'Over time'], ['graph', 'Who talks to whom'],
      ['conversations', 'Conversations'], ['talkers', 'Top talkers and ports'], ['dns-tls', 'Protocols'], ['hunting', 'Hunting'], ['previews', 'Payload'], ['stats', 'Statistics']];
    if (!D.hunting) links = links.filter(function (l) { return l[0] !== 'hunting'; });
    if (!hasProtocolSections()) links = links.filter(function (l) { return l[0] !== 'dns-tls'; });
    var nav = h('nav', { class: 'toc' }, links.map(function (l) {
      return h('a', { click: function () { var e = document.getElementById(l[0]); if (e) e.scrollIntoView(); } }, l[1]);
    }));
    app.appendChild(h('header', { class: 'top' },
      h('h1', {}, D.title),
      h('div', { class: 'inputs' }, 'Inputs: ' + (D.inputs || []).join(', ')),
      nav));
  }

  // ---- capture summary values ---------------------------------------------------------------------------------
  // linkName names link type n as "Ethernet (1)", from the file's link_types when they name it.
  function linkName(n, f) {
    var lts = f && Array.isArray(f.link_types) ? f.link_types : [];
    for (var i = 0; i < lts.length; i++) {
      if (lts[i] && Number(lts[i].number) === Number(n) && lts[i].name) return String(lts[i].name) + ' (' + n + ')';
    }
    return 'link type ' + n;
  }
  function field(o, names) {
    for (var i = 0; i < names.length; i++) if (o[names[i]] !== undefined && o[names[i]] !== null && o[names[i]] !== '') return o[names[i]];
    return undefined;
  }
  // interfaceText describes one capture interface: "#0 eth0 (description): Ethernet (1), snaplen 262144, ...".
  function interfaceText(it, f) {
    var idx = field(it, ['index', 'Index']), sect = field(it, ['section', 'Section']);
    var name = field(it, ['name', 'Name']), desc = field(it, ['description', 'Description']);
    var lt = field(it, ['link_type', 'LinkType']), snap = field(it, ['snaplen', 'SnapLen']);
    var ts = field(it, ['ts_resolution', 'TSResolution']), comment = field(it, ['comment', 'Comment']);
    var head = '#' + (idx === undefined ? '?' : idx) + (sect ? ' (section ' + sect + ')' : '');
    if (name !== undefined) head += ' ' + name;
    if (desc !== undefined) head += ' \u2013 ' + desc;
    var parts = [];
    if (lt !== undefined) parts.push(linkName(lt, f));
    if (snap !== undefined) parts.push('snaplen ' + fmtCount(snap));
    if (ts !== undefined) parts.push('timestamps in ' + ts + ' s');
    if (comment !== undefined) parts.push('comment: ' + comment);
    return head + (parts.length ? ': ' + parts.join(', ') : '');
  }
  // plainText writes any other JSON value as "key value; key value", lists one item a line.
  function plainText(v) {
    if (v === undefined || v === null) return '';
    if (Array.isArray(v)) return v.map(plainText).join('\n');
    if (typeof v === 'object') return Object.keys(v).map(function (k) { return k + ' ' + plainText(v[k]); }).join('; ');
    return String(v);
  }
  // infoValue shows one value of `pcapframe info --json` as readable text (never as markup).
  function infoValue(k, v, f) {
    if (v === undefined || v === null) return '';
    if (k === 'link_types' && Array.isArray(v)) {
      return v.map(function (lt) { return lt && typeof lt === 'object' ? linkName(lt.number, f) : plainText(lt); }).join(', ');
    }
    if ((k === 'interfaces' || k === 'Interfaces') && Array.isArray(v)) {
      if (!v.length) return 'none recorded (pcap)';
      return h('ul', { class: 'ifaces' }, v.map(function (it) {
        return h('li', {}, it && typeof it === 'object' ? interfaceText(it, f) : plainText(it));
      }));
    }
    if (typeof v === 'number' && /(^|_)(size|bytes)$/.test(k)) return fmtCount(v) + ' bytes (' + fmtBytes(v) + ')';
    if (typeof v === 'number' && /rate$/.test(k)) return Number(v.toFixed(3)).toLocaleString('en-US') + (k === 'data_bit_rate' ? ' bit/s' : k === 'packet_rate' ? ' packets/s' : ' bytes/s');
    if (typeof v === 'number' && k === 'average_packet_size') return v.toFixed(2) + ' bytes';
    if (typeof v === 'number' && k === 'duration_seconds') return v.toFixed(6) + ' s';
    if (typeof v === 'number') return fmtCount(v);
    return plainText(v);
  }

  function renderSummary() {
    var sec = block('summary', 'Capture summary');
    var sum = section('summary');
    var row = sum && sum.rows && sum.rows[0];
    if (row) {
      var dur = Number(row.duration_s);
      var cards = [
        ['packets', fmtCount(row.packets)], ['bytes on the wire', fmtBytes(row.bytes)],
        ['payload', fmtBytes(row.payload_bytes || 0)], ['duration', isNaN(dur) ? '\u2013' : dur.toFixed(3) + ' s'],
        ['first packet (UTC)', row.first || '\u2013'], ['last packet (UTC)', row.last || '\u2013'],
        ['source addresses', fmtCount(row.sources)], ['destination addresses', fmtCount(row.destinations)],
        ['conversations', fmtCount(CV.total)]
      ];
      sec.appendChild(h('div', { class: 'cards' }, cards.map(function (c) {
        return h('div', { class: 'card' }, h('div', { class: 'v' }, c[1]), h('div', { class: 'k' }, c[0]));
      })));
    }
    if (Array.isArray(D.info) && D.info.length) {
      var keys = [];
      D.info.forEach(function (f) { Object.keys(f).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
      var t = h('table', { class: 'info' });
      keys.forEach(function (k) {
        var tr = h('tr', {}, h('th', {}, k.replace(/_/g, ' ')));
        D.info.forEach(function (f) { tr.appendChild(h('td', { class: 'wrap' }, infoValue(k, f[k], f))); });
        t.appendChild(tr);
      });
      sec.appendChild(h('h3', {}, 'Files (as pcapframe info)'));
      sec.appendChild(h('div', { class: 'tablewrap' }, t));
    }
    if (D.notes && D.notes.length) {
      sec.appendChild(h('div', { class: 'notes' }, D.notes.map(function (n) { return h('p', {}, n); })));
    }
    app.appendChild(sec);
  }

  // ---- bar charts --------------------------------------------------------------------------------------------
  var chartBoxes = {};
  function renderChartsBlock() {
    var sec = block('charts', 'Charts');
    var controls = h('div', { class: 'controls' }, 'Measure:');
    METRICS.forEach(function (m) {
      var input = h('input', { type: 'radio', name: 'metric', value: m, id: 'metric-' + m,
        change: function () { state.metric = m; renderCharts(); renderTimeline(); renderGraph(); } });
      if (m === state.metric) input.checked = true;
      controls.appendChild(h('label', { for: 'metric-' + m }, input, ' ' + METRIC_AXIS[m]));
    });
    controls.appendChild(h('span', { class: 'count' }, 'Hover a bar for its values; click it to filter the conversations below.'));
    sec.appendChild(controls);
    sec.appendChild(h('div', { class: 'chips', id: 'filters' }));
    var grid = h('div', { class: 'grid' });
    (D.charts || []).forEach(function (ch) {
      var box = h('div', { class: 'chart', id: 'chart-' + ch.id });
      chartBoxes[ch.id] = box;
      grid.appendChild(box);
    });
    sec.appendChild(grid);
    app.appendChild(sec);
  }
  function renderCharts() {
    (D.charts || []).forEach(function (ch) { renderBars(chartBoxes[ch.id], ch); });
  }
  function renderBars(box, ch) {
    if (!box) return;
    clear(box);
    var m = state.metric, set = ch.sets[m];
    box.appendChild(h('h3', {}, set.title));
    box.appendChild(h('div', { class: 'sub' }, set.subtitle + '; total ' + fmtUnit(set.unit, val(ch.total, m))));
    var bars = set.bars.map(function (r) { return { row: r, label: r.key, note: r.note || '', value: val(r, m), other: false }; });
    if (set.others > 0) bars.push({ row: set.other, label: 'other', note: fmtCount(set.others) + ' more', value: val(set.other, m), other: true });
    var total = val(ch.total, m);
    var W = Math.max(box.clientWidth - 20, 360);
    var maxV = 0;
    bars.forEach(function (b) { maxV = Math.max(maxV, b.value); });
    var ax = axis(maxV, set.unit, set.axis);
    var labelW = 0, valueW = 0;
    bars.forEach(function (b) {
      var noteW = b.note ? textWidth(b.note, 11) + 6 : 0;
      b.shown = cut(b.label, 12, W * 0.42 - noteW);
      labelW = Math.max(labelW, textWidth(b.shown, 12) + noteW);
      b.text = fmtUnit(set.unit, b.value) + (total > 0 ? ' (' + pct(b.value / total) + '%)' : '');
      valueW = Math.max(valueW, textWidth(b.text, 11));
    });
    var left = 6 + labelW + 10, right = W - valueW - 12;
    if (right - left < W * 0.25) right = left + W * 0.25;
    var rowH = 22, top = 6, plotH = Math.max(bars.length, 1) * rowH, H = top + plotH + 44;
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    var scale = (right - left) / ax.end;
    ax.ticks.forEach(function (t) {
      var x = left + t * scale;
      svg.appendChild(s('line', { class: 'gridline', x1: x, y1: top, x2: x, y2: top + plotH }));
      svg.appendChild(s('text', { class: 'tick', x: x, y: top + plotH + 14, 'text-anchor': 'middle' }, ax.label(t)));
    });
    svg.appendChild(s('text', { class: 'axis-title', x: (left + right) / 2, y: top + plotH + 34, 'text-anchor': 'middle' }, ax.title));
    if (!bars.length) svg.appendChild(s('text', { class: 'note', x: (left + right) / 2, y: top + 15, 'text-anchor': 'middle' }, 'no data'));
    var shownMatchers = set.bars.map(function (r) { return matcher(ch, r); });
    bars.forEach(function (b, i) {
      var y = top + i * rowH;
      var selected = state.filter && state.filter.chart === ch.id && state.filter.key === b.label && state.filter.other === b.other;
      var g = s('g', { class: 'bar' + (b.other ? ' other' : '') + (selected ? ' selected' : ''), 'data-index': i });
      g.appendChild(s('rect', { class: 'hit', x: 0, y: y, width: W, height: rowH }));
      var bw = b.value * scale;
      if (b.value > 0 && bw < 1) bw = 1;
      g.appendChild(s('rect', { class: 'b', x: left, y: y + 3, width: Math.max(bw, 0), height: rowH - 6 }));
      var lx = left - 8, base = y + rowH / 2 + 4;
      if (b.note) {
        g.appendChild(s('text', { class: 'note', x: lx, y: base, 'text-anchor': 'end' }, b.note));
        lx -= textWidth(b.note, 11) + 6;
      }
      var lbl = s('text', { class: 'lbl', x: lx, y: base, 'text-anchor': 'end' }, b.shown);
      if (b.shown !== b.label) lbl.appendChild(s('title', {}, b.label));
      g.appendChild(lbl);
      g.appendChild(s('text', { class: 'val', x: left + bw + 5, y: base }, b.text));
      var lines = [b.label + (b.note ? '  (' + b.note + ')' : ''),
        'packets: ' + fmtCount(b.row.packets), 'bytes: ' + fmtBytes(b.row.bytes), 'payload: ' + fmtBytes(b.row.payload)];
      if (total > 0) lines.push(set.axis + ' share: ' + pct(b.value / total) + '%');
      lines.push(b.other ? 'click: conversations matching none of the bars above' : 'click: filter the conversations');
      g.addEventListener('mousemove', function (ev) { showTip(ev, lines); });
      g.addEventListener('mouseleave', hideTip);
      g.addEventListener('click', function () {
        hideTip();
        var test = b.other ? function (row) { return !shownMatchers.some(function (f) { return f(row); }); } : matcher(ch, b.row);
        setFilter({ chart: ch.id, key: b.label, other: b.other, test: test,
          label: (ch.id === 'talker' ? 'top talker ' + ch.talker + ' \u2194 ' : ch.title + ': ') + (b.other ? 'other (none of the top bars)' : b.label) });
      });
      svg.appendChild(g);
    });
    svg.appendChild(s('line', { class: 'axis', x1: left, y1: top, x2: left, y2: top + plotH }));
    box.appendChild(svg);
  }

  function renderFilters() {
    var box = document.getElementById('filters');
    if (!box) return;
    clear(box);
    if (state.filter) {
      box.appendChild(h('span', { class: 'chip', id: 'filter-chip' }, 'Filter: ' + state.filter.label,
        h('button', { title: 'remove the filter', click: function () { setFilter(null); } }, '\u00d7')));
    }
    if (state.range) {
      box.appendChild(h('span', { class: 'chip', id: 'range-chip' }, 'Time: ' + new Date(state.range[0]).toISOString() + ' \u2013 ' + new Date(state.range[1]).toISOString(),
        h('button', { title: 'show all times', click: function () { resetZoom(); } }, '\u00d7')));
    }
  }

  // ---- timeline ----------------------------------------------------------------------------------------------
  var timeBox;
  var TIME_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3,
    1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3, 172800e3, 604800e3, 2592000e3, 31536000e3];
  function renderTimelineBlock() {
    var sec = block('timeline', 'Traffic over time');
    sec.appendChild(h('div', { class: 'controls' },
      h('span', { class: 'count' }, 'Hover for the values of an interval; drag across the chart to zoom in (and filter the conversations to that time).'),
      h('button', { class: 'small', id: 'reset-zoom', click: function () { resetZoom(); } }, 'Reset zoom')));
    timeBox = h('div', { class: 'chart', id: 'chart-timeline' });
    sec.appendChild(timeBox);
    app.appendChild(sec);
  }
  function resetZoom() {
    state.view = null;
    state.range = null;
    renderTimeline();
    renderFilters();
    renderTable();
  }
  function renderTimeline() {
    if (!timeBox) return;
    clear(timeBox);
    var T = D.timeline, m = state.metric;
    var n = T && T.start_ns ? T.start_ns.length : 0;
    var iv = T ? T.interval_ns / 1e6 : 0; // interval in ms
    var reset = document.getElementById('reset-zoom');
    if (reset) reset.hidden = !state.view;
    var TL = labelsOf(T && T.labels, m);
    timeBox.appendChild(h('h3', {}, TL.title + (state.view ? ' (zoomed)' : '')));
    timeBox.appendChild(h('div', { class: 'sub' }, n ? TL.subtitle + '; ' + fmtCount(n) + ' intervals' : 'no packets with a time'));
    if (!n) return;
    var i0 = state.view ? state.view[0] : 0, i1 = state.view ? state.view[1] : n - 1;
    var vals = T[m];
    var W = Math.max(timeBox.clientWidth - 20, 400), H = 300;
    var maxV = 0;
    for (var i = i0; i <= i1; i++) maxV = Math.max(maxV, vals[i]);
    var ax = axis(maxV, TL.unit, TL.axis);
    var labelW = 0;
    ax.ticks.forEach(function (t) { labelW = Math.max(labelW, textWidth(ax.label(t), 11)); });
    var left = 30 + labelW, right = W - 16, top = 8, bottom = H - 42;
    var t0 = T.start_ns[i0] / 1e6, t1 = T.start_ns[i1] / 1e6 + iv;
    var sx = (right - left) / Math.max(t1 - t0, 1e-9), sy = (bottom - top) / ax.end;
    function xOf(t) { return left + (t - t0) * sx; }
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    ax.ticks.forEach(function (t) {
      var y = bottom - t * sy;
      svg.appendChild(s('line', { class: 'gridline', x1: left, y1: y, x2: right, y2: y }));
      svg.appendChild(s('text', { class: 'tick', x: left - 6, y: y + 4, 'text-anchor': 'end' }, ax.label(t)));
    });
    svg.appendChild(s('text', { class: 'axis-title', x: 12, y: (top + bottom) / 2, 'text-anchor': 'middle',
      transform: 'rotate(-90 12 ' + (top + bottom) / 2 + ')' }, ax.title));
    var step = TIME_STEPS[TIME_STEPS.length - 1];
    var want = Math.max(2, Math.floor((right - left) / 100));
    for (var k = 0; k < TIME_STEPS.length; k++) if ((t1 - t0) / TIME_STEPS[k] <= want) { step = TIME_STEPS[k]; break; }
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      var x = xOf(t);
      svg.appendChild(s('line', { class: 'axis', x1: x, y1: bottom, x2: x, y2: bottom + 4 }));
      svg.appendChild(s('text', { class: 'tick', x: x, y: bottom + 16, 'text-anchor': 'middle' }, timeLabel(t, step)));
    }
    svg.appendChild(s('text', { class: 'axis-title', x: (left + right) / 2, y: bottom + 36, 'text-anchor': 'middle' }, 'time (UTC)'));
    var pts = [];
    for (i = i0; i <= i1; i++) pts.push([xOf(T.start_ns[i] / 1e6 + iv / 2), bottom - vals[i] * sy]);
    if (pts.length === 1) pts = [[left, pts[0][1]], [right, pts[0][1]]];
    var line = pts.map(function (p, j) { return (j ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1); }).join(' ');
    svg.appendChild(s('path', { class: 'area', d: line + ' L' + pts[pts.length - 1][0].toFixed(1) + ' ' + bottom + ' L' + pts[0][0].toFixed(1) + ' ' + bottom + ' Z' }));
    svg.appendChild(s('path', { class: 'line', d: line }));
    svg.appendChild(s('line', { class: 'axis', x1: left, y1: bottom, x2: right, y2: bottom }));
    var cursor = s('line', { class: 'cursor', x1: 0, y1: top, x2: 0, y2: bottom, visibility: 'hidden' });
    var sel = s('rect', { class: 'sel', x: 0, y: top, width: 0, height: bottom - top, visibility: 'hidden' });
    svg.appendChild(cursor);
    svg.appendChild(sel);
    var overlay = s('rect', { x: left, y: top, width: right - left, height: bottom - top, fill: 'transparent', cursor: 'crosshair' });
    svg.appendChild(overlay);
    function localX(ev) {
      var r = svg.getBoundingClientRect();
      return (ev.clientX - r.left) * (W / r.width);
    }
    function indexAt(x) {
      var t = t0 + (x - left) / sx;
      var i = Math.floor((t * 1e6 - T.start_ns[0]) / T.interval_ns);
      return Math.min(Math.max(i, i0), i1);
    }
    var dragFrom = null;
    overlay.addEventListener('mousedown', function (ev) { dragFrom = localX(ev); ev.preventDefault(); });
    overlay.addEventListener('mousemove', function (ev) {
      var x = localX(ev), i = indexAt(x);
      var cx = xOf(T.start_ns[i] / 1e6 + iv / 2);
      cursor.setAttribute('x1', cx); cursor.setAttribute('x2', cx); cursor.setAttribute('visibility', 'visible');
      if (dragFrom !== null) {
        sel.setAttribute('x', Math.min(dragFrom, x)); sel.setAttribute('width', Math.abs(x - dragFrom));
        sel.setAttribute('visibility', 'visible');
      }
      showTip(ev, [new Date(T.start_ns[i] / 1e6).toISOString() + ' + ' + fmtInterval(iv),
        'packets: ' + fmtCount(T.packets[i]), 'bytes: ' + fmtBytes(T.bytes[i]), 'payload: ' + fmtBytes(T.payload[i])]);
    });
    overlay.addEventListener('mouseleave', function () { cursor.setAttribute('visibility', 'hidden'); hideTip(); });
    overlay.addEventListener('mouseup', function (ev) {
      var x = localX(ev);
      if (dragFrom !== null && Math.abs(x - dragFrom) > 4) {
        var a = indexAt(Math.min(dragFrom, x)), b = indexAt(Math.max(dragFrom, x));
        state.view = [a, b];
        state.range = [T.start_ns[a] / 1e6, T.start_ns[b] / 1e6 + iv];
        dragFrom = null;
        hideTip();
        renderTimeline();
        renderFilters();
        renderTable();
        return;
      }
      dragFrom = null;
      sel.setAttribute('visibility', 'hidden');
    });
    timeBox.appendChild(svg);
  }
  function fmtInterval(ms) {
    if (ms >= 86400e3 && ms % 86400e3 === 0) return ms / 86400e3 + ' d';
    if (ms >= 3600e3 && ms % 3600e3 === 0) return ms / 3600e3 + ' h';
    if (ms >= 60e3 && ms % 60e3 === 0) return ms / 60e3 + ' min';
    if (ms >= 1e3) return Number((ms / 1e3).toFixed(3)) + ' s';
    if (ms >= 1) return Number(ms.toFixed(3)) + ' ms';
    return Number((ms * 1e3).toFixed(3)) + ' \u00b5s';
  }
  function timeLabel(t, step) {
    var iso = new Date(t).toISOString(); // 2020-01-02T15:04:05.000Z
    if (step < 1e3) return iso.slice(11, 23);
    if (step < 60e3) return iso.slice(11, 19);
    if (step < 86400e3) return iso.slice(11, 16);
    if (step < 31536000e3) return iso.slice(5, 10);
    return iso.slice(0, 4);
  }

  // ---- graph -------------------------------------------------------------------------------------------------
  var graphBox;
  function renderGraphBlock() {
    var sec = block('graph', 'Who talks to whom');
    sec.appendChild(h('div', { class: 'count' }, 'The top addresses by traffic sent and received, and the traffic between them. Click an address or a line to filter the conversations.'));
    graphBox = h('div', { class: 'chart', id: 'chart-graph' });
    sec.appendChild(graphBox);
    app.appendChild(sec);
  }
  function renderGraph() {
    if (!graphBox) return;
    clear(graphBox);
    var m = state.metric, g = D.graph && D.graph[m];
    var GL = labelsOf(D.graph_labels, m);
    graphBox.appendChild(h('h3', {}, GL.title));
    if (!g || !g.nodes.length) { graphBox.appendChild(h('p', { class: 'empty' }, 'No IP traffic.')); return; }
    graphBox.appendChild(h('div', { class: 'sub' }, GL.subtitle + '; ' + fmtCount(g.edges.length) + ' pairs'));
    var W = Math.max(graphBox.clientWidth - 20, 420), H = Math.min(Math.max(W * 0.62, 420), 720);
    var labelW = 0;
    var labels = g.nodes.map(function (n) { var l = cut(n.key, 11, W * 0.2); labelW = Math.max(labelW, textWidth(l, 11)); return l; });
    var cx = W / 2, cy = H / 2, R = Math.max(Math.min(W / 2 - labelW - 30, H / 2 - 62), 60);
    var maxN = 0, maxE = 0;
    g.nodes.forEach(function (n) { maxN = Math.max(maxN, val(n, m)); });
    g.edges.forEach(function (e) { maxE = Math.max(maxE, val(e, m)); });
    var pos = g.nodes.map(function (n, i) {
      var a = -Math.PI / 2 + 2 * Math.PI * i / g.nodes.length;
      return { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a: a };
    });
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    g.edges.slice().sort(function (x, y) { return val(x, m) - val(y, m); }).forEach(function (e) {
      var a = pos[e.a], b = pos[e.b];
      if (!a || !b) return;
      var f = maxE > 0 ? Math.sqrt(val(e, m) / maxE) : 0;
      var mx = (a.x + b.x) / 2 * 0.8 + cx * 0.2, my = (a.y + b.y) / 2 * 0.8 + cy * 0.2;
      var A = g.nodes[e.a].key, B = g.nodes[e.b].key;
      var p = s('path', { class: 'edge', d: 'M' + a.x.toFixed(1) + ' ' + a.y.toFixed(1) + ' Q' + mx.toFixed(1) + ' ' + my.toFixed(1) + ' ' + b.x.toFixed(1) + ' ' + b.y.toFixed(1),
        'stroke-width': (0.8 + 7 * f).toFixed(2), 'stroke-opacity': (0.25 + 0.6 * f).toFixed(2) });
      p.addEventListener('mousemove', function (ev) { showTip(ev, [A + ' \u2194 ' + B, 'packets: ' + fmtCount(e.packets), 'bytes: ' + fmtBytes(e.bytes), 'payload: ' + fmtBytes(e.payload)]); });
      p.addEventListener('mouseleave', hideTip);
      p.addEventListener('click', function () {
        hideTip();
        setFilter({ chart: 'graph-edge', key: A + '|' + B, test: matcher({ filter: 'pair' }, { match: { a: A, b: B } }), label: 'between ' + A + ' and ' + B });
      });
      svg.appendChild(p);
    });
    g.nodes.forEach(function (n, i) {
      var f = maxN > 0 ? Math.sqrt(val(n, m) / maxN) : 0, r = 4 + 14 * f, p = pos[i];
      var selected = state.filter && state.filter.chart === 'graph' && state.filter.key === n.key;
      var c = s('circle', { class: 'node' + (selected ? ' selected' : ''), cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: r.toFixed(1) });
      c.addEventListener('mousemove', function (ev) { showTip(ev, [n.key, 'packets: ' + fmtCount(n.packets), 'bytes: ' + fmtBytes(n.bytes), 'payload: ' + fmtBytes(n.payload), 'click: filter the conversations']); });
      c.addEventListener('mouseleave', hideTip);
      c.addEventListener('click', function () {
        hideTip();
        setFilter({ chart: 'graph', key: n.key, test: matcher({ filter: 'addr' }, { key: n.key }), label: 'address: ' + n.key });
      });
      svg.appendChild(c);
      var ca = Math.cos(p.a), sa = Math.sin(p.a), anchor = 'start', lx, ly;
      if (ca < -0.2) { anchor = 'end'; lx = p.x - r - 6; ly = p.y - 1; }
      else if (ca > 0.2) { lx = p.x + r + 6; ly = p.y - 1; }
      else if (sa < 0) { anchor = 'middle'; lx = p.x; ly = p.y - r - 19; }
      else { anchor = 'middle'; lx = p.x; ly = p.y + r + 16; }
      svg.appendChild(s('text', { class: 'lbl', x: lx, y: ly, 'text-anchor': anchor }, labels[i]));
      svg.appendChild(s('text', { class: 'note', x: lx, y: ly + 13, 'text-anchor': anchor }, fmtUnit(GL.unit, val(n, m))));
    });
    graphBox.appendChild(svg);
  }

  // ---- conversations table -----------------------------------------------------------------------------------
  var tableBody, tableHead, countEl, table;
  var NUMERIC = { port_a: 1, port_b: 1, packets: 1, bytes: 1, packets_a_to_b: 1, packets_b_to_a: 1, payload: 1, duration_s: 1 };
  function renderTableBlock() {
    var sec = block('conversations', 'Conversations');
    var search = h('input', { class: 'search', id: 'conv-search', type: 'search', placeholder: 'search addresses, ports, services\u2026',
      input: function (ev) { state.search = ev.target.value; renderTable(); } });
    countEl = h('span', { class: 'count', id: 'conv-count' });
    sec.appendChild(h('div', { class: 'controls' }, search, countEl));
    table = h('table', { id: 'conv-table' });
    tableHead = h('thead');
    tableBody = h('tbody');
    var tr = h('tr');
    CV.columns.forEach(function (c, i) {
      tr.appendChild(h('th', { class: NUMERIC[c] ? 'num' : '', 'data-col': i, click: function () {
        state.sort = state.sort && state.sort.col === i ? { col: i, dir: -state.sort.dir } : { col: i, dir: NUMERIC[c] ? -1 : 1 };
        renderTable();
      } }, c));
    });
    tableHead.appendChild(tr);
    table.appendChild(tableHead);
    table.appendChild(tableBody);
    sec.appendChild(h('div', { class: 'tablewrap' }, table));
    app.appendChild(sec);
  }
  function renderTable() {
    if (!tableBody) return;
    var rows = visibleRows();
    clear(tableBody);
    var frag = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      CV.columns.forEach(function (c, i) {
        var v = row[i], td = document.createElement('td');
        if (NUMERIC[c]) td.className = 'num';
        if (v === null || v === undefined) v = '';
        else if (c === 'packets' || c === 'bytes' || c === 'payload' || c === 'packets_a_to_b' || c === 'packets_b_to_a') v = fmtCount(v);
        td.textContent = String(v);
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    tableBody.appendChild(frag);
    Array.prototype.forEach.call(tableHead.querySelectorAll('th'), function (th, i) {
      th.classList.toggle('sorted-asc', !!state.sort && state.sort.col === i && state.sort.dir > 0);
      th.classList.toggle('sorted-desc', !!state.sort && state.sort.col === i && state.sort.dir < 0);
    });
    table.setAttribute('data-shown', String(rows.length));
    var txt = fmtCount(rows.length) + ' of ' + fmtCount(CV.rows.length) + ' conversations shown';
    if (CV.total > CV.rows.length) txt += ' (the table holds the top ' + fmtCount(CV.rows.length) + ' of ' + fmtCount(CV.total) + ' by packets)';
    countEl.textContent = txt;
  }

  // ---- statistics tables -------------------------------------------------------------------------------------
  function statTable(sec) {
    if (sec.skipped) return h('p', { class: 'empty' }, 'skipped: ' + sec.skipped);
    if (!sec.rows || !sec.rows.length) return h('p', { class: 'empty' }, 'no rows');
    var t = h('table');
    var numeric = {};
    sec.columns.forEach(function (c) { numeric[c.name] = /INT|DOUBLE|FLOAT|DECIMAL/.test(c.type); });
    // A port is an identifier, not a quantity: printed without thousands separators (7070, not 7,070).
    var isPort = function (name) { return /^(port|sport|dport|port_a|port_b)$|_port$/.test(name); };
    t.appendChild(h('thead', {}, h('tr', {}, sec.columns.map(function (c) { return h('th', { class: numeric[c.name] ? 'num' : '' }, c.name); }))));
    var body = h('tbody');
    sec.rows.forEach(function (r) {
      body.appendChild(h('tr', {}, sec.columns.map(function (c) {
        var v = r[c.name], cls = numeric[c.name] ? 'num' : c.name === 'protocol' ? 'pre' : '';
        if (v === null || v === undefined) v = '';
        else if (typeof v === 'number' && numeric[c.name]) v = isPort(c.name) ? String(v) : Number.isInteger(v) ? fmtCount(v) : String(Number(v.toFixed(6)));
        else if (typeof v === 'object') v = JSON.stringify(v);
        return h('td', { class: cls }, String(v));
      })));
    });
    t.appendChild(body);
    return h('div', { class: 'tablewrap' }, t);
  }
  function renderTalkers() {
    var sec = block('talkers', 'Top talkers and ports');
    var grid = h('div', { class: 'two' });
    ['src', 'dst', 'talker_peers', 'talker_ports', 'dport', 'sport', 'services'].forEach(function (name) {
      var st = section(name);
      if (!st) return;
      grid.appendChild(h('div', { id: 'stat-' + name }, h('h3', {}, st.title), statTable(st)));
    });
    sec.appendChild(grid);
    app.appendChild(sec);
  }
  // protocolSections are the stats sections over the protocol tables (dns, tls, http, files, credentials), shown
  // in their own block; stats leaves them out when their table has no rows, and then so does the page.
  var protocolSections = ['dns_domains', 'dns_subdomains', 'dns_rcodes', 'dns_qtypes', 'tls_sni', 'tls_versions', 'tls_ja4',
    'http_hosts', 'http_user_agents', 'http_status', 'http_methods', 'files_types', 'files_largest', 'files_executables',
    'credentials_protocols', 'credentials_seen'];
  // secretSections show secrets (the credentials themselves): behind a click, in a closed details element.
  var secretSections = { credentials_seen: 1 };
  function shownProtocolSections() {
    return protocolSections.map(section).filter(function (st) { return st && !st.skipped; });
  }
  function hasProtocolSections() { return shownProtocolSections().length > 0; }
  function renderProtocols() {
    var shown = shownProtocolSections();
    if (!shown.length) return;
    var sec = block('dns-tls', 'Protocols: DNS, TLS, HTTP, files, credentials');
    sec.appendChild(h('p', { class: 'count' }, 'DNS transactions, TLS handshakes, HTTP requests, files and credentials seen in clear (the dns, tls, http, files and credentials tables), each section one SQL query as pcapframe stats runs it.'));
    var grid = h('div', { class: 'two' });
    shown.forEach(function (st) {
      var d;
      if (secretSections[st.name]) {
        d = h('div', { id: 'stat-' + st.name }, h('h3', {}, st.title),
          h('details', { class: 'stat secret' }, h('summary', {}, 'Show ' + (st.rows ? st.rows.length : 0) + ' credential rows (user names and secrets as sent)'), statTable(st)));
      } else {
        d = h('div', { id: 'stat-' + st.name }, h('h3', {}, st.title), statTable(st));
      }
      if (st.sql) d.appendChild(h('details', { class: 'stat' }, h('summary', {}, 'SQL'), h('pre', { class: 'sql' }, st.sql)));
      grid.appendChild(d);
    });
    sec.appendChild(grid);
    app.appendChild(sec);
  }
  function renderStats() {
    var sec = block('stats', 'Statistics (as pcapframe stats)');
    sec.appendChild(h('p', { class: 'count' }, 'Each section is one SQL query over the packets table; open a section for its table and query.'));
    var skip = { src: 1, dst: 1, talker_peers: 1, talker_ports: 1, dport: 1, sport: 1, services: 1 };
    protocolSections.forEach(function (n) { skip[n] = 1; });
    stats.forEach(function (st) {
      if (skip[st.name]) return;
      var d = h('details', { class: 'stat', id: 'stat-' + st.name }, h('summary', {}, st.title), statTable(st));
      if (st.name === 'summary' || st.name === 'protocols') d.open = true;
      if (st.sql) d.appendChild(h('pre', { class: 'sql' }, st.sql));
      sec.appendChild(d);
    });
    app.appendChild(sec);
  }

  // ---- hunting: the findings of pcapframe hunt ----------------------------------------------------------------
  function renderHunting() {
    var hu = D.hunting;
    if (!hu) return;
    var sec = block('hunting', 'Hunting (as pcapframe hunt)');
    var fs = hu.findings || [];
    var intro = fmtCount(hu.total || 0) + ' finding(s) at or above severity low' + (fs.length < (hu.total || 0) ? ', the first ' + fs.length + ' listed' : '') +
      ', highest score first; ' + (hu.ran || []).length + ' detectors ran.';
    sec.appendChild(h('p', { class: 'count' }, intro));
    if (!fs.length) sec.appendChild(h('p', { class: 'empty' }, 'Nothing found at or above severity low.'));
    else {
      var t = h('table', { id: 'findings' });
      t.appendChild(h('thead', {}, h('tr', {}, ['severity', 'score', 'detector', 'actor', 'target', 'first', 'summary'].map(function (c) {
        return h('th', { class: c === 'score' ? 'num' : '' }, c);
      }))));
      var body = h('tbody');
      fs.forEach(function (f) {
        body.appendChild(h('tr', { class: 'sev-' + String(f.severity).replace(/[^a-z]/g, '') },
          h('td', {}, String(f.severity)), h('td', { class: 'num' }, String(Number(Number(f.score).toFixed(3)))),
          h('td', {}, String(f.detector)), h('td', {}, String(f.actor)),
          // A finding over the credentials table names user names as sent: shown only after a click, as the
          // credentials section shows them.
          f.sensitive ? h('td', {}, h('details', { class: 'secret' }, h('summary', {}, 'show'), String(f.target))) : h('td', {}, String(f.target)),
          h('td', {}, String(f.first || '')),
          h('td', {}, f.sensitive ? h('details', { class: 'secret' }, h('summary', {}, 'Show (user names as sent)'), String(f.summary)) : String(f.summary),
            (f.commands || []).length ? h('details', { class: 'stat' }, h('summary', {}, 'dig in'),
            h('pre', { class: 'sql' }, (f.commands || []).join('\n'))) : null)));
      });
      t.appendChild(body);
      sec.appendChild(h('div', { class: 'tablewrap' }, t));
    }
    if ((hu.skipped || []).length) sec.appendChild(h('p', { class: 'count' }, 'Skipped: ' + hu.skipped.join('; ')));
    app.appendChild(sec);
  }

  // ---- payload previews --------------------------------------------------------------------------------------
  function bytesOf(b64) {
    var bin = atob(b64 || ''), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // asciiView renders chunks as follow's ascii view: each chunk's length, then its bytes, non-printable as '.'
  // (carriage returns are left out, the line feeds break the lines); Node 1's chunks are indented by a tab; bytes
  // missing from the capture as follow prints them.
  function gapLine(c) { return (c.node1 ? '\t' : '') + '[' + c.gap + ' bytes missing in capture file]\n'; }
  function asciiView(pre, p) {
    p.chunks.forEach(function (c) {
      var cls = c.node1 ? 'n1' : 'n0';
      if (c.gap) { pre.appendChild(h('span', { class: cls + ' gap' }, gapLine(c))); return; }
      var b = bytesOf(c.data), t = '';
      for (var i = 0; i < b.length; i++) {
        var x = b[i];
        t += (x >= 0x20 && x <= 0x7e) || x === 10 ? String.fromCharCode(x) : x === 13 ? '' : '.';
      }
      pre.appendChild(h('span', { class: cls }, (c.node1 ? '\t' : '') + b.length + '\n' + t + '\n'));
    });
  }
  function hex2(x) { return (x < 16 ? '0' : '') + x.toString(16); }
  // hexView renders chunks as follow's hex view: the offset in the side's byte stream, 16 bytes, the text.
  function hexView(pre, p) {
    p.chunks.forEach(function (c) {
      var cls = c.node1 ? 'n1' : 'n0';
      if (c.gap) { pre.appendChild(h('span', { class: cls + ' gap' }, gapLine(c))); return; }
      var b = bytesOf(c.data), lines = '';
      for (var i = 0; i < b.length; i += 16) {
        var o = (Number(c.offset) + i).toString(16).toUpperCase();
        var line = (c.node1 ? '\t' : '') + '00000000'.slice(Math.min(o.length, 8)) + o + '  ', txt = '';
        for (var j = 0; j < 16; j++) {
          if (j === 8) line += ' ';
          if (i + j < b.length) {
            var x = b[i + j];
            line += hex2(x) + ' ';
            txt += x >= 0x20 && x <= 0x7e ? String.fromCharCode(x) : '.';
          } else line += '   ';
        }
        lines += line + ' ' + txt + '\n';
      }
      pre.appendChild(h('span', { class: cls }, lines));
    });
  }
  function renderPreviews() {
    var sec = block('previews', 'Payload of the top conversations');
    var ps = D.previews || [];
    if (!ps.length) sec.appendChild(h('p', { class: 'empty' }, 'No TCP or UDP conversation carries payload.'));
    sec.appendChild(h('p', { class: 'count' }, 'As pcapframe follow --flow shows them: TCP reassembled (both directions in order, retransmitted and overlapping bytes once, bytes missing from the capture marked), UDP datagram by datagram; non-printable bytes as ".", Node 1\'s chunks indented.'));
    ps.forEach(function (p, k) {
      var pre = h('pre', { id: 'preview-' + k });
      var mode = 'ascii';
      function draw() { clear(pre); if (mode === 'ascii') asciiView(pre, p); else hexView(pre, p); }
      var bA = h('button', { class: 'small', click: function () { mode = 'ascii'; draw(); } }, 'ASCII');
      var bH = h('button', { class: 'small', click: function () { mode = 'hex'; draw(); } }, 'Hex');
      var info = fmtBytes(p.shown_bytes) + ' in ' + p.chunks.length + ' chunks' + (p.truncated ? ' (the conversation goes on)' : ' (the whole conversation)');
      if (p.gaps) info += '; ' + fmtCount(p.gaps) + ' gaps (' + fmtBytes(p.gap_bytes) + ' missing)';
      if (p.overlap_bytes) info += '; ' + fmtBytes(p.overlap_bytes) + ' retransmitted';
      if (p.conflict_bytes) info += ', ' + fmtBytes(p.conflict_bytes) + ' differing from the first copy';
      sec.appendChild(h('div', { class: 'preview' },
        h('h3', {}, p.proto + '  Node 0: ' + p.node0 + '  Node 1: ' + p.node1 + '  (client ' + p.client + ')'),
        h('div', { class: 'controls' }, bA, bH, h('span', { class: 'count' }, info)), pre));
      draw();
    });
    app.appendChild(sec);
  }

  // ---- go ----------------------------------------------------------------------------------------------------
  try {
    renderHeader();
    renderSummary();
    renderChartsBlock();
    renderTimelineBlock();
    renderGraphBlock();
    renderTableBlock();
    renderTalkers();
    renderProtocols();
    renderHunting();
    renderPreviews();
    renderStats();
    renderCharts();
    renderTimeline();
    renderGraph();
    renderFilters();
    renderTable();
    // The charts are as wide as the page: redraw them when its width changes (not its height, which changes
    // when the browser captures the page or a toolbar comes and goes).
    var resizeTimer = null, drawnWidth = window.innerWidth;
    window.addEventListener('resize', function () {
      if (window.innerWidth === drawnWidth) return;
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { drawnWidth = window.innerWidth; renderCharts(); renderTimeline(); renderGraph(); }, 150);
    });
    document.body.setAttribute('data-ready', '1');
  } catch (err) {
    app.appendChild(h('p', { class: 'notes' }, 'The report could not be drawn: ' + String(err && err.message || err)));
    throw err;
  }
})();
