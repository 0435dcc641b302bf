/*
 * Outreach Gateway dashboard: plain browser JavaScript, no build step, no dependency.
 *
 * Every number comes from the gateway's own API with the client key in the X-API-Key header:
 * GET /v1/connections lists the key's workspaces, GET /v1/campaigns/analytics?workspace_id=… brings
 * campaigns, totals and sources, GET /v1/campaigns/history?… the trend view's periods. Totals and
 * growth are shown as the API computed them (never re-added here), so the page and a BI tool reading
 * the same query agree. Charts are inline SVG built with DOM calls;
 * vendor text (campaign names) only ever goes through textContent, never parsed as HTML.
 *
 * The key lives in sessionStorage (this tab only): never in persistent storage, a cookie or the URL.
 */
'use strict';

(function dashboard() {
  const KEY_STORAGE = 'outreach-gateway.client-key';
  const WORKSPACE_STORAGE = 'outreach-gateway.workspace';
  const ALL = 'ALL';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const PROVIDERS = {
    instantly: { label: 'Instantly', color: '#2563eb' },
    sendkit: { label: 'SendKit', color: '#0f766e' },
    kakiyo: { label: 'Kakiyo', color: '#7c3aed' },
    seleqt: { label: 'Seleqt', color: '#c2410c' },
  };

  // The browser's locale for display; the raw value stays in data-value for scripts and tests.
  const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const rateFormat = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

  const TOTALS = [
    { key: 'campaigns', label: 'Campaigns', kind: 'count', value: (t) => t.campaigns },
    { key: 'contacted', label: 'Contacted', kind: 'count', value: (t) => t.metrics.contacted },
    { key: 'sent', label: 'Sent', kind: 'count', value: (t) => t.metrics.sent },
    { key: 'replied', label: 'Replied', kind: 'count', value: (t) => t.metrics.replied },
    { key: 'replyRate', label: 'Reply rate', kind: 'rate', value: (t) => t.rates.replyRate },
    { key: 'interested', label: 'Interested', kind: 'count', value: (t) => t.metrics.interested },
    { key: 'interestedRate', label: 'Interested rate', kind: 'rate', value: (t) => t.rates.interestedRate },
    { key: 'openRate', label: 'Open rate', kind: 'rate', value: (t) => t.rates.openRate },
    { key: 'bounceRate', label: 'Bounce rate', kind: 'rate', value: (t) => t.rates.bounceRate },
  ];

  /** What the trend view can draw: counts from a point's `metrics`, rates from its `rates` (with what they are made of). */
  const TREND_METRICS = [
    { key: 'sent', label: 'Sent', kind: 'count' },
    { key: 'contacted', label: 'Contacted', kind: 'count' },
    { key: 'replied', label: 'Replied', kind: 'count' },
    { key: 'interested', label: 'Interested', kind: 'count' },
    { key: 'opened', label: 'Opened', kind: 'count' },
    { key: 'bounced', label: 'Bounced', kind: 'count' },
    { key: 'replyRate', label: 'Reply rate', kind: 'rate', of: ['replied', 'contacted'] },
    { key: 'interestedRate', label: 'Interested rate', kind: 'rate', of: ['interested', 'contacted'] },
    { key: 'openRate', label: 'Open rate', kind: 'rate', of: ['opened', 'contacted'] },
    { key: 'bounceRate', label: 'Bounce rate', kind: 'rate', of: ['bounced', 'contacted'] },
  ];
  const WORKSPACE_COLORS = ['#1d4ed8', '#b45309', '#047857', '#9d174d', '#4338ca', '#0e7490'];
  const changeFormat = new Intl.NumberFormat(undefined, { style: 'percent', signDisplay: 'exceptZero', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const pointsFormat = new Intl.NumberFormat(undefined, { signDisplay: 'exceptZero', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const axisCountFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const axisRateFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

  const COLUMNS = [
    { key: 'name', label: 'Campaign', kind: 'text', value: (c) => c.name },
    { key: 'workspace', label: 'Workspace', kind: 'text', value: (c) => c.workspace },
    { key: 'provider', label: 'Provider', kind: 'text', value: (c) => providerLabel(c.provider) },
    { key: 'status', label: 'Status', kind: 'text', value: (c) => c.status },
    { key: 'contacted', label: 'Contacted', kind: 'count', value: (c) => c.metrics.contacted },
    { key: 'sent', label: 'Sent', kind: 'count', value: (c) => c.metrics.sent },
    { key: 'replied', label: 'Replied', kind: 'count', value: (c) => c.metrics.replied },
    { key: 'replyRate', label: 'Reply rate', kind: 'rate', value: (c) => c.rates.replyRate },
    { key: 'interested', label: 'Interested', kind: 'count', value: (c) => c.metrics.interested },
    { key: 'interestedRate', label: 'Interested rate', kind: 'rate', value: (c) => c.rates.interestedRate },
    { key: 'openRate', label: 'Open rate', kind: 'rate', value: (c) => c.rates.openRate },
  ];

  const $ = (id) => document.getElementById(id);
  const ui = {
    keyForm: $('key-form'),
    keyInput: $('client-key'),
    forget: $('forget-key'),
    workspace: $('workspace'),
    reload: $('reload'),
    refresh: $('refresh'),
    status: $('status'),
    main: $('main'),
    scope: $('scope'),
    generated: $('generated'),
    totals: $('totals'),
    sources: $('sources'),
    alertsChip: $('alerts-chip'),
    funnel: $('funnel'),
    replyChart: $('reply-chart'),
    topN: $('top-n'),
    filter: $('filter'),
    shownCount: $('shown-count'),
    download: $('download'),
    head: $('campaigns-head'),
    body: $('campaigns-body'),
    trend: $('trend'),
    trendScope: $('trend-scope'),
    trendMetric: $('trend-metric'),
    trendStatus: $('trend-status'),
    trendChart: $('trend-chart'),
    trendCompare: $('trend-compare'),
    trendTable: $('trend-table'),
    trendBody: $('trend-body'),
    trendNumbers: $('trend-numbers'),
  };

  const state = {
    key: null,
    workspaces: [],
    answer: null,
    answerScope: null,
    controller: null,
    sort: null, // { key, dir: 'asc' | 'desc' }; null = the API's order (workspace, provider, name)
    trend: null, // { query, workspace, group, metric, lines, total }: the two history answers on screen
    trendController: null,
  };

  // ---------------------------------------------------------------- storage (sessionStorage only)

  function readSession(name) {
    try {
      return window.sessionStorage.getItem(name);
    } catch {
      return null; // storage disabled: the key then lives in memory for this page only
    }
  }

  function writeSession(name, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(name);
      else window.sessionStorage.setItem(name, value);
    } catch {
      // storage disabled or full: nothing else to do, the in-memory state still works
    }
  }

  // ---------------------------------------------------------------- small helpers

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    applyAttributes(node, attributes);
    for (const child of children || []) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function svgEl(tag, attributes, children) {
    const node = document.createElementNS(SVG_NS, tag);
    applyAttributes(node, attributes);
    for (const child of children || []) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function applyAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  function providerLabel(id) {
    return PROVIDERS[id] ? PROVIDERS[id].label : id;
  }

  function providerColor(id) {
    return PROVIDERS[id] ? PROVIDERS[id].color : '#475569';
  }

  function formatValue(kind, value) {
    if (value === null || value === undefined) return null;
    if (kind === 'count') return countFormat.format(value);
    if (kind === 'rate') return rateFormat.format(value);
    return String(value);
  }

  /** A cell or card value: the formatted number, or a dash that says "not reported" to screen readers. */
  function valueNode(kind, value) {
    const text = formatValue(kind, value);
    if (text !== null) return document.createTextNode(text);
    return el('span', { class: 'na', title: 'not reported by this vendor' }, [
      el('span', { 'aria-hidden': 'true', text: '—' }),
      el('span', { class: 'visually-hidden', text: 'not reported' }),
    ]);
  }

  function formatAge(seconds) {
    if (seconds === null || seconds === undefined) return null;
    if (seconds < 5) return 'just now';
    if (seconds < 90) return `${seconds} s old`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min old`;
    if (seconds < 129600) return `${Math.round(seconds / 3600)} h old`;
    return `${Math.round(seconds / 86400)} d old`;
  }

  function scopeLabel(workspace) {
    return workspace === ALL ? 'all workspaces' : workspace;
  }

  function truncate(text, max) {
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
  }

  function setStatus(message, kind) {
    ui.status.textContent = message;
    ui.status.className = `status${kind ? ` status-${kind}` : ''}`;
  }

  // ---------------------------------------------------------------- API calls

  async function api(path, options) {
    // `cache: 'no-cache'` revalidates (If-None-Match → 304 on an unchanged ETag); 'no-store'/'reload'
    // are avoided on purpose: browsers then send Cache-Control: no-cache, which makes the gateway skip
    // its fresh cache and call the vendors again.
    return fetch(path, {
      headers: { 'X-API-Key': state.key, Accept: (options && options.accept) || 'application/json' },
      signal: options && options.signal,
      cache: options && options.revalidate ? 'no-cache' : 'default',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  function problemText(response, body) {
    const detail = body && typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}`;
    if (response.status === 429) {
      const retry = response.headers.get('Retry-After');
      return `Rate limited: ${detail}${retry ? ` (retry in ${retry} s)` : ''}.`;
    }
    return `The gateway answered ${response.status}: ${detail}.`;
  }

  // ---------------------------------------------------------------- key and workspaces

  async function connect() {
    setStatus('Checking the key…', 'busy');
    let response;
    try {
      response = await api('/v1/connections', { revalidate: true });
    } catch (error) {
      setStatus(`Could not reach the gateway: ${error.message}`, 'error');
      return;
    }
    const body = await readJson(response);
    if (response.status === 401) {
      forgetKey(false);
      setStatus('The gateway refused this key. Check it and try again.', 'error');
      ui.keyInput.focus();
      return;
    }
    if (!response.ok || !body || !Array.isArray(body.data)) {
      setStatus(problemText(response, body), 'error');
      return;
    }
    const workspaces = [];
    for (const connection of body.data) if (!workspaces.includes(connection.workspace)) workspaces.push(connection.workspace);
    state.workspaces = workspaces;
    if (workspaces.length === 0) {
      setStatus('This key is not linked to any workspace.', 'error');
      return;
    }
    fillWorkspaces(workspaces);
    ui.forget.disabled = false;
    ui.keyInput.placeholder = 'stored for this tab';
    await loadAnalytics({});
  }

  function fillWorkspaces(workspaces) {
    const saved = readSession(WORKSPACE_STORAGE);
    const options = workspaces.length > 1 ? [...workspaces, ALL] : workspaces;
    ui.workspace.replaceChildren(
      ...options.map((id) => el('option', { value: id, text: id === ALL ? 'ALL (every workspace)' : id })),
    );
    ui.workspace.value = saved !== null && options.includes(saved) ? saved : workspaces[0];
    ui.workspace.disabled = false;
    ui.reload.disabled = false;
    ui.refresh.disabled = false;
  }

  function forgetKey(announce) {
    if (state.controller) state.controller.abort();
    if (state.trendController) state.trendController.abort();
    state.trend = null;
    clearTrend();
    ui.trendStatus.textContent = '';
    delete ui.trend.dataset.loadedQuery;
    state.key = null;
    state.answer = null;
    state.answerScope = null;
    writeSession(KEY_STORAGE, null);
    writeSession(WORKSPACE_STORAGE, null);
    ui.keyInput.value = '';
    ui.keyInput.placeholder = '';
    ui.forget.disabled = true;
    ui.workspace.replaceChildren();
    ui.workspace.disabled = true;
    ui.reload.disabled = true;
    ui.refresh.disabled = true;
    ui.main.hidden = true;
    ui.alertsChip.hidden = true;
    delete ui.main.dataset.loadedWorkspace;
    if (announce) {
      setStatus('Key forgotten. Enter a client key to load your campaigns.');
      ui.keyInput.focus();
    }
  }

  // ---------------------------------------------------------------- analytics

  /**
   * Loads the selected workspace. `revalidate`: ask the gateway again instead of the browser's copy;
   * `refresh`: refresh=true, the gateway skips its fresh cache and calls the vendors.
   */
  async function loadAnalytics(how) {
    if (!state.key) return;
    const workspace = ui.workspace.value;
    if (state.controller) state.controller.abort(); // a newer choice wins; an older answer never overwrites it
    const controller = new AbortController();
    state.controller = controller;
    ui.main.setAttribute('aria-busy', 'true');
    setStatus(`${how.refresh ? 'Refreshing' : 'Loading'} ${scopeLabel(workspace)}${how.refresh ? ' from the vendors' : ''}…`, 'busy');
    try {
      const query = `workspace_id=${encodeURIComponent(workspace)}${how.refresh ? '&refresh=true' : ''}`;
      const response = await api(`/v1/campaigns/analytics?${query}`, { signal: controller.signal, revalidate: how.revalidate || how.refresh });
      const body = await readJson(response);
      if (controller !== state.controller) return;
      // 502 "every source failed" still carries the full envelope: show its sources and their errors.
      if ((response.status === 200 || response.status === 502) && body && Array.isArray(body.data) && Array.isArray(body.sources)) {
        state.answer = body;
        state.answerScope = workspace;
        render();
        setStatus(summary(body, workspace), body.meta && body.meta.complete ? 'ok' : 'warn');
        void loadTrend(); // after the walk, so a snapshot it recorded is already in the history
        void loadAlerts(workspace);
      } else if (response.status === 401) {
        forgetKey(false);
        setStatus('The gateway no longer accepts this key. Enter it again.', 'error');
        ui.keyInput.focus();
      } else {
        setStatus(problemText(response, body), 'error');
      }
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      setStatus(`Could not reach the gateway: ${error.message}`, 'error');
    } finally {
      if (controller === state.controller) {
        state.controller = null;
        ui.main.removeAttribute('aria-busy');
      }
    }
  }

  /** The active-alerts chip: how many alerts `GET /v1/alerts` lists for the workspace (or ALL), each message in its title. */
  async function loadAlerts(workspace) {
    const chip = ui.alertsChip;
    try {
      const response = await api(`/v1/alerts?workspace_id=${encodeURIComponent(workspace)}`, { revalidate: true });
      const body = await readJson(response);
      if (workspace !== ui.workspace.value) return;
      if (!response.ok || !body || !Array.isArray(body.data)) {
        chip.hidden = true;
        return;
      }
      const count = body.data.length;
      chip.dataset.count = String(count);
      chip.className = `alerts-chip ${count > 0 ? 'alerts-chip-on' : 'alerts-chip-off'}`;
      chip.textContent = count === 1 ? '1 active alert' : `${count} active alerts`;
      const lines = body.data.map((alert) => alert.message);
      if (body.meta && body.meta.storage === 'memory' && count > 0) lines.push('(kept in memory only: the store is unavailable)');
      chip.title = lines.length > 0 ? lines.join('\n') : 'No alert condition holds';
      chip.hidden = false;
    } catch {
      chip.hidden = true;
    }
  }

  function summary(body, workspace) {
    const failed = body.sources.filter((s) => s.status === 'error');
    const stale = body.sources.filter((s) => s.status === 'stale');
    const parts = [`Loaded ${body.totals.campaigns} campaigns for ${scopeLabel(workspace)} from ${body.sources.length} sources`];
    if (stale.length > 0) parts.push(`${stale.length} stale`);
    if (failed.length > 0) parts.push(`${failed.length} failed (${failed.map((s) => `${s.connection}: ${s.error ? s.error.code : 'error'}`).join(', ')})`);
    return `${parts.join('; ')}.`;
  }

  // ---------------------------------------------------------------- rendering

  function render() {
    const answer = state.answer;
    if (!answer) return;
    ui.main.hidden = false;
    ui.main.dataset.loadedWorkspace = state.answerScope;
    ui.main.dataset.requestId = answer.meta ? answer.meta.requestId : '';
    ui.scope.textContent = `· ${scopeLabel(state.answerScope)}`;
    ui.generated.textContent = answer.meta
      ? `generated ${new Date(answer.meta.generatedAt).toLocaleTimeString()} · request ${answer.meta.requestId}`
      : '';
    renderTotals(answer.totals);
    renderSources(answer.sources);
    renderFunnel(answer.data);
    renderReplyChart(answer.data);
    renderTable();
  }

  function renderTotals(totals) {
    ui.totals.replaceChildren(
      ...TOTALS.map((item) => {
        const value = item.value(totals);
        return el('div', { class: 'card' }, [
          el('dt', { text: item.label }),
          el('dd', { 'data-total': item.key, 'data-value': value === null ? 'null' : String(value) }, [valueNode(item.kind, value)]),
        ]);
      }),
    );
  }

  function renderSources(sources) {
    ui.sources.replaceChildren(
      ...sources.map((source) => {
        const details = [];
        const age = formatAge(source.ageSeconds);
        if (source.status !== 'error' && age) details.push(age);
        if (source.status !== 'error') details.push(`${source.campaigns} campaigns`);
        if (source.error) details.push(source.error.code + (source.error.retryAfterSeconds ? ` (retry in ${source.error.retryAfterSeconds} s)` : ''));
        if (source.warnings.length > 0) details.push(source.warnings.map((w) => w.code).join(', '));
        const title = source.error ? `${source.error.code}: ${source.error.message}` : `cache ${source.cache}, ${source.durationMs} ms`;
        return el('li', { class: `chip chip-${source.status}`, 'data-connection': source.connection, 'data-status': source.status, title }, [
          el('span', { class: 'chip-state', text: source.status }),
          el('span', { class: 'chip-name', text: `${source.workspace} · ${providerLabel(source.provider)}` }),
          el('span', { class: 'chip-detail', text: details.join(' · ') }),
          source.error ? el('span', { class: 'visually-hidden', text: source.error.message }) : null,
        ]);
      }),
    );
  }

  /** Null-aware sum of one metric over the campaigns that report it (null when none does), like the API's totals. */
  function sum(campaigns, metric) {
    let total = null;
    for (const campaign of campaigns) {
      const value = campaign.metrics[metric];
      if (value !== null && value !== undefined) total = (total || 0) + value;
    }
    return total;
  }

  /** numerator ÷ denominator over campaigns reporting both, the rule the API uses for totals.rates. */
  function ratio(campaigns, numerator, denominator) {
    let top = 0;
    let bottom = 0;
    for (const campaign of campaigns) {
      const n = campaign.metrics[numerator];
      const d = campaign.metrics[denominator];
      if (n === null || n === undefined || d === null || d === undefined) continue;
      top += n;
      bottom += d;
    }
    return bottom > 0 ? top / bottom : null;
  }

  function emptyChart(container, text) {
    container.replaceChildren(el('p', { class: 'note', text }));
  }

  function renderFunnel(campaigns) {
    const providers = Object.keys(PROVIDERS).filter((id) => campaigns.some((c) => c.provider === id));
    if (providers.length === 0) return emptyChart(ui.funnel, 'No campaigns in this view.');
    const stages = [
      { metric: 'contacted', label: 'Contacted' },
      { metric: 'replied', label: 'Replied' },
      { metric: 'interested', label: 'Interested' },
    ];
    const width = 640;
    const rowHeight = 16;
    const rowGap = 7;
    const blockGap = 14;
    const nameWidth = 92;
    const stageWidth = 76;
    const barX = nameWidth + stageWidth;
    const barWidth = 300;
    const valueX = barX + barWidth + 10;
    const blockHeight = stages.length * (rowHeight + rowGap) - rowGap;
    const height = providers.length * (blockHeight + blockGap) - blockGap;
    const summaries = [];
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'funnel-title', class: 'chart-svg' });
    const title = svgEl('title', { id: 'funnel-title' });
    svg.append(title);
    providers.forEach((provider, index) => {
      const rows = campaigns.filter((c) => c.provider === provider);
      const contacted = sum(rows, 'contacted');
      const top = index * (blockHeight + blockGap);
      const group = svgEl('g', { 'data-provider': provider });
      group.append(svgEl('text', { x: 0, y: top + rowHeight - 4, class: 'chart-label strong', text: providerLabel(provider) }));
      const spoken = [];
      const centre = barX + barWidth / 2;
      let previous = null; // the bar above, joined to this one by a faint funnel band
      stages.forEach((stage, step) => {
        const value = sum(rows, stage.metric);
        const share = stage.metric === 'contacted' ? (contacted ? 1 : null) : ratio(rows, stage.metric, 'contacted');
        const y = top + step * (rowHeight + rowGap);
        const w = share === null ? 0 : Math.max(value > 0 ? 2 : 0, Math.round(share * barWidth));
        if (previous !== null && w > 0) {
          const points = [
            [centre - previous.w / 2, previous.bottom], [centre + previous.w / 2, previous.bottom],
            [centre + w / 2, y], [centre - w / 2, y],
          ];
          group.append(svgEl('polygon', { points: points.map((p) => p.join(',')).join(' '), fill: providerColor(provider), 'fill-opacity': 0.15 }));
        }
        previous = w > 0 ? { w, bottom: y + rowHeight } : null;
        group.append(svgEl('text', { x: nameWidth, y: y + rowHeight - 4, class: 'chart-label muted', text: stage.label }));
        group.append(svgEl('rect', { x: barX + (barWidth - w) / 2, y, width: w, height: rowHeight, rx: 2, fill: providerColor(provider), 'fill-opacity': 1 - step * 0.25 }));
        const label = value === null ? 'not reported' : `${countFormat.format(value)}${stage.metric !== 'contacted' && share !== null ? ` (${rateFormat.format(share)})` : ''}`;
        group.append(svgEl('text', { x: valueX, y: y + rowHeight - 4, class: 'chart-value', text: label }));
        spoken.push(`${stage.label.toLowerCase()} ${label}`);
      });
      summaries.push(`${providerLabel(provider)}: ${spoken.join(', ')}`);
      svg.append(group);
    });
    title.textContent = `Funnel by provider. ${summaries.join('. ')}.`;
    ui.funnel.replaceChildren(svg);
  }

  function renderReplyChart(campaigns) {
    const limit = Number(ui.topN.value) || 10;
    const ranked = campaigns
      .filter((c) => c.rates.replyRate !== null && c.rates.replyRate !== undefined)
      .sort((a, b) => b.rates.replyRate - a.rates.replyRate || a.name.localeCompare(b.name))
      .slice(0, limit);
    if (ranked.length === 0) return emptyChart(ui.replyChart, 'No campaign has contacted leads yet.');
    const width = 640;
    const rowHeight = 17;
    const rowGap = 5;
    const labelWidth = 300;
    const barX = labelWidth + 8;
    const barWidth = 250;
    const height = ranked.length * (rowHeight + rowGap) - rowGap;
    const max = Math.max(...ranked.map((c) => c.rates.replyRate)) || 1;
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'reply-title', class: 'chart-svg' });
    const title = svgEl('title', { id: 'reply-title' });
    svg.append(title);
    const spoken = [];
    ranked.forEach((campaign, index) => {
      const y = index * (rowHeight + rowGap);
      const rate = campaign.rates.replyRate;
      const w = Math.max(2, Math.round((rate / max) * barWidth));
      const prefix = state.answerScope === ALL ? `${campaign.workspace} · ` : '';
      const row = svgEl('g', { 'data-key': campaign.key });
      row.append(svgEl('title', { text: `${campaign.name} (${campaign.workspace}, ${providerLabel(campaign.provider)}): ${rateFormat.format(rate)}` }));
      row.append(svgEl('text', { x: 0, y: y + rowHeight - 4, class: 'chart-label', text: truncate(`${prefix}${campaign.name}`, 44) }));
      row.append(svgEl('rect', { x: barX, y, width: w, height: rowHeight, rx: 2, fill: providerColor(campaign.provider) }));
      row.append(svgEl('text', { x: barX + w + 6, y: y + rowHeight - 4, class: 'chart-value', text: rateFormat.format(rate) }));
      svg.append(row);
      spoken.push(`${campaign.name} ${rateFormat.format(rate)}`);
    });
    title.textContent = `Reply rate, top ${ranked.length} campaigns: ${spoken.join('; ')}.`;
    const legendProviders = Object.keys(PROVIDERS).filter((id) => ranked.some((c) => c.provider === id));
    const legend = el('ul', { class: 'legend', 'aria-label': 'Bar colours' },
      legendProviders.map((id) => el('li', {}, [svgLegendSwatch(id), document.createTextNode(providerLabel(id))])));
    ui.replyChart.replaceChildren(svg, legend);
  }

  function svgLegendSwatch(provider) {
    return svgEl('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' }, [
      svgEl('rect', { width: 12, height: 12, rx: 2, fill: providerColor(provider) }),
    ]);
  }

  // ---------------------------------------------------------------- trend (GET /v1/campaigns/history)

  /**
   * The trend view: one metric's growth per period, one line per provider or workspace, and the
   * last complete period against the one before it. Two requests to the history endpoint with the
   * same filters: the chosen grouping for the lines, and group_by=total for the "All" row (a rate's
   * total cannot be rebuilt from the groups' rates). A point whose `metrics` is null is a gap: the
   * line breaks there and the table says "no data"; nothing is ever drawn as a zero that is not one.
   */
  function selectedRadio(name) {
    const checked = document.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  }

  function trendMetric() {
    return TREND_METRICS.find((m) => m.key === ui.trendMetric.value) || TREND_METRICS[0];
  }

  /** The history query of the lines (group_by=provider|workspace); the "All" row uses the same with group_by=total. */
  function trendQuery(workspace, group) {
    const metric = trendMetric();
    const interval = selectedRadio('trend-interval') || 'week';
    const metrics = metric.kind === 'rate' ? metric.of.join(',') : metric.key;
    return `workspace_id=${encodeURIComponent(workspace)}&interval=${interval}&group_by=${group}&metrics=${metrics}`;
  }

  async function loadTrend() {
    if (!state.key) return;
    const workspace = ui.workspace.value;
    const group = selectedRadio('trend-group') || 'provider';
    const query = trendQuery(workspace, group);
    if (state.trendController) state.trendController.abort();
    const controller = new AbortController();
    state.trendController = controller;
    ui.trend.setAttribute('aria-busy', 'true');
    ui.trendStatus.textContent = 'Loading the history…';
    try {
      const [lines, total] = await Promise.all(
        [query, trendQuery(workspace, 'total')].map(async (q) => {
          const response = await api(`/v1/campaigns/history?${q}`, { signal: controller.signal });
          return { response, body: await readJson(response) };
        }),
      );
      if (controller !== state.trendController) return;
      const failed = [lines, total].find((r) => !r.response.ok || !r.body || !Array.isArray(r.body.data) || !Array.isArray(r.body.periods));
      if (failed) {
        state.trend = null;
        clearTrend();
        ui.trendStatus.textContent = failed.response.status === 503
          ? 'History is not available right now (the gateway answered 503); the numbers above still are.'
          : problemText(failed.response, failed.body);
        return;
      }
      state.trend = { query, workspace, group, metric: trendMetric(), lines: lines.body, total: total.body };
      renderTrend();
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      ui.trendStatus.textContent = `Could not reach the gateway: ${error.message}`;
    } finally {
      if (controller === state.trendController) {
        state.trendController = null;
        ui.trend.removeAttribute('aria-busy');
        ui.trend.dataset.loadedQuery = query;
      }
    }
  }

  /** Empties the view; the chart, comparison and table stay hidden until there is something to show. */
  function clearTrend() {
    ui.trendBody.hidden = true;
    ui.trendNumbers.hidden = true;
    ui.trendChart.replaceChildren();
    ui.trendCompare.replaceChildren();
    ui.trendTable.replaceChildren();
    delete ui.trend.dataset.currentPeriod;
    delete ui.trend.dataset.previousPeriod;
  }

  /** A point's value for the metric: null for a gap or a metric no campaign of the series reports. */
  function pointValue(point, metric) {
    if (!point || point.metrics === null) return null;
    const source = metric.kind === 'rate' ? point.rates : point.metrics;
    const value = source ? source[metric.key] : null;
    return value === undefined ? null : value;
  }

  function seriesId(group) {
    return group.provider || group.workspace || group.campaign || 'total';
  }

  function seriesLabel(group) {
    if (group.provider) return providerLabel(group.provider);
    if (group.workspace) return group.workspace;
    return group.name || 'All';
  }

  function seriesColor(group, index) {
    if (group.provider) return providerColor(group.provider);
    return WORKSPACE_COLORS[index % WORKSPACE_COLORS.length];
  }

  const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

  function periodLabel(period, interval) {
    const date = shortDate.format(new Date(`${period.period}T00:00:00Z`));
    return interval === 'week' ? `week of ${date}` : date;
  }

  /** The last period that has ended (its last day before the answer's own day, UTC) and the one before it. */
  function comparedPeriods(answer) {
    const today = String(answer.meta.generatedAt).slice(0, 10);
    let current = -1;
    answer.periods.forEach((p, index) => {
      if (p.end < today) current = index;
    });
    return { today, current, previous: current > 0 ? current - 1 : -1 };
  }

  /** Relative change, or null when either side is missing or the previous value is 0. */
  function changeOf(before, after) {
    if (before === null || after === null || before === 0) return null;
    return (after - before) / before;
  }

  /** The text of a change: "+12.5 %" for counts; for rates also the difference in points. */
  function changeText(metric, before, after) {
    if (before === null || after === null) return null;
    if (before === 0) return after === 0 ? changeFormat.format(0) : 'up from 0';
    const relative = changeFormat.format((after - before) / before);
    if (metric.kind !== 'rate') return relative;
    return `${relative} (${pointsFormat.format((after - before) * 100)} pp)`;
  }

  function gapNode(text) {
    return el('span', { class: 'na' }, [
      el('span', { 'aria-hidden': 'true', text: '—' }),
      el('span', { class: 'visually-hidden', text }),
    ]);
  }

  function trendCell(metric, value, point, attributes) {
    const gap = !point || point.metrics === null;
    return el('td', { class: 'num', 'data-value': value === null ? 'null' : String(value), 'data-gap': gap ? 'true' : null, ...attributes }, [
      value !== null ? document.createTextNode(formatValue(metric.kind, value)) : gapNode(gap ? 'no data' : 'not reported'),
    ]);
  }

  function renderTrend() {
    const trend = state.trend;
    if (!trend) return;
    const { lines, total, metric } = trend;
    const interval = lines.meta.interval;
    ui.trendScope.textContent = `· ${metric.label.toLowerCase()} per ${interval} · ${scopeLabel(trend.workspace)}`;
    const series = lines.data.map((s, index) => ({ id: seriesId(s.group), label: seriesLabel(s.group), color: seriesColor(s.group, index), points: s.points }));
    const totalPoints = total.data[0] ? total.data[0].points : lines.periods.map(() => null);
    if (!series.some((s) => s.points.some((p) => p.metrics !== null))) {
      clearTrend();
      ui.trendStatus.textContent = `No history yet for ${scopeLabel(trend.workspace)}: the gateway records a snapshot per walk, and growth shows from the second day on.`;
      return;
    }
    if (!series.some((s) => s.points.some((p) => pointValue(p, metric) !== null))) {
      clearTrend();
      ui.trendStatus.textContent = `No campaign of ${scopeLabel(trend.workspace)} reports ${metric.label.toLowerCase()} in these ${lines.periods.length} ${interval}s.`;
      return;
    }
    const gaps = lines.periods.filter((_, i) => series.every((s) => pointValue(s.points[i], metric) === null)).length;
    ui.trendStatus.textContent = `${metric.label} per ${interval}, ${lines.periods.length} periods from ${lines.meta.startDate} to ${lines.meta.endDate}, ${series.length} ${trend.group === 'provider' ? 'providers' : 'workspaces'}${gaps > 0 ? `; ${gaps} without data` : ''}.`;
    ui.trendBody.hidden = false;
    ui.trendNumbers.hidden = false;
    renderTrendChart(series, lines, metric);
    renderTrendCompare(series, totalPoints, lines, metric);
    renderTrendTable(series, totalPoints, lines, metric);
  }

  /** Runs of consecutive periods with a value: each becomes one line, so a gap is never bridged. */
  function runsOf(points, metric) {
    const runs = [];
    let run = [];
    points.forEach((point, index) => {
      const value = pointValue(point, metric);
      if (value === null) {
        if (run.length > 0) runs.push(run);
        run = [];
      } else {
        run.push({ index, value, point });
      }
    });
    if (run.length > 0) runs.push(run);
    return runs;
  }

  /** A round axis maximum (1, 2, 2.5 or 5 × 10^n) at or above `max`. */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(max));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
    return 10 * power;
  }

  function renderTrendChart(series, answer, metric) {
    const periods = answer.periods;
    const { today } = comparedPeriods(answer);
    const width = 720;
    const height = 250;
    const left = 58;
    const right = 26;
    const top = 10;
    const bottom = 30;
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const step = periods.length > 1 ? plotWidth / (periods.length - 1) : 0;
    const x = (index) => (periods.length > 1 ? left + index * step : left + plotWidth / 2);
    const values = series.flatMap((s) => s.points.map((p) => pointValue(p, metric))).filter((v) => v !== null);
    const max = niceMax(values.length > 0 ? Math.max(...values) : 0);
    const y = (value) => top + plotHeight - (value / max) * plotHeight;
    const tickFormat = metric.kind === 'rate' ? axisRateFormat : axisCountFormat;

    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'trend-title', 'aria-describedby': 'trend-note', class: 'chart-svg' });
    const title = svgEl('title', { id: 'trend-title' });
    svg.append(title);

    // Periods where no series has data: a shaded band, so the gap is visible even between lines.
    periods.forEach((period, index) => {
      if (series.some((s) => pointValue(s.points[index], metric) !== null)) return;
      const half = periods.length > 1 ? step / 2 : plotWidth / 2;
      const from = Math.max(left, x(index) - half);
      const to = Math.min(left + plotWidth, x(index) + half);
      svg.append(svgEl('rect', { x: from, y: top, width: to - from, height: plotHeight, class: 'gap-band', 'data-gap-period': period.period }));
    });

    for (let i = 0; i <= 4; i += 1) {
      const value = (max / 4) * i;
      svg.append(svgEl('line', { x1: left, x2: left + plotWidth, y1: y(value), y2: y(value), class: i === 0 ? 'axis' : 'grid' }));
      svg.append(svgEl('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'chart-value', text: tickFormat.format(value) }));
    }
    const labelEvery = Math.max(1, Math.ceil(periods.length / 9));
    periods.forEach((period, index) => {
      if ((periods.length - 1 - index) % labelEvery !== 0) return; // the newest period always has a label
      svg.append(svgEl('text', { x: x(index), y: height - 10, 'text-anchor': 'middle', class: 'chart-label muted', text: shortDate.format(new Date(`${period.period}T00:00:00Z`)) }));
    });

    const spoken = [];
    for (const s of series) {
      const group = svgEl('g', { 'data-series': s.id });
      for (const run of runsOf(s.points, metric)) {
        const d = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.index).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
        group.append(svgEl('path', { d, class: 'trend-line', stroke: s.color, 'data-periods': run.map((p) => periods[p.index].period).join(',') }));
      }
      s.points.forEach((point, index) => {
        const value = pointValue(point, metric);
        if (value === null) return;
        const partial = periods[index].end >= today;
        const dot = svgEl('circle', {
          cx: x(index), cy: y(value), r: 3.2, stroke: s.color, fill: partial ? '#ffffff' : s.color, class: partial ? 'trend-dot partial' : 'trend-dot',
          'data-period': periods[index].period, 'data-value': String(value),
        });
        dot.append(svgEl('title', { text: `${s.label}, ${periodLabel(periods[index], answer.meta.interval)}${partial ? ' (so far)' : ''}: ${formatValue(metric.kind, value)}` }));
        group.append(dot);
      });
      svg.append(group);
      const shown = s.points.map((p) => pointValue(p, metric)).filter((v) => v !== null);
      spoken.push(`${s.label}: ${shown.length} of ${periods.length} periods with data${shown.length > 0 ? `, latest ${formatValue(metric.kind, shown[shown.length - 1])}` : ''}`);
    }
    title.textContent = `${metric.label} per ${answer.meta.interval}, ${answer.meta.startDate} to ${answer.meta.endDate}. ${spoken.join('. ')}. The table below the chart has every number.`;
    const legend = el('ul', { class: 'legend', 'aria-label': 'Line colours' },
      series.map((s) => el('li', {}, [swatch(s.color), document.createTextNode(s.label)])));
    ui.trendChart.replaceChildren(svg, legend);
  }

  function swatch(color) {
    return svgEl('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' }, [svgEl('rect', { width: 12, height: 12, rx: 2, fill: color })]);
  }

  function renderTrendCompare(series, totalPoints, answer, metric) {
    const { current, previous } = comparedPeriods(answer);
    const interval = answer.meta.interval;
    if (current < 0 || previous < 0) {
      delete ui.trend.dataset.currentPeriod;
      delete ui.trend.dataset.previousPeriod;
      ui.trendCompare.replaceChildren(el('p', { class: 'note', text: `Two complete ${interval}s are needed for a comparison.` }));
      return;
    }
    const now = answer.periods[current];
    const before = answer.periods[previous];
    ui.trend.dataset.currentPeriod = now.period;
    ui.trend.dataset.previousPeriod = before.period;
    const rows = [...series.map((s) => ({ id: s.id, label: s.label, color: s.color, points: s.points })), { id: 'total', label: 'All', color: null, points: totalPoints }];
    const table = el('table', { class: 'compare' }, [
      el('caption', { class: 'visually-hidden', text: `${metric.label}: the ${periodLabel(now, interval)} (the last complete ${interval}) against the ${periodLabel(before, interval)}` }),
      el('thead', {}, [el('tr', {}, [
        el('th', { scope: 'col', text: trendGroupLabel() }),
        el('th', { scope: 'col', class: 'num', text: shortDate.format(new Date(`${before.period}T00:00:00Z`)) }),
        el('th', { scope: 'col', class: 'num', text: shortDate.format(new Date(`${now.period}T00:00:00Z`)) }),
        el('th', { scope: 'col', class: 'num', text: 'Change' }),
      ])]),
      el('tbody', {}, rows.map((row) => {
        const a = pointValue(row.points[previous], metric);
        const b = pointValue(row.points[current], metric);
        const change = changeOf(a, b);
        const text = changeText(metric, a, b);
        // No arrow for a change that rounds to "0.0 %": the arrow must agree with the number beside it.
        const direction = a === null || b === null || a === b || (change !== null && Math.abs(change) < 0.0005) ? 'flat' : b > a ? 'up' : 'down';
        return el('tr', { 'data-series': row.id, class: row.id === 'total' ? 'total' : null }, [
          el('th', { scope: 'row' }, [row.color ? swatch(row.color) : null, document.createTextNode(` ${row.label}`)]),
          trendCell(metric, a, row.points[previous], { 'data-role': 'previous' }),
          trendCell(metric, b, row.points[current], { 'data-role': 'current' }),
          el('td', { class: `num change change-${direction}`, 'data-role': 'change', 'data-value': change === null ? 'null' : String(change) }, [
            text === null ? gapNode('no data to compare') : document.createTextNode(`${direction === 'up' ? '▲ ' : direction === 'down' ? '▼ ' : ''}${text}`),
          ]),
        ]);
      })),
    ]);
    const note = el('p', { class: 'note', text: `${capitalize(periodLabel(now, interval))} (the last complete ${interval}) against the ${periodLabel(before, interval)}; the change is relative${metric.kind === 'rate' ? ', with the difference in percentage points' : ''}.` });
    ui.trendCompare.replaceChildren(table, note);
  }

  function trendGroupLabel() {
    return state.trend && state.trend.group === 'workspace' ? 'Workspace' : 'Provider';
  }

  function capitalize(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** The chart's text alternative: every period and series, gaps written as "no data". */
  function renderTrendTable(series, totalPoints, answer, metric) {
    const { today } = comparedPeriods(answer);
    const table = el('table', { class: 'trend-numbers-table' }, [
      el('caption', { class: 'visually-hidden', text: `${metric.label} per ${answer.meta.interval}, by ${trendGroupLabel().toLowerCase()}` }),
      el('thead', {}, [el('tr', {}, [
        el('th', { scope: 'col', text: capitalize(answer.meta.interval) }),
        ...series.map((s) => el('th', { scope: 'col', class: 'num', 'data-series': s.id, text: s.label })),
        el('th', { scope: 'col', class: 'num', 'data-series': 'total', text: 'All' }),
      ])]),
      el('tbody', {}, answer.periods.map((period, index) => el('tr', { 'data-period': period.period }, [
        el('th', { scope: 'row', text: `${period.period}${period.end >= today ? ' (so far)' : ''}` }),
        ...series.map((s) => trendCell(metric, pointValue(s.points[index], metric), s.points[index], { 'data-series': s.id })),
        trendCell(metric, pointValue(totalPoints[index], metric), totalPoints[index], { 'data-series': 'total' }),
      ]))),
    ]);
    ui.trendTable.replaceChildren(table);
  }

  // ---------------------------------------------------------------- table

  /** The workspace column only earns its width when several workspaces are on screen. */
  function shownColumns() {
    return state.answerScope === ALL ? COLUMNS : COLUMNS.filter((column) => column.key !== 'workspace');
  }

  function renderHead() {
    ui.head.replaceChildren(
      ...shownColumns().map((column) => {
        const sorted = state.sort && state.sort.key === column.key ? state.sort.dir : null;
        const th = el('th', {
          scope: 'col',
          class: column.kind === 'text' ? '' : 'num',
          'data-column': column.key,
          'aria-sort': sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : null,
        });
        const button = el('button', { type: 'button', class: 'sort', 'data-column': column.key }, [
          el('span', { text: column.label }),
          el('span', { class: 'sort-mark', 'aria-hidden': 'true', text: sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕' }),
        ]);
        th.append(button);
        return th;
      }),
    );
  }

  function visibleCampaigns() {
    const answer = state.answer;
    if (!answer) return [];
    const needle = ui.filter.value.trim().toLowerCase();
    const rows = needle === ''
      ? answer.data.slice()
      : answer.data.filter((c) =>
          [c.name, c.workspace, c.provider, providerLabel(c.provider), c.status, c.connection, c.id].some((text) => String(text).toLowerCase().includes(needle)),
        );
    // A sort on a column that is not shown (workspace, after leaving ALL) no longer applies.
    const column = state.sort ? shownColumns().find((c) => c.key === state.sort.key) : undefined;
    if (!column) return rows;
    const direction = state.sort.dir === 'asc' ? 1 : -1;
    return rows.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      // Not-reported values sort last in both directions: they are absent, not small.
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1;
      const order = column.kind === 'text' ? String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: 'base' }) : x - y;
      return order * direction;
    });
  }

  function renderTable() {
    renderHead();
    const rows = visibleCampaigns();
    ui.body.replaceChildren(
      ...rows.map((campaign) =>
        el('tr', { 'data-key': campaign.key }, shownColumns().map((column) => {
          const value = column.value(campaign);
          if (column.key === 'provider') {
            return el('td', {}, [el('span', { class: `dot dot-${campaign.provider}`, 'aria-hidden': 'true' }), document.createTextNode(value)]);
          }
          if (column.key === 'status') return el('td', {}, [el('span', { class: `status-tag st-${campaign.status}`, text: value })]);
          if (column.kind === 'text') return el('td', { class: column.key === 'name' ? 'name' : '' }, [document.createTextNode(value)]);
          return el('td', { class: 'num', 'data-value': value === null ? 'null' : String(value) }, [valueNode(column.kind, value)]);
        })),
      ),
    );
    const total = state.answer ? state.answer.data.length : 0;
    ui.shownCount.textContent = rows.length === total ? `${total} campaigns` : `${rows.length} of ${total} campaigns`;
  }

  function sortBy(key) {
    const column = COLUMNS.find((c) => c.key === key);
    if (!column) return;
    if (state.sort && state.sort.key === key) state.sort = { key, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' };
    // Numbers start high-to-low (the best campaigns first), text A to Z.
    else state.sort = { key, dir: column.kind === 'text' ? 'asc' : 'desc' };
    renderTable();
    const button = ui.head.querySelector(`button[data-column="${key}"]`);
    if (button) button.focus(); // the header was rebuilt: keep keyboard focus where it was
    setStatus(`Sorted by ${column.label.toLowerCase()}, ${state.sort.dir === 'asc' ? 'ascending' : 'descending'}.`);
  }

  // ---------------------------------------------------------------- CSV download

  function saveBlob(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function downloadCsv() {
    const workspace = state.answerScope;
    if (!state.key || !workspace) return;
    const filename = `campaigns-${workspace.toLowerCase()}-${new Date().toISOString().slice(0, 10)}.csv`;
    setStatus('Preparing the CSV…', 'busy');
    try {
      const response = await api(`/v1/campaigns/analytics?workspace_id=${encodeURIComponent(workspace)}&format=csv`, { accept: 'text/csv' });
      const type = response.headers.get('Content-Type') || '';
      if (response.ok && type.startsWith('text/csv')) {
        saveBlob(await response.blob(), filename);
        const complete = response.headers.get('X-Gateway-Complete');
        setStatus(`Downloaded ${filename}${complete === 'false' ? ' (some sources failed: the file is incomplete)' : ''}.`, complete === 'false' ? 'warn' : 'ok');
        return;
      }
      setStatus(problemText(response, await readJson(response)), 'error');
    } catch (error) {
      setStatus(`Could not reach the gateway: ${error.message}`, 'error');
    }
  }

  // ---------------------------------------------------------------- wiring

  ui.keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = ui.keyInput.value.trim();
    if (key === '') {
      setStatus('Enter a client key first.', 'error');
      ui.keyInput.focus();
      return;
    }
    state.key = key;
    writeSession(KEY_STORAGE, key);
    ui.keyInput.value = '';
    void connect();
  });

  ui.forget.addEventListener('click', () => forgetKey(true));

  ui.workspace.addEventListener('change', () => {
    writeSession(WORKSPACE_STORAGE, ui.workspace.value);
    void loadAnalytics({});
  });

  ui.reload.addEventListener('click', () => void loadAnalytics({ revalidate: true }));
  ui.refresh.addEventListener('click', () => void loadAnalytics({ refresh: true }));

  ui.topN.addEventListener('change', () => {
    if (state.answer) renderReplyChart(state.answer.data);
  });

  ui.filter.addEventListener('input', () => renderTable());

  // Native buttons in the headers: click, Enter and Space all arrive here as a click.
  ui.head.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-column]') : null;
    if (button) sortBy(button.getAttribute('data-column'));
  });

  ui.download.addEventListener('click', () => void downloadCsv());

  ui.trendMetric.replaceChildren(...TREND_METRICS.map((m) => el('option', { value: m.key, text: m.label })));
  ui.trendMetric.addEventListener('change', () => void loadTrend());
  for (const radio of document.querySelectorAll('input[name="trend-interval"], input[name="trend-group"]')) {
    radio.addEventListener('change', () => void loadTrend());
  }

  const stored = readSession(KEY_STORAGE);
  if (stored) {
    state.key = stored;
    void connect();
  } else {
    ui.keyInput.focus();
  }
})();
