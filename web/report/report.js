/* web/report/report.js — draws outbreak's HTML report from the results document embedded
   in the page (<script type="application/json" id="results">): the run's header, the
   summary table, the charts as inline SVG, the latency table, durability, failures and
   parameters. No library and no request: small chart helpers of our own (linear and
   log scales, axes with ticks, legends, <title> tooltips).

   DOM contract (tests/browser/check_report.mjs relies on it): every chart is an
   <svg data-chart="NAME"> (throughput, latency, publish-vs-e2e, p99-over-time) in which
   each middleware's drawing is one <g data-series="M">; the summary is
   <table id="summary"> with one <tr data-middleware="M"> per result (middlewares that
   did not run are <tr data-missing="M">); errors go to #report-error; at the end
   document.body.dataset.ready is "1", whatever happened.

   Data from the document is only ever put into the page as text (textContent,
   attribute values), never parsed as markup. */
(function () {
  'use strict';

  /* The namespace name of SVG elements: an identifier, not an address that is fetched. */
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var DASH = '\u2014';

  /* --- small helpers ------------------------------------------------------------- */

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
      });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function add(parent, child) {
    parent.appendChild(child);
    return child;
  }

  function svg(parent, tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
      });
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }

  function tooltip(node, text) {
    svg(node, 'title', null, text);
  }

  function fmtInt(v) {
    if (!isNum(v)) return DASH;
    return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  /* A figure with 3 significant digits or so, thousands separated. */
  function fmtNum(v) {
    if (!isNum(v)) return DASH;
    var a = Math.abs(v);
    if (a >= 1000) return fmtInt(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a === 0) return '0';
    if (a >= 0.01) return v.toFixed(3);
    return v.toPrecision(2);
  }

  function fmtMs(v) {
    return isNum(v) ? fmtNum(v) : DASH;
  }

  function fmtValue(v) {
    if (v === null || v === undefined) return DASH;
    if (typeof v === 'number') return isNum(v) ? String(v) : DASH;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function get(obj, path) {
    var cur = obj;
    for (var i = 0; i < path.length; i++) {
      if (cur === null || cur === undefined || typeof cur !== 'object') return null;
      cur = cur[path[i]];
    }
    return cur === undefined ? null : cur;
  }

  /* --- colours: fixed by name, the others hashed into a second palette ------------- */

  var FIXED = { grpc: '#7b4fc9', nats: '#1e9bd7', rabbitmq: '#f26b1d', pubsub: '#2e9e4f', kafka: '#3a3f47' };
  var OTHERS = ['#c2185b', '#8d6e00', '#00897b', '#5c6bc0', '#a1887f', '#d81b60', '#558b2f', '#6d4c41'];

  function colour(name) {
    var base = String(name).split(/[^a-z0-9]/i)[0].toLowerCase();
    if (FIXED[base]) return FIXED[base];
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return OTHERS[h % OTHERS.length];
  }

  /* --- scales and axes ------------------------------------------------------------ */

  function linear(d0, d1, r0, r1) {
    if (!(d1 > d0)) d1 = d0 + 1;
    var f = function (v) { return r0 + (v - d0) / (d1 - d0) * (r1 - r0); };
    f.domain = [d0, d1];
    return f;
  }

  function logScale(d0, d1, r0, r1) {
    var l0 = Math.log10(d0), l1 = Math.log10(d1);
    if (!(l1 > l0)) l1 = l0 + 1;
    var f = function (v) { return r0 + (Math.log10(v) - l0) / (l1 - l0) * (r1 - r0); };
    f.domain = [Math.pow(10, l0), Math.pow(10, l1)];
    return f;
  }

  /* About n round ticks in [lo, hi]. */
  function niceTicks(lo, hi, n) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var t = niceTicks(0, v, 5);
    var step = t.length > 1 ? t[1] - t[0] : v;
    return Math.ceil(v / step - 1e-9) * step;
  }

  /* Bounds of a log axis around [lo, hi]: whole decades, or 1-2-5 steps when narrow. */
  function logBounds(lo, hi) {
    var a = Math.pow(10, Math.floor(Math.log10(lo)));
    var b = Math.pow(10, Math.ceil(Math.log10(hi)));
    if (b <= a) b = a * 10;
    return [a, b];
  }

  function logTicks(lo, hi) {
    var out = [];
    var decades = Math.log10(hi / lo);
    var mult = decades <= 2 ? [1, 2, 5] : [1];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      mult.forEach(function (m) {
        var v = +(m * Math.pow(10, e)).toPrecision(6);
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      });
    }
    return out;
  }

  function fmtTick(v) {
    if (v >= 1000) return fmtInt(v);
    if (v >= 1) return String(+v.toPrecision(6));
    return String(+v.toPrecision(3));
  }

  /* A chart frame: the <svg data-chart>, its plot area and the two axes. */
  function frame(container, name, opts) {
    var W = opts.width || 620, H = opts.height || 330;
    var m = { l: opts.left || 58, r: opts.right || 14, t: 10, b: opts.bottom || 60 };
    var s = svg(null, 'svg', {
      'class': 'chart', 'data-chart': name, viewBox: '0 0 ' + W + ' ' + H,
      role: 'img', 'aria-label': opts.label || name
    });
    container.appendChild(s);
    return { svg: s, W: W, H: H, x0: m.l, x1: W - m.r, y0: H - m.b, y1: m.t };
  }

  /* ticks: [{v, label}]; scale maps v to pixels. */
  function xAxis(f, scale, ticks, title) {
    var g = svg(f.svg, 'g', { 'class': 'x-axis' });
    ticks.forEach(function (t) {
      var x = scale(t.v);
      if (x < f.x0 - 0.5 || x > f.x1 + 0.5) return;
      svg(g, 'line', { 'class': 'grid', x1: x, x2: x, y1: f.y1, y2: f.y0 });
      svg(g, 'text', { 'class': 'tick-label', x: x, y: f.y0 + 15, 'text-anchor': 'middle' }, t.label);
    });
    svg(g, 'line', { 'class': 'axis', x1: f.x0, x2: f.x1, y1: f.y0, y2: f.y0 });
    if (title)
      svg(g, 'text', { 'class': 'axis-title', x: (f.x0 + f.x1) / 2, y: f.y0 + 30, 'text-anchor': 'middle' }, title);
  }

  function yAxis(f, scale, ticks, title) {
    var g = svg(f.svg, 'g', { 'class': 'y-axis' });
    ticks.forEach(function (t) {
      var y = scale(t.v);
      if (y < f.y1 - 0.5 || y > f.y0 + 0.5) return;
      svg(g, 'line', { 'class': 'grid', x1: f.x0, x2: f.x1, y1: y, y2: y });
      svg(g, 'text', { 'class': 'tick-label', x: f.x0 - 6, y: y + 4, 'text-anchor': 'end' }, t.label);
    });
    svg(g, 'line', { 'class': 'axis', x1: f.x0, x2: f.x0, y1: f.y1, y2: f.y0 });
    if (title)
      svg(g, 'text', {
        'class': 'axis-title', x: 0, y: 0, 'text-anchor': 'middle',
        transform: 'translate(12,' + (f.y0 + f.y1) / 2 + ') rotate(-90)'
      }, title);
  }

  /* A chart with nothing to draw still has its (empty) series, one per middleware. */
  function empty(f, text, items) {
    svg(f.svg, 'text', { 'class': 'empty', x: (f.x0 + f.x1) / 2, y: (f.y0 + f.y1) / 2, 'text-anchor': 'middle' }, text);
    (items || []).forEach(function (it) {
      tooltip(svg(f.svg, 'g', { 'data-series': it.key }), it.key + ': not measured');
    });
  }

  /* points: [[x, y] | null] in pixels; null breaks the line. */
  function pathData(points) {
    var d = '', pen = false;
    points.forEach(function (p) {
      if (!p) { pen = false; return; }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1);
      pen = true;
    });
    return d;
  }

  /* The legend below the plot: one entry per series, plus optional line-style keys. */
  function legend(f, series, styles) {
    var g = svg(f.svg, 'g', { 'class': 'legend' });
    var x = f.x0, y = f.H - 8;
    series.forEach(function (s) {
      svg(g, 'rect', { x: x, y: y - 9, width: 12, height: 10, rx: 2, fill: s.colour });
      svg(g, 'text', { 'class': 'legend-text', x: x + 16, y: y }, s.key);
      x += 16 + 7.2 * s.key.length + 16;
    });
    (styles || []).forEach(function (st) {
      svg(g, 'line', { x1: x, x2: x + 22, y1: y - 4, y2: y - 4, stroke: '#555', 'stroke-width': 2, 'stroke-dasharray': st.dash || null });
      svg(g, 'text', { 'class': 'legend-text', x: x + 27, y: y }, st.label);
      x += 27 + 7 * st.label.length + 16;
    });
  }

  /* --- the document ---------------------------------------------------------------- */

  /* Each result with a unique key (its label, which `outbreak compare` sets to the name
     the middleware was asked for by, e.g. "nats-core"; else the middleware's name, or
     "name:mode" / "name#n" when one middleware ran more than once) and its colour. */
  function prepare(doc) {
    var results = Array.isArray(doc.results) ? doc.results.filter(function (r) {
      return r && typeof r === 'object';
    }) : [];
    var seen = {};
    function nameOf(r) {
      if (typeof r.label === 'string' && r.label) return r.label;
      return typeof r.middleware === 'string' && r.middleware ? r.middleware : 'unknown';
    }
    results.forEach(function (r) {
      var name = nameOf(r);
      seen[name] = (seen[name] || 0) + 1;
    });
    var used = {};
    return results.map(function (r, i) {
      var name = nameOf(r);
      var key = name;
      if (seen[name] > 1) key = r.mode ? name + ':' + r.mode : name + '#' + (i + 1);
      while (used[key]) key += "'";
      used[key] = true;
      return { r: r, key: key, name: name, colour: colour(name) };
    });
  }

  /* records/s of a result: persisted, or acked when persisted is unknown. */
  function rate(r) {
    var p = get(r, ['throughput', 'persisted_per_s']);
    if (isNum(p)) return { v: p, what: 'persisted' };
    var a = get(r, ['throughput', 'acked_per_s']);
    if (isNum(a)) return { v: a, what: 'acked' };
    return { v: null, what: null };
  }

  function headerInfo(doc, items) {
    var title = document.getElementById('title');
    var kind = doc.outbreak === 'run' ? 'run' : 'compare';
    var t = 'outbreak ' + kind;
    if (kind === 'run' && items.length === 1)
      t += ': ' + items[0].name + (items[0].r.mode ? ' (' + items[0].r.mode + ')' : '');
    else if (items.length)
      t += ': ' + items.map(function (it) { return it.key; }).join(', ');
    title.textContent = t;
    document.title = t;

    var dl = document.getElementById('run-info');
    function item(k, v) {
      if (v === null || v === undefined || v === '') return;
      var d = add(dl, el('div'));
      add(d, el('dt', null, k));
      add(d, el('dd', null, v));
    }
    var id = doc.id || (items.length === 1 ? items[0].r.run : null);
    item('id', id);
    item('started', doc.started);
    item('finished', doc.finished);
    var wl = get(doc, ['params', 'workload']) || (items.length ? items[0].r.load : null);
    if (wl) item('load', describeLoad(wl));
    var host = doc.host;
    if (host && typeof host === 'object')
      item('host', [host.hostname, isNum(host.cpus) ? host.cpus + ' CPUs' : null,
        isNum(host.mem_mb) ? fmtInt(host.mem_mb) + ' MB' : null, host.kernel]
        .filter(function (x) { return x !== null && x !== undefined; }).join(', '));
  }

  function describeLoad(w) {
    var parts = [];
    if (w.model) parts.push(w.model + ' model');
    var staged = w.stages && typeof w.stages === 'object' && typeof w.stages.spec === 'string';
    if (staged) parts.push('stages ' + w.stages.spec + ' (at most ' + fmtNum(isNum(w.rate) ? w.rate : w.users) +
      (w.stages.target === 'records/s' ? ' records/s)' : ' users)'));
    else if (w.rate === 'max') parts.push('as fast as it goes');
    else if (isNum(w.rate)) parts.push(fmtNum(w.rate) + ' records/s');
    /* a result's load: the step it used; the workload's: --tick as given */
    if (isNum(w.tick_ms) && w.tick_ms > 0)
      parts.push('sent on a ' + fmtValue(w.tick_ms) + ' ms tick' + (w.tick_auto ? ' (--tick auto)' : ''));
    else if (isNum(w.tick) && w.tick > 0) parts.push('sent on a ' + fmtValue(w.tick) + ' ms tick');
    else if (w.tick === 'auto') parts.push('--tick auto');
    if (isNum(w.users) && !staged) parts.push(w.users + ' users' + (isNum(w.spawn_rate) ? ' (+' + w.spawn_rate + '/s)' : ''));
    if (isNum(w.wait_min_s) || isNum(w.wait_max_s))
      parts.push('wait ' + fmtValue(w.wait_min_s) + '\u2013' + fmtValue(w.wait_max_s) + ' s');
    if (isNum(w.run_time_s)) parts.push(w.run_time_s + ' s');
    if (isNum(w.warmup_s) && w.warmup_s > 0) parts.push('after ' + w.warmup_s + ' s of warm-up');
    if (isNum(w.threads)) parts.push(w.threads + ' thread' + (w.threads === 1 ? '' : 's'));
    if (isNum(w.record_size)) parts.push('records padded to ' + fmtInt(w.record_size) + ' bytes');
    return parts.join(', ');
  }

  /* --- the summary table ------------------------------------------------------------ */

  /* key=value pairs, each unbroken, the lines breaking between them. */
  function durabilityCell(td, d) {
    if (!d || typeof d !== 'object' || !Object.keys(d).length) {
      td.textContent = DASH;
      return;
    }
    Object.keys(d).forEach(function (k, i) {
      if (i) td.appendChild(document.createTextNode(' '));
      add(td, el('span', { 'class': 'kv' }, k + '=' + fmtValue(d[k])));
    });
  }

  function summary(doc, items) {
    var table = document.getElementById('summary');
    var thead = add(table, el('thead'));
    var g = add(thead, el('tr', { 'class': 'group' }));
    [['', 2], ['publish (ms)', 2], ['end-to-end (ms)', 2], ['delivery', 5], ['cost per 1000 records', 2], ['', 1]]
      .forEach(function (c) { add(g, el('th', { colspan: c[1] }, c[0])); });
    var h = add(thead, el('tr'));
    [['Middleware', 'l'], ['records/s', null, 'records persisted per second (* acked per second where persisted is unknown)'], ['p50'], ['p99'], ['p50'], ['p99'], ['sent'], ['acked'],
      ['persisted'], ['lost'], ['duplicates'], ['CPU ms', null, 'broker + sink + load generator CPU per 1000 records'],
      ['RSS MB', null, 'peak RSS (broker + sink + load generator) per 1000 records/s'], ['Durability', 'l']]
      .forEach(function (c) { add(h, el('th', { 'class': c[1] || null, title: c[2] || null }, c[0])); });
    var tbody = add(table, el('tbody'));

    items.forEach(function (it) {
      var r = it.r;
      var tr = add(tbody, el('tr', { 'data-middleware': it.key }));
      var name = add(tr, el('td', { 'class': 'l' }));
      add(name, el('span', { 'class': 'swatch', style: 'background:' + it.colour }));
      add(name, el('strong', null, it.key));
      if (r.mode) add(name, el('span', { 'class': 'mode' }, r.mode));
      if (r.broker_acks === false) add(name, el('span', { 'class': 'badge', title: 'no broker ack' }, 'no broker ack'));
      var rt = rate(r);
      cell(tr, fmtNum(rt.v), rt.what === 'acked' ? 'acked/s (persisted unknown)' : null);
      cell(tr, fmtMs(get(r, ['publish_latency_ms', 'p50'])));
      cell(tr, fmtMs(get(r, ['publish_latency_ms', 'p99'])));
      cell(tr, fmtMs(get(r, ['e2e_latency_ms', 'p50'])));
      cell(tr, fmtMs(get(r, ['e2e_latency_ms', 'p99'])));
      cell(tr, fmtInt(r.sent));
      cell(tr, fmtInt(r.acked));
      cell(tr, fmtInt(r.persisted));
      cell(tr, fmtInt(r.lost), null, isNum(r.lost) && r.lost > 0 ? 'bad' : null);
      cell(tr, fmtInt(r.duplicates), null, isNum(r.duplicates) && r.duplicates > 0 ? 'bad' : null);
      cell(tr, fmtNum(get(r, ['cost', 'cpu_ms_per_1000_records'])));
      cell(tr, fmtNum(get(r, ['cost', 'rss_mb_per_1000_records_per_s'])));
      durabilityCell(add(tr, el('td', { 'class': 'l wrap mono dur' })), r.durability);
    });

    var missing = Array.isArray(doc.missing) ? doc.missing : [];
    missing.forEach(function (m) {
      if (!m || typeof m !== 'object') return;
      var name = typeof m.middleware === 'string' ? m.middleware : 'unknown';
      var tr = add(tbody, el('tr', { 'class': 'missing', 'data-missing': name }));
      var td = add(tr, el('td', { 'class': 'l' }));
      add(td, el('span', { 'class': 'swatch', style: 'background:' + colour(name) }));
      add(td, el('strong', null, name));
      add(tr, el('td', { 'class': 'l wrap', colspan: 13 }, 'did not run: ' + fmtValue(m.reason)));
    });
    if (!items.length && !missing.length)
      add(add(tbody, el('tr')), el('td', { 'class': 'l', colspan: 14 }, 'No results in this document.'));
  }

  function cell(tr, text, title, cls) {
    var td = add(tr, el('td', { title: title || null, 'class': cls || (text === DASH ? 'na' : null) }, text));
    if (title) td.textContent = text + ' *';
    return td;
  }

  function notes(items) {
    var ul = document.getElementById('notes');
    items.forEach(function (it) {
      var r = it.r;
      if (r.broker_acks === false) {
        var means = get(r, ['durability', 'acked_means']);
        add(ul, el('li', null, it.key + (r.mode ? ' (' + r.mode + ')' : '') +
          ': no broker ack \u2014 the broker does not confirm a publish, so "acked" and the publish latency ' +
          'only say the client handed the record over' + (means ? ' (acked means: ' + fmtValue(means) + ')' : '') +
          '. Compare delivery by persisted and lost.'));
      }
      var rt = rate(r);
      if (rt.what === 'acked')
        add(ul, el('li', null, it.key + ': persisted unknown; records/s (*) and its throughput line are acked records per second.'));
      if (isNum(r.lost) && r.lost > 0)
        add(ul, el('li', null, it.key + ': ' + fmtInt(r.lost) + ' acked record(s) were not persisted (lost).'));
      if (isNum(r.e2e_unmeasured) && r.e2e_unmeasured > 0 && isNum(r.persisted))
        add(ul, el('li', null, it.key + ': end-to-end latency measured for ' +
          fmtInt(r.persisted - r.e2e_unmeasured) + ' of the ' + fmtInt(r.persisted) +
          ' persisted records; no sink saved the others\u2019 latencies (a sink that died before it saved them).'));
    });
    if (!ul.children.length) ul.hidden = true;
  }

  /* --- charts ------------------------------------------------------------------------- */

  /* Per-second values of a series field: the interval's count divided by its length. */
  function perSecond(series, field) {
    var out = [], prev = 0;
    series.forEach(function (p) {
      if (!p || !isNum(p.t)) return;
      var dt = p.t - prev;
      prev = p.t;
      out.push([p.t, isNum(p[field]) && dt > 0 ? p[field] / dt : null]);
    });
    return out;
  }

  function chartThroughput(items) {
    var f = frame(document.getElementById('chart-throughput'), 'throughput', { label: 'records persisted per second over time' });
    var lines = [], tmax = 0, vmax = 0;
    items.forEach(function (it) {
      var series = Array.isArray(it.r.series) ? it.r.series : [];
      var hasPersisted = series.some(function (p) { return p && isNum(p.persisted); });
      var field = hasPersisted ? 'persisted' : 'acked';
      var pts = perSecond(series, field);
      pts.forEach(function (p) {
        if (p[0] > tmax) tmax = p[0];
        if (isNum(p[1]) && p[1] > vmax) vmax = p[1];
      });
      lines.push({ it: it, pts: pts, field: field });
    });
    var x = linear(0, tmax > 0 ? tmax : 1, f.x0, f.x1);
    var y = linear(0, niceMax(vmax * 1.05), f.y0, f.y1);
    xAxis(f, x, niceTicks(0, x.domain[1], 10).map(function (v) { return { v: v, label: v + ' s' }; }), 'time since the middleware\u2019s start');
    yAxis(f, y, niceTicks(0, y.domain[1], 6).map(function (v) { return { v: v, label: fmtTick(v) }; }), 'records/s');
    lines.forEach(function (l) {
      var g = svg(f.svg, 'g', { 'data-series': l.it.key });
      tooltip(g, l.it.key + ': ' + l.field + ' records per second');
      svg(g, 'path', {
        d: pathData(l.pts.map(function (p) { return isNum(p[1]) ? [x(p[0]), y(p[1])] : null; })),
        fill: 'none', stroke: l.it.colour, 'stroke-width': 2, 'stroke-linejoin': 'round',
        'stroke-dasharray': l.field === 'acked' ? '2 3' : null
      });
      l.pts.forEach(function (p) {
        if (!isNum(p[1])) return;
        var c = svg(g, 'circle', { cx: x(p[0]), cy: y(p[1]), r: 2.5, fill: l.it.colour });
        tooltip(c, l.it.key + ' at ' + fmtNum(p[0]) + ' s: ' + fmtNum(p[1]) + ' ' + l.field + '/s');
      });
    });
    if (!lines.some(function (l) { return l.pts.some(function (p) { return isNum(p[1]); }); }))
      empty(f, 'no per-second series in this document');
    if (lines.some(function (l) { return l.field === 'acked'; })) {
      var sub = document.querySelector('#chart-throughput');
      sub = sub && sub.parentNode.querySelector('figcaption .sub');
      if (sub) sub.textContent = 'records persisted per second; dotted: acked per second where persisted is unknown';
    }
    legend(f, items.map(function (it) { return { key: it.key, colour: it.colour }; }));
  }

  /* The percentile axis: x = log10(1 / (1 - p)); 100% has no place on it and is drawn
     one decade after the last finite point, labelled "max". */
  function pctX(p) {
    return -Math.log10(1 - p / 100);
  }

  function pctLabel(d) {
    if (d === 0) return '0%';
    var p = 100 * (1 - Math.pow(10, -d));
    return String(+p.toPrecision(d + 2)) + '%';
  }

  /* latency_curves.publish / .e2e: {"percentile": [...], "ms": [...]} (parallel arrays:
     MongoDB-wire servers such as FerretDB refuse nested arrays) -> [[percentile, ms], ...] */
  function curve(r, which) {
    var c = get(r, ['latency_curves', which]);
    if (!c || !Array.isArray(c.percentile) || !Array.isArray(c.ms)) return [];
    var out = [];
    for (var i = 0; i < c.percentile.length && i < c.ms.length; i++) {
      var p = c.percentile[i], v = c.ms[i];
      if (isNum(p) && isNum(v) && v > 0 && p >= 0 && p <= 100) out.push([p, v]);
    }
    return out;
  }

  function chartLatency(items) {
    var f = frame(document.getElementById('chart-latency'), 'latency', { label: 'latency percentile curves' });
    var dmax = 0, hasMax = false, lo = Infinity, hi = 0;
    var curves = items.map(function (it) {
      var pub = curve(it.r, 'publish'), e2e = curve(it.r, 'e2e');
      pub.concat(e2e).forEach(function (p) {
        if (p[0] >= 100) hasMax = true;
        else dmax = Math.max(dmax, pctX(p[0]));
        lo = Math.min(lo, p[1]);
        hi = Math.max(hi, p[1]);
      });
      return { it: it, pub: pub, e2e: e2e };
    });
    var top = Math.max(2, Math.ceil(dmax - 1e-6));
    var xEnd = hasMax ? top + 1 : top;
    var x = linear(0, xEnd, f.x0, f.x1);
    var xt = [{ v: 0, label: '' }, { v: pctX(50), label: '50%' }];
    for (var d = 1; d <= top; d++) xt.push({ v: d, label: pctLabel(d) });
    if (hasMax) xt.push({ v: xEnd, label: 'max' });
    xAxis(f, x, xt, 'percentile');
    if (!(hi > 0)) {
      yAxis(f, linear(0, 1, f.y0, f.y1), [], 'ms');
      empty(f, 'no latency curves in this document', items);
      legend(f, items.map(function (it) { return { key: it.key, colour: it.colour }; }));
      return;
    }
    var b = logBounds(lo, hi);
    var y = logScale(b[0], b[1], f.y0, f.y1);
    yAxis(f, y, logTicks(b[0], b[1]).map(function (v) { return { v: v, label: fmtTick(v) }; }), 'latency (ms, log)');
    function px(p) { return [x(p[0] >= 100 ? xEnd : pctX(p[0])), y(p[1])]; }
    curves.forEach(function (c) {
      var g = svg(f.svg, 'g', { 'data-series': c.it.key });
      [['publish', c.pub, null], ['end-to-end', c.e2e, '6 4']].forEach(function (k) {
        if (!k[1].length) return;
        var sub = svg(g, 'g', { 'data-kind': k[0] });
        svg(sub, 'path', {
          d: pathData(k[1].map(px)), fill: 'none', stroke: c.it.colour, 'stroke-width': 2,
          'stroke-dasharray': k[2], 'stroke-linejoin': 'round'
        });
        k[1].forEach(function (p) {
          var q = px(p);
          var dot = svg(sub, 'circle', { cx: q[0], cy: q[1], r: 2.2, fill: c.it.colour });
          tooltip(dot, c.it.key + ' ' + k[0] + ' ' + (p[0] >= 100 ? 'max' : 'p' + String(+p[0].toPrecision(7))) + ': ' + fmtMs(p[1]) + ' ms');
        });
      });
    });
    legend(f, items.map(function (it) { return { key: it.key, colour: it.colour }; }),
      [{ label: 'publish' }, { label: 'end-to-end', dash: '6 4' }]);
  }

  function chartPublishVsE2e(items) {
    var H = Math.max(330, 10 + items.length * 44 + 60);
    var labelW = 20 + 7.5 * items.reduce(function (m, it) { return Math.max(m, it.key.length); }, 6);
    var f = frame(document.getElementById('chart-publish-vs-e2e'), 'publish-vs-e2e',
      { height: H, left: Math.max(90, labelW), right: 150, label: 'p50 and p99 latency, publish vs end-to-end' });
    var rowH = (f.y0 - f.y1) / Math.max(1, items.length);
    var lo = Infinity, hi = 0;
    var rows = items.map(function (it) {
      var v = {
        pub50: get(it.r, ['publish_latency_ms', 'p50']), pub99: get(it.r, ['publish_latency_ms', 'p99']),
        e2e50: get(it.r, ['e2e_latency_ms', 'p50']), e2e99: get(it.r, ['e2e_latency_ms', 'p99'])
      };
      Object.keys(v).forEach(function (k) {
        if (isNum(v[k]) && v[k] > 0) { lo = Math.min(lo, v[k]); hi = Math.max(hi, v[k]); } else v[k] = null;
      });
      return { it: it, v: v };
    });
    if (!(hi > 0)) {
      xAxis(f, linear(0, 1, f.x0, f.x1), [], 'latency (ms)');
      empty(f, 'no latency figures in this document', items);
      return;
    }
    var b = [lo / 1.4, hi * 1.4]; /* tight: the dots, not whole decades */
    var x = logScale(b[0], b[1], f.x0, f.x1);
    xAxis(f, x, logTicks(b[0], b[1]).map(function (v) { return { v: v, label: fmtTick(v) }; }), 'latency (ms, log)');
    svg(f.svg, 'line', { 'class': 'axis', x1: f.x0, x2: f.x0, y1: f.y1, y2: f.y0 });
    rows.forEach(function (row, i) {
      var yc = f.y1 + i * rowH + rowH / 2 - 8;
      var g = svg(f.svg, 'g', { 'data-series': row.it.key });
      svg(g, 'text', { 'class': 'legend-text', x: f.x0 - 8, y: yc + 9, 'text-anchor': 'end', 'font-weight': 600 }, row.it.key);
      [['publish', row.v.pub50, row.v.pub99, yc, null], ['end-to-end', row.v.e2e50, row.v.e2e99, yc + 16, '5 3']]
        .forEach(function (k) {
          var yy = k[3], c = row.it.colour;
          var sub = svg(g, 'g', { 'data-kind': k[0] });
          if (k[1] === null && k[2] === null) {
            svg(sub, 'text', { 'class': 'value-label', x: f.x0 + 6, y: yy + 4 }, k[0] + ': \u2014');
            return;
          }
          if (k[1] !== null && k[2] !== null)
            svg(sub, 'line', { x1: x(k[1]), x2: x(k[2]), y1: yy, y2: yy, stroke: c, 'stroke-width': 3, 'stroke-dasharray': k[4] });
          [[k[1], 'p50'], [k[2], 'p99']].forEach(function (pt) {
            if (pt[0] === null) return;
            var mark = pt[1] === 'p50'
              ? svg(sub, 'circle', { cx: x(pt[0]), cy: yy, r: 5, fill: k[0] === 'publish' ? c : '#fff', stroke: c, 'stroke-width': 2 })
              : svg(sub, 'rect', { x: x(pt[0]) - 5, y: yy - 5, width: 10, height: 10, fill: k[0] === 'publish' ? c : '#fff', stroke: c, 'stroke-width': 2 });
            tooltip(mark, row.it.key + ' ' + k[0] + ' ' + pt[1] + ': ' + fmtMs(pt[0]) + ' ms');
          });
          var right = k[2] !== null ? k[2] : k[1];
          svg(sub, 'text', { 'class': 'value-label', x: x(right) + 9, y: yy + 3.5 },
            k[0] + ' ' + fmtMs(k[1]) + ' / ' + fmtMs(k[2]));
        });
    });
    var ly = f.H - 8, lx = f.x0, lg = svg(f.svg, 'g', { 'class': 'legend' });
    [['publish (filled)', '#555', null], ['end-to-end (hollow, dashed)', '#fff', '5 3']].forEach(function (k) {
      svg(lg, 'line', { x1: lx, x2: lx + 26, y1: ly - 4, y2: ly - 4, stroke: '#555', 'stroke-width': 3, 'stroke-dasharray': k[2] });
      svg(lg, 'circle', { cx: lx, cy: ly - 4, r: 4, fill: k[1], stroke: '#555', 'stroke-width': 2 });
      svg(lg, 'rect', { x: lx + 22, y: ly - 8, width: 8, height: 8, fill: k[1], stroke: '#555', 'stroke-width': 2 });
      svg(lg, 'text', { 'class': 'legend-text', x: lx + 36, y: ly }, k[0]);
      lx += 36 + 7 * k[0].length + 20;
    });
    svg(lg, 'text', { 'class': 'legend-text', x: lx, y: ly }, '\u25cf p50   \u25a0 p99');
  }

  function chartP99(items) {
    var f = frame(document.getElementById('chart-p99-over-time'), 'p99-over-time', { label: 'p99 latency per second' });
    var tmax = 0, lo = Infinity, hi = 0;
    var lines = items.map(function (it) {
      var series = Array.isArray(it.r.series) ? it.r.series : [];
      var pub = [], e2e = [];
      series.forEach(function (p) {
        if (!p || !isNum(p.t)) return;
        tmax = Math.max(tmax, p.t);
        [[pub, p.p99_ms], [e2e, p.e2e_p99_ms]].forEach(function (k) {
          if (isNum(k[1]) && k[1] > 0) {
            k[0].push([p.t, k[1]]);
            lo = Math.min(lo, k[1]);
            hi = Math.max(hi, k[1]);
          } else k[0].push(null);
        });
      });
      return { it: it, pub: pub, e2e: e2e };
    });
    var x = linear(0, tmax > 0 ? tmax : 1, f.x0, f.x1);
    xAxis(f, x, niceTicks(0, x.domain[1], 10).map(function (v) { return { v: v, label: v + ' s' }; }), 'time since the middleware\u2019s start');
    if (!(hi > 0)) {
      yAxis(f, linear(0, 1, f.y0, f.y1), [], 'ms');
      empty(f, 'no per-second latency in this document', items);
      return;
    }
    var b = logBounds(lo, hi);
    var y = logScale(b[0], b[1], f.y0, f.y1);
    yAxis(f, y, logTicks(b[0], b[1]).map(function (v) { return { v: v, label: fmtTick(v) }; }), 'p99 (ms, log)');
    lines.forEach(function (l) {
      var g = svg(f.svg, 'g', { 'data-series': l.it.key });
      [['publish', l.pub, null], ['end-to-end', l.e2e, '6 4']].forEach(function (k) {
        if (!k[1].some(Boolean)) return;
        var sub = svg(g, 'g', { 'data-kind': k[0] });
        svg(sub, 'path', {
          d: pathData(k[1].map(function (p) { return p ? [x(p[0]), y(p[1])] : null; })),
          fill: 'none', stroke: l.it.colour, 'stroke-width': 2, 'stroke-dasharray': k[2], 'stroke-linejoin': 'round'
        });
        k[1].forEach(function (p) {
          if (!p) return;
          var c = svg(sub, 'circle', { cx: x(p[0]), cy: y(p[1]), r: 2.2, fill: l.it.colour });
          tooltip(c, l.it.key + ' ' + k[0] + ' p99 at ' + fmtNum(p[0]) + ' s: ' + fmtMs(p[1]) + ' ms');
        });
      });
    });
    legend(f, items.map(function (it) { return { key: it.key, colour: it.colour }; }),
      [{ label: 'publish' }, { label: 'end-to-end', dash: '6 4' }]);
  }

  /* --- tables and lists below the charts ------------------------------------------- */

  var PCTS = ['p50', 'p66', 'p75', 'p80', 'p90', 'p95', 'p98', 'p99', 'p99.9', 'p99.99', 'max'];

  function latencyTable(items) {
    var table = document.getElementById('latency-table');
    var h = add(add(table, el('thead')), el('tr'));
    add(h, el('th', { 'class': 'l' }, 'Middleware'));
    add(h, el('th', { 'class': 'l' }, 'Latency'));
    add(h, el('th', null, 'count'));
    PCTS.forEach(function (p) { add(h, el('th', null, p === 'max' ? '100%' : p.slice(1) + '%')); });
    add(h, el('th', null, 'mean'));
    var tbody = add(table, el('tbody'));
    var kinds = [['publish_latency_ms', 'publish (from intended send)'],
      ['publish_latency_uncorrected_ms', 'publish (uncorrected)'],
      ['send_delay_ms', 'send delay'], ['e2e_latency_ms', 'end-to-end (to MongoDB)']];
    items.forEach(function (it) {
      kinds.forEach(function (k, i) {
        var lat = it.r[k[0]];
        var tr = add(tbody, el('tr', { 'data-latency': it.key }));
        var td = add(tr, el('td', { 'class': 'l' }));
        if (i === 0) {
          add(td, el('span', { 'class': 'swatch', style: 'background:' + it.colour }));
          add(td, el('strong', null, it.key));
        }
        add(tr, el('td', { 'class': 'l' }, k[1]));
        if (!lat || typeof lat !== 'object') {
          add(tr, el('td', { 'class': 'na l', colspan: PCTS.length + 2 }, DASH + ' not measured'));
          return;
        }
        cell(tr, fmtInt(lat.count));
        PCTS.forEach(function (p) { cell(tr, fmtMs(lat[p])); });
        cell(tr, fmtMs(lat.mean));
      });
    });
  }

  function dl(parent, pairs) {
    var d = add(parent, el('dl'));
    if (!pairs.length) pairs = [[DASH, null]];
    pairs.forEach(function (p) {
      add(d, el('dt', null, p[0]));
      add(d, el('dd', { 'class': p[2] || null }, fmtValue(p[1])));
    });
    return d;
  }

  function durability(items) {
    var box = document.getElementById('durability');
    var cards = add(box, el('div', { 'class': 'cards' }));
    items.forEach(function (it) {
      var r = it.r;
      var card = add(cards, el('div', { 'class': 'card', 'data-middleware': it.key, style: 'border-top-color:' + it.colour }));
      var h = add(card, el('h3', null, it.key + (r.mode ? ' (' + r.mode + ')' : '')));
      if (r.broker_acks === false) add(h, el('span', { 'class': 'badge' }, 'no broker ack'));
      add(card, el('div', { 'class': 'url mono' }, fmtValue(r.url)));
      var d = r.durability && typeof r.durability === 'object' ? r.durability : {};
      add(card, el('h4', null, 'Durability'));
      dl(card, Object.keys(d).map(function (k) { return [k, d[k], 'mono']; }));
      add(card, el('h4', null, 'Delivery'));
      /* --warmup: before the measured time, under a run id of its own, in none of the figures */
      var wu = r.warmup && typeof r.warmup === 'object' ? r.warmup : null;
      var warmRow = wu ? [['warm-up (not in the figures)', fmtNum(wu.duration_s) + ' s before, run ' + fmtValue(wu.run) +
        ': sent ' + fmtInt(wu.sent) + ', acked ' + fmtInt(wu.acked) + ', failed ' + fmtInt(wu.failed) +
        ', persisted ' + fmtInt(wu.persisted_by_end)]] : [];
      dl(card, [['duration', isNum(r.duration_s) ? fmtNum(r.duration_s) + ' s' : null]].concat(warmRow, [
        ['sent / acked / failed', [fmtInt(r.sent), fmtInt(r.acked), fmtInt(r.failed)].join(' / ')],
        ['persisted / dup / lost', [fmtInt(r.persisted), fmtInt(r.duplicates), fmtInt(r.lost)].join(' / ')],
        ['invalid', isNum(r.invalid) ? fmtInt(r.invalid) : null],
        ['sinks', isNum(r.sinks) ? r.sinks : null],
        ['avg record', isNum(r.avg_record_bytes) ? fmtNum(r.avg_record_bytes) + ' bytes' : null]]));
      var c = r.cost && typeof r.cost === 'object' ? r.cost : {};
      function cpuRss(cpu, rss) {
        return (isNum(cpu) ? fmtNum(cpu) + ' CPU s' : DASH) + ', ' + (isNum(rss) ? fmtNum(rss) + ' MB peak' : DASH);
      }
      add(card, el('h4', null, 'Cost'));
      dl(card, [['broker', cpuRss(c.broker_cpu_s, c.broker_peak_rss_mb)],
        ['broker process', c.broker_process],
        ['sink', cpuRss(c.sink_cpu_s, c.sink_peak_rss_mb)],
        ['load generator', cpuRss(c.loadgen_cpu_s, c.loadgen_peak_rss_mb)],
        ['database', cpuRss(c.db_cpu_s, c.db_peak_rss_mb)],
        ['records per CPU s', isNum(c.records_per_cpu_s) ? fmtNum(c.records_per_cpu_s) : null]]
        .concat(c.covers ? [['covers', c.covers]] : []));
    });
  }

  function failures(items) {
    var rows = [];
    items.forEach(function (it) {
      (Array.isArray(it.r.failures) ? it.r.failures : []).forEach(function (fl) {
        if (fl && typeof fl === 'object') rows.push([it, fl]);
      });
    });
    if (!rows.length) return;
    document.getElementById('sec-failures').hidden = false;
    var table = document.getElementById('failures');
    var h = add(add(table, el('thead')), el('tr'));
    add(h, el('th', { 'class': 'l' }, 'Middleware'));
    add(h, el('th', null, 'count'));
    add(h, el('th', { 'class': 'l' }, 'Error'));
    var tbody = add(table, el('tbody'));
    rows.forEach(function (row) {
      var tr = add(tbody, el('tr', { 'data-failure': row[0].key }));
      add(tr, el('td', { 'class': 'l' }, row[0].key));
      cell(tr, fmtInt(row[1].count));
      add(tr, el('td', { 'class': 'l wrap mono' }, fmtValue(row[1].error)));
    });
  }

  /* k6's thresholds (--threshold), as each summary holds them: pass or fail, the value. */
  function thresholds(items) {
    var rows = [];
    items.forEach(function (it) {
      (Array.isArray(it.r.thresholds) ? it.r.thresholds : []).forEach(function (t) {
        if (t && typeof t === 'object') rows.push([it, t]);
      });
    });
    if (!rows.length) return;
    document.getElementById('sec-thresholds').hidden = false;
    var table = document.getElementById('thresholds');
    var h = add(add(table, el('thead')), el('tr'));
    add(h, el('th', { 'class': 'l' }, 'Middleware'));
    add(h, el('th', { 'class': 'l' }, 'Threshold'));
    add(h, el('th', null, 'value'));
    add(h, el('th', { 'class': 'l' }, 'result'));
    var tbody = add(table, el('tbody'));
    rows.forEach(function (row) {
      var t = row[1];
      var tr = add(tbody, el('tr', { 'data-threshold': row[0].key }));
      add(tr, el('td', { 'class': 'l' }, row[0].key));
      add(tr, el('td', { 'class': 'l mono' }, fmtValue(t.threshold)));
      cell(tr, isNum(t.value) ? fmtNum(t.value) : 'unknown');
      add(tr, el('td', { 'class': 'l ' + (t.pass === true ? 'good' : 'bad') }, t.pass === true ? 'pass' : 'FAIL'));
    });
  }

  function params(doc, items) {
    var box = document.getElementById('params');
    function item(k, v, cls) {
      add(box, el('dt', null, k));
      add(box, el('dd', { 'class': cls || null }, fmtValue(v)));
    }
    var p = doc.params && typeof doc.params === 'object' ? doc.params : {};
    if (p.argv !== undefined) item('command', p.argv, 'mono');
    if (Array.isArray(p.middlewares)) item('middlewares asked', p.middlewares.join(', '));
    var w = p.workload && typeof p.workload === 'object' ? p.workload : (items.length ? items[0].r.load : null);
    if (w && typeof w === 'object')
      Object.keys(w).forEach(function (k) { item('workload.' + k, w[k], 'mono'); });
    Object.keys(p).forEach(function (k) {
      if (k !== 'argv' && k !== 'middlewares' && k !== 'workload') item(k, p[k], 'mono');
    });
    var host = doc.host && typeof doc.host === 'object' ? doc.host : {};
    Object.keys(host).forEach(function (k) { item('host.' + k, host[k]); });
    ['outbreak', 'version', 'id', 'started', 'finished'].forEach(function (k) {
      if (doc[k] !== undefined) item(k, doc[k]);
    });
    items.forEach(function (it) {
      item(it.key + ' run', [fmtValue(it.r.run), fmtValue(it.r.url)].join('  '), 'mono');
    });
  }

  /* --- main -------------------------------------------------------------------------- */

  function render() {
    var src = document.getElementById('results');
    var doc = JSON.parse(src ? src.textContent : 'null');
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.results))
      throw new Error('the results document has no "results" array');
    var items = prepare(doc);
    headerInfo(doc, items);
    summary(doc, items);
    notes(items);
    var steps = [chartThroughput, chartLatency, chartPublishVsE2e, chartP99, latencyTable, durability, thresholds, failures];
    var errors = [];
    steps.forEach(function (step) {
      try {
        step(items);
      } catch (e) {
        errors.push(step.name + ': ' + (e && e.message ? e.message : String(e)));
      }
    });
    params(doc, items);
    if (errors.length) throw new Error(errors.join('\n'));
  }

  function fail(e) {
    var box = document.getElementById('report-error');
    if (!box) {
      box = el('div', { id: 'report-error' });
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = 'The report could not be drawn completely: ' +
      (e && e.message ? e.message : String(e));
    box.hidden = false;
  }

  try {
    render();
  } catch (e) {
    fail(e);
  } finally {
    document.body.dataset.ready = '1';
  }
})();
