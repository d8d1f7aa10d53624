/* web/ui/ui.js — outbreak web's live UI (index.html): polls the run controller's JSON
 * (live/control.h: /api/run/state, /series, /logs every second), posts its actions
 * (/api/run/start, edit, stop, reset, new) and draws the statistics, charts (uPlot),
 * failures, downloads and log; the Dashboard tab over /api/dashboard (every 3 s while
 * shown) and the Monitor tab over /api/monitor/ram (every second) and /processes.
 *
 * Plain JS, no framework. Nothing throws out of a timer or a handler: a failed request
 * is shown in #ui-error (or in its tab), never in the console. */
(function () {
  'use strict';

  /* --- small helpers ------------------------------------------------------------------ */
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var NA = '—';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fmtInt(v) { return isNum(v) ? String(Math.round(v)) : NA; }
  function fmtMs(v) {
    if (!isNum(v)) return NA;
    var a = Math.abs(v);
    return a < 10 ? v.toFixed(2) : a < 100 ? v.toFixed(1) : String(Math.round(v));
  }
  function fmtRate(v) { return isNum(v) ? (Math.abs(v) < 100 ? v.toFixed(1) : String(Math.round(v))) : NA; }
  function fmtTime(epochS) {
    var d = new Date(epochS * 1000);
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }

  /* Colours: fixed by middleware name (as in the HTML report), the others from a palette
   * in the order they appear. */
  var FIXED = { grpc: '#7b4fc9', nats: '#1e9bd7', jetstream: '#0b5f8a', rabbitmq: '#f26b1d',
                pubsub: '#2e9e4f', kafka: '#3a3f47' };
  var OTHERS = ['#c2185b', '#8d6e00', '#00897b', '#5c6bc0', '#a1887f', '#d81b60', '#558b2f', '#6d4c41'];
  var others = {};
  function colour(name) {
    if (FIXED[name]) return FIXED[name];
    var base = String(name).split(/[:#]/)[0];
    if (FIXED[base] && base !== name) return FIXED[base];
    if (!others[name]) others[name] = OTHERS[Object.keys(others).length % OTHERS.length];
    return others[name];
  }
  var PIE = ['#4a8bd0', '#f26b1d', '#2e9e4f', '#c2413b', '#7b4fc9', '#8d6e00', '#00897b', '#d81b60',
             '#5c6bc0', '#6d4c41', '#3a3f47', '#a1887f'];

  /* --- errors: one banner, #ui-error ---------------------------------------------------- */
  var bannerSource = null;
  function showError(source, msg) {
    bannerSource = source;
    $('#ui-error .msg').textContent = msg;
    $('#ui-error').hidden = false;
  }
  function clearError(source) {
    if (source !== undefined && bannerSource !== source) return;
    bannerSource = null;
    $('#ui-error .msg').textContent = '';
    $('#ui-error').hidden = true;
  }

  /* --- requests --------------------------------------------------------------------------- */
  /* Resolves to {ok, status, body (parsed JSON or null), error (a message when not ok)};
   * never rejects. */
  function request(url, opts) {
    return fetch(url, Object.assign({ cache: 'no-store', credentials: 'same-origin' }, opts || {}))
      .then(function (r) {
        return r.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          var error = null;
          if (!r.ok) {
            error = (body && typeof body.error === 'string') ? body.error
              : (r.status + ' ' + (r.statusText || 'error') + (text && !body ? ': ' + text.slice(0, 200) : ''));
          } else if (body === null) {
            error = 'not JSON: ' + text.slice(0, 120);
          }
          return { ok: r.ok && body !== null, status: r.status, body: body, error: error };
        });
      })
      .catch(function (e) {
        return { ok: false, status: 0, body: null, error: 'no answer from the server (' + (e && e.message || e) + ')' };
      });
  }
  function getJSON(url) { return request(url); }
  /* The server refuses a POST without X-Outbreak: another origin cannot send it. */
  function post(url, fields) {
    var params = new URLSearchParams();
    (fields || []).forEach(function (f) { params.append(f[0], f[1]); });
    return request(url, {
      method: 'POST',
      headers: { 'X-Outbreak': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params
    });
  }

  /* A poller: calls fn (which returns a promise) every `ms`, never two at once. */
  function every(ms, fn) {
    var busy = false;
    function tick() {
      if (busy) return;
      busy = true;
      var p;
      try { p = fn(); } catch (e) { p = null; showError('js', String(e && e.stack || e)); }
      Promise.resolve(p).catch(function (e) { showError('js', String(e && e.stack || e)); })
        .then(function () { busy = false; });
    }
    tick();
    return setInterval(tick, ms);
  }

  /* --- state ------------------------------------------------------------------------------ */
  var state = null;
  var formFilled = false;   /* the start form was pre-filled since status became ready */
  var editOpen = false;

  function applyState(s) {
    if (!s || typeof s !== 'object') return;
    state = s;
    var status = s.status || 'ready';
    /* --warmup: the run sends, and its figures begin when the warm-up ends */
    $('#status').textContent = s.warming_up ? 'warming up' : status;
    $('#status').className = status;
    $('#host').textContent = s.host || NA;
    $('#host').title = s.host || '';
    $('#users').textContent = fmtInt(s.users);
    $('#rps').textContent = fmtRate(s.records_per_s);
    $('#fail-ratio').textContent = isNum(s.fail_ratio) ? (Math.round(s.fail_ratio * 1000) / 10) + '%' : NA;

    var running = status === 'running', stopping = status === 'stopping';
    $('#new-button').hidden = !(status === 'stopped');
    /* --stages: the load follows them, nothing to edit */
    $('#edit-button').hidden = !running || !!s.stages;
    $('#status').title = s.stages ? 'the load follows the stages ' + s.stages : '';
    $('#stop-button').hidden = !running;
    $('#reset-button').hidden = !(running || stopping || status === 'stopped');
    if (!running && editOpen) closeEdit();

    $('#start-panel').hidden = status !== 'ready';
    if (status === 'ready') {
      if (!formFilled) fillStart(s.form || {});
      formFilled = true;
    } else {
      formFilled = false;
    }
    $('#course-api-note').hidden = !s.course_api;
    var runErr = $('#run-error');
    runErr.textContent = s.error ? 'The test stopped on an error: ' + s.error : '';
    runErr.hidden = !s.error;

    renderQueue(s.queue || []);
    renderStats(s.stats || []);
    renderFailures(s.failures || []);
    renderDownloads(s.downloads || []);
    updateRunList(s);
    document.body.setAttribute('data-ready', '1');
  }

  function fillStart(f) {
    var form = $('#start-form');
    form.elements.broker.value = (f.brokers || []).join('\n');
    form.elements.users.value = isNum(f.users) ? f.users : '';
    form.elements.spawn_rate.value = isNum(f.spawn_rate) ? f.spawn_rate : '';
    form.elements.rate.value = f.rate_max ? 'max' : isNum(f.rate) && f.rate > 0 ? f.rate : '';
    form.elements.run_time.value = f.run_time || '';
    form.elements.wait.value = f.wait || '';
    form.elements.stages.value = f.stages || '';
    form.elements.record_size.value = isNum(f.record_size) ? f.record_size : '';
  }

  function renderQueue(queue) {
    var box = $('#queue');
    clear(box);
    if (queue.length < 2) return;
    queue.forEach(function (q, i) {
      var item = el('span', { 'class': 'item', 'data-middleware': q.middleware });
      var sw = el('span', { 'class': 'swatch' });
      sw.style.background = colour(q.middleware);
      item.appendChild(el('span', null, (i + 1) + '. '));
      item.appendChild(sw);
      item.appendChild(el('span', null, q.middleware));
      item.appendChild(el('span', { 'class': 'badge ' + (q.status || '') }, q.status || ''));
      if (q.error) item.appendChild(el('span', { 'class': 'err' }, q.error));
      item.title = q.host || '';
      box.appendChild(item);
    });
  }

  var STAT_COLS = [
    ['requests', 'requests', fmtInt], ['fails', 'failures', fmtInt],
    ['median', 'median_ms', fmtMs], ['p90', 'p90_ms', fmtMs], ['p95', 'p95_ms', fmtMs], ['p99', 'p99_ms', fmtMs],
    ['average', 'average_ms', fmtMs], ['min', 'min_ms', fmtMs], ['max', 'max_ms', fmtMs],
    ['size', 'average_size', fmtInt], ['rps', 'current_rps', fmtRate], ['failures_s', 'current_failures_per_s', fmtRate],
    ['acked', 'acked', fmtInt], ['persisted', 'persisted', fmtInt], ['duplicates', 'duplicates', fmtInt],
    ['lost', 'lost', fmtInt],
    ['e2e_p50', 'e2e_p50_ms', fmtMs], ['e2e_p95', 'e2e_p95_ms', fmtMs], ['e2e_p99', 'e2e_p99_ms', fmtMs]
  ];

  function renderStats(rows) {
    var tbody = $('#stats tbody');
    var have = {};
    $$('tr', tbody).forEach(function (tr) { have[tr.getAttribute('data-middleware')] = tr; });
    var seen = {};
    rows.forEach(function (r, i) {
      var name = String(r.middleware);
      seen[name] = true;
      var tr = have[name];
      if (!tr) {
        tr = el('tr', { 'data-middleware': name });
        var td = el('td', { 'class': 'l', 'data-col': 'middleware' });
        var sw = el('span', { 'class': 'swatch' });
        sw.style.background = colour(name);
        td.appendChild(sw);
        td.appendChild(el('span', { 'class': 'name' }, name));
        td.appendChild(el('span', { 'class': 'badge' }));
        tr.appendChild(td);
        tr.appendChild(el('td', { 'class': 'l mono', 'data-col': 'host' }));
        STAT_COLS.forEach(function (c) { tr.appendChild(el('td', { 'data-col': c[0] })); });
      }
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
      var badge = $('.badge', tr);
      badge.textContent = r.status || '';
      badge.className = 'badge ' + (r.status || '');
      var hostCell = $('[data-col="host"]', tr);
      hostCell.textContent = r.host || NA;
      hostCell.title = r.host || '';
      STAT_COLS.forEach(function (c) {
        var td = $('[data-col="' + c[0] + '"]', tr);
        var text = c[2](r[c[1]]);
        if (td.textContent !== text) td.textContent = text;
        td.classList.toggle('na', text === NA);
        if (c[0] === 'fails' || c[0] === 'lost') td.classList.toggle('bad', isNum(r[c[1]]) && r[c[1]] > 0);
      });
      if (r.acked_means) $('[data-col="acked"]', tr).title = String(r.acked_means);
    });
    Object.keys(have).forEach(function (k) { if (!seen[k]) tbody.removeChild(have[k]); });
    $('#stats-empty').hidden = rows.length > 0;
  }

  function renderFailures(list) {
    var tbody = $('#failures tbody');
    clear(tbody);
    list.forEach(function (f) {
      var tr = el('tr', { 'data-middleware': f.middleware });
      tr.appendChild(el('td', null, fmtInt(f.occurrences)));
      tr.appendChild(el('td', { 'class': 'l' }, f.middleware || NA));
      tr.appendChild(el('td', { 'class': 'l wrap' }, f.message || ''));
      tbody.appendChild(tr);
    });
    $('#failures-empty').hidden = list.length > 0;
    var btn = $('button[data-tab="failures"]');
    btn.textContent = list.length ? 'Failures (' + list.length + ')' : 'Failures';
  }

  var downloadsKey = '';
  function renderDownloads(list) {
    var ok = list.filter(function (d) { return d && typeof d.href === 'string' && d.href.indexOf('/download/') === 0; });
    var key = JSON.stringify(ok);
    if (key === downloadsKey) return;
    downloadsKey = key;
    var ul = $('#downloads');
    clear(ul);
    ok.forEach(function (d) {
      var li = el('li');
      li.appendChild(el('a', { href: d.href, download: d.name || '' }, d.name || d.href));
      ul.appendChild(li);
    });
    $('#downloads-empty').hidden = ok.length > 0;
  }

  /* A POST answers with the state: a poll sent before a POST's answer came is older than
   * that state and is dropped (it would flip the status back, and refill the start form
   * over what was typed). */
  var postEpoch = 0;
  function pollState() {
    var epoch = postEpoch;
    return getJSON('/api/run/state').then(function (r) {
      if (epoch !== postEpoch) return;
      if (!r.ok) { showError('state', 'GET /api/run/state: ' + r.error); return; }
      clearError('state');
      applyState(r.body);
    });
  }

  /* --- actions ------------------------------------------------------------------------------ */
  function act(url, fields, button) {
    if (button) button.disabled = true;
    postEpoch++;
    return post(url, fields).then(function (r) {
      postEpoch++;
      if (button) button.disabled = false;
      if (!r.ok) {
        showError('post', 'POST ' + url + ': ' + r.error);
        return false;
      }
      clearError('post');
      applyState(r.body);
      return true;
    });
  }

  function startTest(ev) {
    ev.preventDefault();
    var form = $('#start-form');
    var fields = [];
    form.elements.broker.value.split(/\r?\n/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s !== ''; })
      .forEach(function (b) { fields.push(['broker', b]); });
    ['users', 'spawn_rate', 'rate', 'run_time', 'wait', 'record_size', 'stages'].forEach(function (n) {
      fields.push([n, form.elements[n].value.trim()]);
    });
    act('/api/run/start', fields, $('#start-button')).then(function (ok) {
      if (ok) { dropSeries(); showTab('stats'); }
    });
  }

  function openEdit() {
    if (!state) return;
    var form = $('#edit-form');
    var open = state.model === 'open';
    $$('label[data-model]', form).forEach(function (l) { l.hidden = l.getAttribute('data-model') !== (open ? 'open' : 'closed'); });
    form.elements.users.value = isNum(state.target_users) ? state.target_users : '';
    form.elements.spawn_rate.value = isNum(state.spawn_rate) ? state.spawn_rate : '';
    form.elements.rate.value = state.rate_max ? 'max' : isNum(state.rate) && state.rate > 0 ? state.rate : '';
    $('#edit-panel').hidden = false;
    editOpen = true;
  }
  function closeEdit() {
    $('#edit-panel').hidden = true;
    editOpen = false;
  }
  function editTest(ev) {
    ev.preventDefault();
    var form = $('#edit-form');
    var names = state && state.model === 'open' ? ['rate'] : ['users', 'spawn_rate'];
    var fields = [];
    names.forEach(function (n) {
      var v = form.elements[n].value.trim();
      if (v !== '') fields.push([n, v]);
    });
    act('/api/run/edit', fields, $('#edit-submit')).then(function (ok) { if (ok) closeEdit(); });
  }

  /* --- tabs ------------------------------------------------------------------------------------ */
  var currentTab = 'stats';
  function showTab(name) {
    currentTab = name;
    $$('nav.tabs button[data-tab]').forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-tab') === name); });
    $$('main > section.tab').forEach(function (s) { s.hidden = s.id !== 'tab-' + name; });
    if (name === 'charts' || name === 'monitor') resizeCharts();
    if (name === 'dashboard') pollDashboard();
    if (name === 'monitor') pollProcesses();
    if (name === 'logs') { var box = $('#logs'); box.scrollTop = box.scrollHeight; }
  }

  /* --- series and charts ---------------------------------------------------------------------- */
  var seriesNext = 0, seriesTest = null;
  var points = [];            /* every point of the current test, in order */

  function dropSeries() {
    points = [];
    seriesNext = 0;
    seriesTest = null;
    drawRunCharts();
  }

  function pollSeries() {
    return getJSON('/api/run/series?from=' + seriesNext).then(function (r) {
      if (!r.ok) { showError('series', 'GET /api/run/series: ' + r.error); return; }
      clearError('series');
      var b = r.body;
      if (seriesTest !== null && b.test !== seriesTest) {
        /* another test: its points start again at 0 */
        points = [];
        seriesTest = b.test;
        seriesNext = 0;
        return pollSeries();
      }
      if (!isNum(b.next) || b.next < seriesNext) { /* the server restarted */
        points = [];
        seriesNext = 0;
        seriesTest = b.test;
        drawRunCharts();
        return;
      }
      seriesTest = b.test;
      var got = Array.isArray(b.points) ? b.points : [];
      for (var i = 0; i < got.length; i++) points.push(got[i]);
      seriesNext = b.next;
      drawRunCharts();
    });
  }

  /* The run charts: x is seconds since each middleware's own start, so that the
   * middlewares of a comparison are side by side; one series per middleware and line. */
  var FIGS = {
    rps: { lines: [
      { key: 'sent', label: 'sent/s', dash: null, width: 2 },
      { key: 'acked', label: 'acked/s', dash: [6, 4], width: 2 },
      { key: 'persisted', label: 'persisted/s', dash: [2, 3], width: 2 },
      { key: 'failed', label: 'failures/s', dash: null, width: 1 }],
      unit: '/s' },
    latency: { lines: [
      { key: 'publish_p50_ms', label: 'p50', dash: null, width: 2 },
      { key: 'publish_p95_ms', label: 'p95', dash: [6, 4], width: 2 },
      { key: 'publish_p99_ms', label: 'p99', dash: [2, 3], width: 2 }],
      unit: 'ms' },
    e2e: { lines: [
      { key: 'e2e_p50_ms', label: 'p50', dash: null, width: 2 },
      { key: 'e2e_p95_ms', label: 'p95', dash: [6, 4], width: 2 },
      { key: 'e2e_p99_ms', label: 'p99', dash: [2, 3], width: 2 }],
      unit: 'ms' },
    users: { lines: [{ key: 'users', label: 'users', dash: null, width: 2 }], unit: '' }
  };
  var plots = {};   /* chart name -> {sig, plot} */

  function chartWidth(div) {
    var w = div.clientWidth || (div.parentNode && div.parentNode.clientWidth - 22) || 0;
    return Math.max(280, w || 640);
  }

  function fmtAxis(unit) {
    return function (u, vals) {
      return vals.map(function (v) {
        if (v === null || v === undefined) return '';
        var a = Math.abs(v);
        var s = a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 1e4 ? (v / 1e3).toFixed(0) + 'k'
          : a >= 1000 ? (v / 1e3).toFixed(1) + 'k' : (a < 1 && a > 0 ? v.toFixed(2) : String(+v.toFixed(1)));
        return s + (unit && unit !== '/s' ? ' ' + unit : '');
      });
    };
  }

  /* (Re)draws one chart: `series` = [{label, stroke, dash, width}], data = [xs, ys...]. */
  function plot(name, series, data, names, opts) {
    var div = $('[data-chart="' + name + '"]');
    if (!div) return;
    div.setAttribute('data-points', String(data[0].length));
    div.setAttribute('data-series', names.join(','));
    if (typeof uPlot !== 'function') return;
    var sig = JSON.stringify(series.map(function (s) { return s.label + '|' + s.stroke; }));
    var p = plots[name];
    if (p && p.sig === sig) {
      p.plot.setData(data);
      return;
    }
    if (p) p.plot.destroy();
    clear(div);
    var o = {
      width: chartWidth(div), height: 260,
      scales: { x: { time: !!(opts && opts.time) },
                /* every value drawn is >= 0: the y axis starts at 0 */
                y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } } },
      series: [{ label: opts && opts.xLabel || 't (s)' }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.stroke, width: s.width || 2, dash: s.dash || undefined,
                 spanGaps: false, points: { show: false },
                 value: function (u, v) { return v === null || v === undefined ? NA : fmtMs(v); } };
      })),
      axes: [opts && opts.time ? {} : { label: 'seconds since start', incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] },
             { values: fmtAxis(opts && opts.unit), size: 72 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } }
    };
    plots[name] = { sig: sig, plot: new uPlot(o, data, div) };
  }

  function drawRunCharts() {
    var names = [];
    var byMw = {};
    var xsSet = {};
    points.forEach(function (p) {
      var m = String(p.middleware);
      if (!byMw[m]) { byMw[m] = {}; names.push(m); }
      var t = Math.round(Number(p.t));
      if (!isFinite(t)) return;
      byMw[m][t] = p;
      xsSet[t] = true;
    });
    var xs = Object.keys(xsSet).map(Number).sort(function (a, b) { return a - b; });
    Object.keys(FIGS).forEach(function (fig) {
      var f = FIGS[fig];
      var series = [], data = [xs];
      names.forEach(function (m) {
        f.lines.forEach(function (l) {
          series.push({ label: (names.length > 1 || f.lines.length > 1) ? m + ' ' + l.label : m,
                        stroke: colour(m), dash: l.dash, width: l.width });
          data.push(xs.map(function (t) {
            var p = byMw[m][t];
            var v = p ? p[l.key] : null;
            return isNum(v) ? v : null;
          }));
        });
      });
      plot(fig, series, data, names, { unit: f.unit });
    });
  }

  function resizeCharts() {
    Object.keys(plots).forEach(function (name) {
      var div = $('[data-chart="' + name + '"]');
      if (!div || !div.clientWidth) return;
      var w = chartWidth(div);
      var p = plots[name].plot;
      if (Math.abs(p.width - w) > 2) p.setSize({ width: w, height: 260 });
    });
  }

  /* --- logs --------------------------------------------------------------------------------------- */
  var logsNext = 0;
  var LOG_MAX = 5000;
  function pollLogs() {
    return getJSON('/api/run/logs?from=' + logsNext).then(function (r) {
      if (!r.ok) { showError('logs', 'GET /api/run/logs: ' + r.error); return; }
      clearError('logs');
      var b = r.body, box = $('#logs');
      if (!isNum(b.next)) return;
      if (b.next < logsNext) { clear(box); logsNext = 0; return; }
      var lines = Array.isArray(b.lines) ? b.lines : [];
      var atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
      lines.forEach(function (l) {
        var div = el('div');
        if (isNum(l.time)) div.appendChild(el('time', null, fmtTime(l.time)));
        div.appendChild(document.createTextNode(String(l.text === undefined ? '' : l.text)));
        box.appendChild(div);
      });
      while (box.children.length > LOG_MAX) box.removeChild(box.firstChild);
      logsNext = b.next;
      if (lines.length && atEnd) box.scrollTop = box.scrollHeight;
    });
  }

  /* --- dashboard ----------------------------------------------------------------------------------- */
  var dashSeq = 0;
  function updateRunList(s) {
    var ids = {};
    (s.queue || []).concat(s.stats || []).forEach(function (q) { if (q.run_id) ids[q.run_id] = true; });
    if (s.run_id) ids[s.run_id] = true;
    var dl = $('#dash-runs');
    var have = $$('option', dl).map(function (o) { return o.value; });
    Object.keys(ids).forEach(function (id) {
      if (have.indexOf(id) < 0) dl.appendChild(el('option', { value: id }));
    });
  }

  function pollDashboard() {
    if (currentTab !== 'dashboard') return Promise.resolve();
    var way = $('#dash-way').value, run = $('#dash-run').value.trim();
    var url = '/api/dashboard?way=' + encodeURIComponent(way) + (run ? '&run=' + encodeURIComponent(run) : '');
    var seq = ++dashSeq;
    return getJSON(url).then(function (r) {
      if (seq !== dashSeq) return;   /* the filter changed meanwhile */
      var box = $('#dash-error');
      if (!r.ok) {
        box.textContent = 'The dashboard is not available: ' + r.error;
        box.hidden = false;
        return;
      }
      box.hidden = true;
      renderDashboard(r.body);
      $('#dash-updated').textContent = 'updated ' + fmtTime(Date.now() / 1000);
    });
  }

  function tally(v) {
    return (Array.isArray(v) ? v : []).filter(function (x) { return x && x._id !== undefined; })
      .map(function (x) { return { key: String(x._id === null ? '(none)' : x._id), count: Number(x.count) || 0 }; });
  }

  function renderBars(box, items, highlightFirst) {
    clear(box);
    if (!items.length) { box.appendChild(el('div', { 'class': 'empty' }, 'no records')); return; }
    var max = Math.max.apply(null, items.map(function (i) { return i.count; })) || 1;
    items.forEach(function (it, i) {
      var row = el('div', { 'class': 'row' + (highlightFirst && i === 0 ? ' top' : ''),
                            'data-key': it.key, 'data-count': String(it.count) });
      row.appendChild(el('span', { 'class': 'k', title: it.key }, it.key));
      var track = el('div');
      var bar = el('div', { 'class': 'bar' });
      bar.style.width = (100 * it.count / max).toFixed(1) + '%';
      track.appendChild(bar);
      row.appendChild(track);
      row.appendChild(el('span', { 'class': 'n' }, String(it.count)));
      box.appendChild(row);
    });
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  /* A pie of hand-drawn SVG arcs; the legend's items carry data-key and data-count. */
  function renderPie(box, items) {
    clear(box);
    if (!items.length) { box.appendChild(el('div', { 'class': 'empty' }, 'no records')); return; }
    var total = items.reduce(function (a, i) { return a + i.count; }, 0);
    var R = 70, C = 75;
    var svg = svgEl('svg', { width: 150, height: 150, viewBox: '0 0 150 150', role: 'img' });
    var ul = el('ul');
    var a0 = -Math.PI / 2;
    items.forEach(function (it, i) {
      var c = PIE[i % PIE.length];
      var frac = total > 0 ? it.count / total : 0;
      var title = svgEl('title', {});
      title.textContent = it.key + ': ' + it.count;
      var shape;
      if (frac >= 0.9999) {
        shape = svgEl('circle', { cx: C, cy: C, r: R, fill: c });
      } else if (frac > 0) {
        var a1 = a0 + frac * 2 * Math.PI;
        var x0 = C + R * Math.cos(a0), y0 = C + R * Math.sin(a0);
        var x1 = C + R * Math.cos(a1), y1 = C + R * Math.sin(a1);
        shape = svgEl('path', {
          d: 'M' + C + ',' + C + ' L' + x0.toFixed(2) + ',' + y0.toFixed(2) + ' A' + R + ',' + R + ' 0 ' +
             (frac > 0.5 ? 1 : 0) + ' 1 ' + x1.toFixed(2) + ',' + y1.toFixed(2) + ' Z',
          fill: c, stroke: '#fff', 'stroke-width': 1 });
        a0 = a1;
      }
      if (shape) { shape.appendChild(title); svg.appendChild(shape); }
      var li = el('li', { 'data-key': it.key, 'data-count': String(it.count) });
      var sw = el('span', { 'class': 'swatch' });
      sw.style.background = c;
      li.appendChild(sw);
      li.appendChild(el('span', null, it.key));
      li.appendChild(el('span', { 'class': 'n' },
        it.count + (total > 0 ? ' (' + (100 * it.count / total).toFixed(1) + '%)' : '')));
      ul.appendChild(li);
    });
    box.appendChild(svg);
    box.appendChild(ul);
  }

  /* Age ranges in 10-year columns, youngest first ("0-9" ... "90-99", "100+"). */
  function renderAges(box, items) {
    clear(box);
    if (!items.length) { box.appendChild(el('div', { 'class': 'empty' }, 'no records')); return; }
    items = items.slice().sort(function (a, b) { return (parseInt(a.key, 10) || 0) - (parseInt(b.key, 10) || 0); });
    var max = Math.max.apply(null, items.map(function (i) { return i.count; })) || 1;
    items.forEach(function (it) {
      var col = el('div', { 'class': 'col', 'data-key': it.key, 'data-count': String(it.count), title: it.key + ': ' + it.count });
      col.appendChild(el('span', { 'class': 'n' }, String(it.count)));
      var bar = el('div', { 'class': 'bar' });
      bar.style.height = (85 * it.count / max).toFixed(1) + '%';
      col.appendChild(bar);
      col.appendChild(el('span', { 'class': 'k' }, it.key));
      box.appendChild(col);
    });
  }

  function caseRow(c, full) {
    var tr = el('tr');
    tr.appendChild(el('td', { 'class': 'l' }, c.name));
    tr.appendChild(el('td', { 'class': 'l' }, c.location));
    tr.appendChild(el('td', null, isNum(c.age) ? String(c.age) : NA));
    tr.appendChild(el('td', { 'class': 'l' }, c.infectedtype));
    tr.appendChild(el('td', { 'class': 'l' }, c.state));
    if (full) {
      tr.appendChild(el('td', { 'class': 'l' }, c.way || NA));
      tr.appendChild(el('td', { 'class': 'l mono' }, c.run || NA));
      tr.appendChild(el('td', { 'class': 'l' },
        isNum(c.persisted_at_ms) ? new Date(c.persisted_at_ms).toLocaleString() : NA));
    }
    return tr;
  }

  function renderDashboard(d) {
    $('[data-dash="total"]').textContent = fmtInt(d.records);
    renderBars($('[data-dash="top5"]'), tally(d.top5_departments).slice(0, 5), false);
    var regions = tally(d.regions);
    renderBars($('[data-dash="region"]'), regions, true);
    $('#dash-region-top').textContent = regions.length && regions[0].count > 0 ? regions[0].key : '';
    renderPie($('[data-dash="state"]'), tally(d.by_state));
    renderPie($('[data-dash="infectedtype"]'), tally(d.by_infectedtype));
    renderAges($('[data-dash="ages"]'), tally(d.age_ranges));
    var latest = Array.isArray(d.latest) ? d.latest : [];
    var last5 = $('[data-dash="last5"] tbody');
    clear(last5);
    latest.slice(0, 5).forEach(function (c) { last5.appendChild(caseRow(c, false)); });
    var rec = $('#dash-records tbody');
    clear(rec);
    latest.forEach(function (c) { rec.appendChild(caseRow(c, true)); });
  }

  /* --- monitor ------------------------------------------------------------------------------------- */
  var ram = { t: [], used: [], free: [] };
  var RAM_KEEP = 600;
  var GiB = 1024 * 1024;
  function pollRam() {
    return getJSON('/api/monitor/ram').then(function (r) {
      var err = $('#monitor-error');
      if (!r.ok) { err.textContent = 'GET /api/monitor/ram: ' + r.error; err.hidden = false; return; }
      err.hidden = true;
      var m = r.body;
      var box = $('[data-monitor="ram"]');
      var pct = isNum(m.used_pct) ? m.used_pct : (isNum(m.used_kb) && m.total_kb > 0 ? 100 * m.used_kb / m.total_kb : null);
      box.setAttribute('data-used-percent', isNum(pct) ? pct.toFixed(1) : '');
      $('.pct', box).textContent = isNum(pct) ? pct.toFixed(1) + '%' : NA;
      $('.detail', box).textContent = isNum(m.used_kb) && isNum(m.total_kb)
        ? '(' + (m.used_kb / GiB).toFixed(2) + ' of ' + (m.total_kb / GiB).toFixed(2) + ' GiB; ' +
          (isNum(m.available_kb) ? (m.available_kb / GiB).toFixed(2) + ' GiB available' : '') + ')'
        : '';
      $('.fill', box).style.width = (isNum(pct) ? Math.min(100, Math.max(0, pct)) : 0) + '%';
      ram.t.push(Date.now() / 1000);
      ram.used.push(isNum(m.used_kb) ? m.used_kb / GiB : null);
      ram.free.push(isNum(m.total_kb) && isNum(m.used_kb) ? (m.total_kb - m.used_kb) / GiB : null);
      if (ram.t.length > RAM_KEEP) { ram.t.shift(); ram.used.shift(); ram.free.shift(); }
      plot('ram', [{ label: 'used', stroke: '#c2413b', width: 2 }, { label: 'free', stroke: '#2e9e4f', width: 2 }],
           [ram.t.slice(), ram.used.slice(), ram.free.slice()], ['used', 'free'], { time: true, unit: 'GiB', xLabel: 'time' });
    });
  }

  var procSeq = 0;
  function pollProcesses() {
    if (currentTab !== 'monitor') return Promise.resolve();
    var f = $('#process-filter').value.trim();
    var seq = ++procSeq;
    return getJSON('/api/monitor/processes' + (f ? '?filter=' + encodeURIComponent(f) : '')).then(function (r) {
      if (seq !== procSeq) return;
      var err = $('#monitor-error');
      if (!r.ok) { err.textContent = 'GET /api/monitor/processes: ' + r.error; err.hidden = false; return; }
      err.hidden = true;
      var list = Array.isArray(r.body) ? r.body : (Array.isArray(r.body.processes) ? r.body.processes : []);
      var tbody = $('#processes tbody');
      clear(tbody);
      list.forEach(function (p) {
        var tr = el('tr', { 'data-pid': String(p.pid), 'class': p.role ? 'ours' : null });
        tr.appendChild(el('td', null, String(p.pid)));
        tr.appendChild(el('td', { 'class': 'l' }, p.name));
        tr.appendChild(el('td', { 'class': 'l' }, p.role || ''));
        tr.appendChild(el('td', { 'class': 'l', title: p.state_name || '' },
          (p.state || '') + (p.state_name ? ' (' + p.state_name + ')' : '')));
        tr.appendChild(el('td', null, isNum(p.ppid) ? String(p.ppid) : NA));
        tr.appendChild(el('td', null, isNum(p.cpu_s) ? p.cpu_s.toFixed(2) : NA));
        tr.appendChild(el('td', null, isNum(p.rss_kb) ? (p.rss_kb / 1024).toFixed(1) : NA));
        tbody.appendChild(tr);
      });
    });
  }

  /* --- wiring ------------------------------------------------------------------------------------- */
  function init() {
    $('#ui-error .close').addEventListener('click', function () { clearError(); });
    $('#start-form').addEventListener('submit', startTest);
    $('#edit-form').addEventListener('submit', editTest);
    $('#edit-cancel').addEventListener('click', closeEdit);
    $('#edit-button').addEventListener('click', function () { if (editOpen) closeEdit(); else openEdit(); });
    $('#stop-button').addEventListener('click', function (e) { act('/api/run/stop', [], e.currentTarget); });
    $('#reset-button').addEventListener('click', function (e) { act('/api/run/reset', [], e.currentTarget); });
    $('#new-button').addEventListener('click', function (e) {
      act('/api/run/new', [], e.currentTarget).then(function (ok) {
        if (ok) $('#start-form').elements.broker.focus();
      });
    });
    $$('nav.tabs button[data-tab]').forEach(function (b) {
      b.addEventListener('click', function () { showTab(b.getAttribute('data-tab')); });
    });
    $('#dash-filter').addEventListener('submit', function (e) { e.preventDefault(); pollDashboard(); });
    $('#dash-way').addEventListener('change', function () { pollDashboard(); });
    var runTimer = null;
    $('#dash-run').addEventListener('input', function () {
      clearTimeout(runTimer);
      runTimer = setTimeout(pollDashboard, 400);
    });
    var procTimer = null;
    $('#process-filter').addEventListener('input', function () {
      clearTimeout(procTimer);
      procTimer = setTimeout(pollProcesses, 250);
    });
    var resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(resizeCharts, 150);
    });
    if (typeof uPlot !== 'function') showError('js', 'uPlot did not load (/uplot.js): no charts');

    every(1000, pollState);
    every(1000, pollSeries);
    every(1000, pollLogs);
    every(1000, pollRam);
    every(3000, pollDashboard);
    every(2000, pollProcesses);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
