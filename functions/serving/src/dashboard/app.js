// Dashboard of the serving function: plain browser JavaScript, no dependencies, SVG charts drawn here.
// Pages (hash routes): #/overview, #/courses[/<id>], #/students[/<id>[/courses/<courseId>]].
(() => {
  const SPEED = '#10b981';
  const BATCH = '#3b82f6';
  const PALETTE = ['#6366f1', '#10b981', '#f59e0b', '#ef4444', '#3b82f6', '#8b5cf6'];
  const REFRESH_MS = 10_000;
  const page = document.getElementById('page');
  const svgNs = 'http://www.w3.org/2000/svg';
  let timer;
  let rendering = false;
  let again = false;

  // ---------- helpers ----------
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Number.POSITIVE_INFINITY))
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  };
  const svg = (tag, attrs = {}, ...children) => {
    const node = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs))
      if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of children.flat(Number.POSITIVE_INFINITY))
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  };
  const fmt = (n) =>
    typeof n !== 'number'
      ? (n ?? '–')
      : Math.abs(n) >= 1000
        ? n.toLocaleString('en-US', { maximumFractionDigits: 0 })
        : String(Math.round(n * 100) / 100);
  const ago = (seconds) =>
    seconds === null || seconds === undefined
      ? 'no data'
      : seconds < 120
        ? `${seconds} s ago`
        : seconds < 7200
          ? `${Math.round(seconds / 60)} min ago`
          : `${Math.round(seconds / 3600)} h ago`;
  const hhmm = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const enc = encodeURIComponent;

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  async function api(path) {
    const token = localStorage.getItem('ula-token');
    const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.status === 401) {
      document.getElementById('token-bar').hidden = false;
      throw new ApiError(401, 'a bearer token is needed');
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, body.message || res.statusText);
    return body;
  }
  const settle = (promise) =>
    promise.then(
      (value) => ({ value }),
      (error) => ({ error }),
    );

  const card = (title, testid, body, caption) =>
    el(
      'section',
      { class: 'card', 'data-testid': testid },
      el('h2', {}, title),
      body,
      caption ? el('div', { class: 'caption' }, caption) : null,
    );
  const kpi = (label, value, sub, kind, testid) =>
    el(
      'div',
      { class: `kpi ${kind || ''}`, 'data-testid': testid },
      el('div', { class: 'label' }, label),
      el('div', { class: 'value' }, value),
      el('div', { class: 'sub' }, sub || ''),
    );
  // Students and courses come in cursor pages (next_cursor); per list, the cursor of the page shown and
  // those of the pages before it, kept across refreshes and drill-downs. Counts come from the summary.
  const LIST_PAGE = 50;
  const pagers = { students: { cursor: null, previous: [] }, courses: { cursor: null, previous: [] } };
  const listPath = (name) =>
    `/api/v1/${name}?limit=${LIST_PAGE}${pagers[name].cursor ? `&cursor=${enc(pagers[name].cursor)}` : ''}`;
  const pageTitle = (label, name, list, total) => {
    const of = typeof total === 'number' ? ` of ${fmt(total)}` : '';
    if (list.items.length === 0) return `${label} (none${of})`;
    const first = pagers[name].previous.length * LIST_PAGE + 1;
    return `${label} (${fmt(first)}–${fmt(first + list.items.length - 1)}${of})`;
  };
  function pager(name, list) {
    const p = pagers[name];
    const go = (cursor, previous) => {
      p.cursor = cursor;
      p.previous = previous;
      render();
    };
    return el(
      'div',
      { class: 'pager' },
      el(
        'button',
        {
          type: 'button',
          'data-testid': `${name}-previous`,
          disabled: p.previous.length === 0,
          onclick: () => go(p.previous.at(-1), p.previous.slice(0, -1)),
        },
        '‹ Previous',
      ),
      el(
        'button',
        {
          type: 'button',
          'data-testid': `${name}-next`,
          disabled: !list.next_cursor,
          onclick: () => go(list.next_cursor, [...p.previous, p.cursor]),
        },
        'Next ›',
      ),
    );
  }
  const failed = (r) => el('div', { class: 'empty error' }, `unavailable: ${r.error.message}`);
  const empty = (text) => el('div', { class: 'empty' }, text);

  // ---------- charts ----------
  function lineChart(points, { name, color = SPEED, height = 220 }) {
    const W = 640;
    const H = height;
    const m = { l: 40, r: 12, t: 10, b: 24 };
    if (points.length === 0) return empty('no windows yet');
    const xs = points.map((p) => p.x);
    const max = Math.max(1, ...points.map((p) => p.y));
    const x0 = Math.min(...xs);
    const x1 = Math.max(x0 + 1, Math.max(...xs));
    const X = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
    const Y = (y) => H - m.b - (y / max) * (H - m.t - m.b);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * max));
    const d = points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`)
      .join('');
    const area = `${d}L${X(x1).toFixed(1)},${Y(0)}L${X(x0).toFixed(1)},${Y(0)}Z`;
    const xt = [0, 0.25, 0.5, 0.75, 1].map((f) => x0 + f * (x1 - x0));
    return svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': name,
        'data-chart': name,
        'data-points': points.length,
      },
      ticks.map((t) => [
        svg('line', { class: 'grid-line', x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t) }),
        svg('text', { x: m.l - 6, y: Y(t) + 4, 'text-anchor': 'end' }, t),
      ]),
      xt.map((t) =>
        svg(
          'text',
          { x: X(t), y: H - 6, 'text-anchor': 'middle' },
          new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
        ),
      ),
      svg('path', { d: area, fill: color, 'fill-opacity': 0.12 }),
      svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2 }),
    );
  }

  // Horizontal bars, each split into segments (e.g. batch + speed parts).
  function barChart(items, { name, segments, height, width }) {
    if (items.length === 0) return empty('no data in this range');
    const W = width || 640;
    const row = 24;
    const H = height || items.length * row + 24;
    const m = { l: 120, r: 60, t: 4 };
    const max = Math.max(1, ...items.map((it) => it.values.reduce((a, b) => a + b, 0)));
    const X = (v) => (v / max) * (W - m.l - m.r);
    return svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': name,
        'data-chart': name,
        'data-bars': items.length,
      },
      items.map((it, i) => {
        const y = m.t + i * row;
        let x = m.l;
        const total = it.values.reduce((a, b) => a + b, 0);
        return svg(
          'g',
          { 'data-label': it.label },
          svg(
            'text',
            { x: m.l - 6, y: y + 15, 'text-anchor': 'end' },
            it.label.length > 18 ? `${it.label.slice(0, 17)}…` : it.label,
          ),
          it.values.map((v, j) => {
            const w = X(v);
            const rect = svg(
              'rect',
              { x, y: y + 3, width: Math.max(0, w), height: row - 8, fill: segments[j].color, rx: 2 },
              svg('title', {}, `${segments[j].name}: ${fmt(v)}`),
            );
            x += w;
            return rect;
          }),
          svg('text', { x: x + 6, y: y + 15 }, fmt(total)),
        );
      }),
    );
  }

  // Vertical columns (e.g. daily active users, coloured by the layer that answered for the day).
  function columnChart(items, { name, height = 220 }) {
    if (items.length === 0) return empty('no data');
    const W = 640;
    const H = height;
    const m = { l: 40, r: 10, t: 10, b: 30 };
    const max = Math.max(1, ...items.map((it) => it.value));
    const bw = (W - m.l - m.r) / items.length;
    const Y = (v) => H - m.b - (v / max) * (H - m.t - m.b);
    const ticks = [0, 0.5, 1].map((f) => Math.round(f * max));
    return svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': name,
        'data-chart': name,
        'data-bars': items.length,
      },
      ticks.map((t) => [
        svg('line', { class: 'grid-line', x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t) }),
        svg('text', { x: m.l - 6, y: Y(t) + 4, 'text-anchor': 'end' }, t),
      ]),
      items.map((it, i) =>
        svg(
          'g',
          {},
          svg(
            'rect',
            {
              x: m.l + i * bw + 2,
              y: Y(it.value),
              width: Math.max(1, bw - 4),
              height: H - m.b - Y(it.value),
              fill: it.color,
              rx: 2,
            },
            svg('title', {}, `${it.label}: ${fmt(it.value)} (${it.note || ''})`),
          ),
          items.length <= 16 || i % Math.ceil(items.length / 8) === 0
            ? svg(
                'text',
                { x: m.l + i * bw + bw / 2, y: H - 12, 'text-anchor': 'middle' },
                it.short || it.label,
              )
            : null,
        ),
      ),
    );
  }

  function donut(items, { name }) {
    const total = items.reduce((a, b) => a + b.value, 0);
    const W = 440;
    const H = 200;
    const cx = 100;
    const cy = 100;
    const r = 80;
    const inner = 48;
    let angle = -Math.PI / 2;
    const arcs = [];
    if (total === 0) return empty('no students yet');
    items.forEach((it, i) => {
      if (it.value === 0) return;
      const a = (it.value / total) * Math.PI * 2;
      const end = angle + Math.min(a, Math.PI * 2 - 1e-4);
      const large = a > Math.PI ? 1 : 0;
      const p = (ang, rad) =>
        `${(cx + rad * Math.cos(ang)).toFixed(2)},${(cy + rad * Math.sin(ang)).toFixed(2)}`;
      arcs.push(
        svg(
          'path',
          {
            d: `M${p(angle, r)}A${r},${r} 0 ${large} 1 ${p(end, r)}L${p(end, inner)}A${inner},${inner} 0 ${large} 0 ${p(angle, inner)}Z`,
            fill: PALETTE[i % PALETTE.length],
          },
          svg('title', {}, `${it.label}: ${it.value}`),
        ),
      );
      angle = end;
    });
    return svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': name,
        'data-chart': name,
        'data-slices': arcs.length,
      },
      arcs,
      svg(
        'text',
        { x: cx, y: cy + 5, 'text-anchor': 'middle', style: 'font-size:16px;font-weight:600' },
        total,
      ),
      items.map((it, i) => [
        svg('rect', {
          x: 200,
          y: 40 + i * 26,
          width: 12,
          height: 12,
          fill: PALETTE[i % PALETTE.length],
          rx: 2,
        }),
        svg('text', { x: 218, y: 50 + i * 26 }, `${it.label} (${it.value})`),
      ]),
    );
  }

  function table(rows, { columns, key, onClick, testid, selected }) {
    if (rows.length === 0) return empty('no rows');
    const numeric = (c) => rows.some((r) => typeof r[c] === 'number');
    return el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { 'data-testid': testid },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            columns.map((c) => el('th', { class: numeric(c) ? 'num' : '' }, c.replaceAll('_', ' '))),
          ),
        ),
        el(
          'tbody',
          {},
          rows.map((r) =>
            el(
              'tr',
              {
                class: `${onClick ? 'link' : ''} ${selected && r[key] === selected ? 'selected' : ''}`,
                'data-id': r[key],
                onclick: onClick ? () => onClick(r) : undefined,
              },
              columns.map((c) =>
                el(
                  'td',
                  { class: typeof r[c] === 'number' ? 'num' : '' },
                  c.startsWith('last_') || c.endsWith('_date') ? timeText(r[c]) : fmt(r[c]),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
  const timeText = (v) => (typeof v === 'number' && v > 1e11 ? new Date(v).toLocaleString() : fmt(v));
  const numericColumns = (rows, skip) => {
    const cols = [];
    for (const r of rows)
      for (const [k, v] of Object.entries(r))
        if (!cols.includes(k) && !skip.includes(k) && (typeof v === 'number' || v === null)) cols.push(k);
    return cols;
  };

  // Layer freshness in detail: what the health endpoint measured for each layer.
  function layersCard(health) {
    if (health.error) return card('Layers', 'layers', failed(health));
    const h = health.value;
    const t = h.thresholds || {};
    const row = (name, l, color) =>
      el(
        'tr',
        { 'data-id': name },
        el('td', {}, el('span', { class: 'swatch', style: `background:${color}` }), ` ${name}`),
        el('td', {}, el('span', { class: `badge ${l.status}`, style: 'color:#fff' }, l.status)),
        el('td', {}, l.latest ? new Date(l.latest).toLocaleString() : '–'),
        el('td', { class: 'num' }, ago(l.age_seconds)),
      );
    const speedViews = Object.entries(h.layers.speed.detail?.views || {});
    return card(
      'Layers',
      'layers',
      el(
        'div',
        {},
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'layer'),
              el('th', {}, 'status'),
              el('th', {}, 'freshest evidence'),
              el('th', { class: 'num' }, 'age'),
            ),
          ),
          el('tbody', {}, row('speed', h.layers.speed, SPEED), row('batch', h.layers.batch, BATCH)),
        ),
        el(
          'div',
          { class: 'caption' },
          `Speed: ${h.layers.speed.detail?.measure}; healthy under ${t.speedStaleSeconds} s, down after ${t.speedDownSeconds} s. ` +
            `Batch: ${h.layers.batch.detail?.measure}; stale after ${t.batchStaleHours} h, down after ${t.batchDownHours} h.`,
        ),
        speedViews.length > 0
          ? el(
              'ul',
              { class: 'caption' },
              speedViews.map(([v, t]) =>
                el('li', {}, `${v}: newest window ${new Date(t).toLocaleTimeString()}`),
              ),
            )
          : null,
      ),
    );
  }

  // ---------- freshness header ----------
  async function freshness() {
    const r = await settle(api('/api/v1/health'));
    const speed = document.getElementById('speed-badge');
    const batch = document.getElementById('batch-badge');
    if (r.error) {
      speed.textContent = 'speed ?';
      batch.textContent = 'batch ?';
      return;
    }
    const s = r.value.layers.speed;
    const b = r.value.layers.batch;
    speed.className = `badge ${s.status}`;
    speed.textContent = `speed ${s.status} · ${ago(s.age_seconds)}`;
    batch.className = `badge ${b.status}`;
    batch.textContent = `batch ${b.status} · watermark ${b.latest ? new Date(b.latest).toLocaleDateString() : 'none'}`;
  }

  // ---------- pages ----------
  async function overview() {
    const [summary, active, popular, recent, engagement, videos, dau, health] = await Promise.all([
      settle(api('/api/v1/summary')),
      settle(api('/api/v1/active-users?hours=6')),
      settle(api('/api/v1/course-popularity?limit=10')),
      settle(api('/api/v1/recent-activity?hours=1')),
      settle(api('/api/v1/engagement-distribution')),
      settle(api('/api/v1/realtime/videos?hours=1&limit=10')),
      settle(api('/api/v1/daily-active-users')),
      settle(api('/api/v1/health')),
    ]);
    const s = summary.value;
    const kpis = s
      ? el(
          'div',
          { class: 'kpis' },
          kpi(
            'Current active users',
            fmt(s.current_active_users),
            s.active_users_window
              ? `window ${hhmm(s.active_users_window.start)}–${hhmm(s.active_users_window.end)}`
              : 'no recent window',
            'speed',
            'kpi-active-users',
          ),
          kpi('Active courses (1 h)', fmt(s.active_courses_1h), 'speed layer', 'speed', 'kpi-active-courses'),
          kpi('Total students', fmt(s.total_students), 'batch layer', 'batch', 'kpi-students'),
          kpi('Total courses', fmt(s.total_courses), 'batch layer', 'batch', 'kpi-courses'),
          kpi(
            'Speed layer',
            s.speed_layer.status,
            `newest window ${ago(s.speed_layer.age_seconds)}`,
            'speed',
            'kpi-speed-status',
          ),
          kpi(
            'Batch exact up to',
            s.batch_layer.watermark ? new Date(s.batch_layer.watermark).toLocaleDateString() : 'none',
            s.batch_layer.watermark
              ? `${new Date(s.batch_layer.watermark).toLocaleTimeString()} · batch ${s.batch_layer.status}`
              : `batch ${s.batch_layer.status}`,
            'batch',
            'kpi-batch-watermark',
          ),
        )
      : failed(summary);

    const activeCard = active.value
      ? card(
          'Active users per minute (last 6 h)',
          'chart-active-users',
          lineChart(
            active.value.points.map((p) => ({ x: Date.parse(p.time), y: p.active_users })),
            { name: 'active-users' },
          ),
          `peak ${active.value.peak} · mean ${active.value.mean}`,
        )
      : card('Active users per minute (last 6 h)', 'chart-active-users', failed(active));

    const popularCard = popular.value
      ? card(
          `Top courses by interactions (${popular.value.from} to ${popular.value.to})`,
          'chart-top-courses',
          barChart(
            popular.value.courses.map((c) => ({
              label: c.course_id,
              values: [c.batch.interactions || 0, c.speed.interactions || 0],
            })),
            {
              name: 'top-courses',
              segments: [
                { name: 'batch', color: BATCH },
                { name: 'speed', color: SPEED },
              ],
            },
          ),
          `batch days ${popular.value.batch_days.length}, speed days ${popular.value.speed_days.length}; total ${fmt(popular.value.courses.reduce((a, c) => a + c.interactions, 0))}`,
        )
      : card('Top courses by interactions', 'chart-top-courses', failed(popular));

    const dauCard = dau.value
      ? card(
          'Daily active users (merged)',
          'chart-dau',
          columnChart(
            dau.value.days.map((d) => ({
              label: d.date,
              short: d.date.slice(5),
              value: d.daily_active_users,
              color: d.source === 'batch' ? BATCH : SPEED,
              note: d.source,
            })),
            { name: 'daily-active-users' },
          ),
          `watermark ${dau.value.watermark ? new Date(dau.value.watermark).toLocaleString() : 'none'}: blue days from batch, green from speed`,
        )
      : card('Daily active users', 'chart-dau', failed(dau));

    let mixCard;
    if (recent.value) {
      const r = recent.value;
      const totals =
        s && popular.value ? popular.value.courses.reduce((a, c) => a + c.batch.interactions, 0) : 0;
      mixCard = card(
        'Activity mix (last hour, speed layer)',
        'chart-activity-mix',
        barChart(
          [
            { label: 'Videos watched', values: [r.videos_watched] },
            { label: 'Course interactions', values: [r.course_interactions] },
            { label: 'Submissions', values: [r.assignments_submitted] },
            { label: 'Logins', values: [r.logins] },
            { label: 'Active users', values: [r.active_users] },
          ],
          { name: 'activity-mix', segments: [{ name: 'last hour', color: SPEED }], width: 420 },
        ),
        `watch time ${fmt(Math.round(r.watch_seconds / 60))} min in the last hour; batch interactions in range ${fmt(totals)}`,
      );
    } else mixCard = card('Activity mix', 'chart-activity-mix', failed(recent));

    const engagementCard = engagement.value
      ? card(
          'Student engagement levels (last 7 days)',
          'chart-engagement',
          donut(
            engagement.value.levels.map((l) => ({ label: l.label ?? l.level, value: l.student_count })),
            { name: 'engagement' },
          ),
          `${fmt(engagement.value.total_students)} students · active ${engagement.value.active_percentage}% · interactions = videos watched + submissions + logins`,
        )
      : card('Student engagement levels', 'chart-engagement', failed(engagement));

    const videosCard = videos.value
      ? card(
          'Top videos (last hour, speed layer)',
          'chart-top-videos',
          el(
            'div',
            {},
            barChart(
              videos.value.videos.map((v) => ({ label: v.video_id, values: [v.views] })),
              { name: 'top-videos', segments: [{ name: 'views', color: SPEED }] },
            ),
            el(
              'ol',
              { class: 'top5' },
              videos.value.videos
                .slice(0, 5)
                .map((v) =>
                  el(
                    'li',
                    {},
                    `${v.video_id}: ${v.views} views, ${fmt(Math.round(v.watch_seconds / 60))} min watched`,
                  ),
                ),
            ),
          ),
        )
      : card('Top videos', 'chart-top-videos', failed(videos));

    return [
      kpis,
      el('div', { class: 'grid' }, activeCard, popularCard),
      el('div', { class: 'grid three' }, dauCard, mixCard, engagementCard),
      el('div', { class: 'grid' }, videosCard, layersCard(health)),
    ];
  }

  async function courses(courseId) {
    const [list, summary] = await Promise.all([
      settle(api(listPath('courses'))),
      settle(api('/api/v1/summary')),
    ]);
    const left = list.value
      ? card(pageTitle('Courses', 'courses', list.value, summary.value?.total_courses), 'courses-table', [
          pager('courses', list.value),
          table(list.value.items, {
            columns: ['course_id', ...numericColumns(list.value.items, ['course_id']).slice(0, 4)],
            key: 'course_id',
            testid: 'courses',
            selected: courseId,
            onClick: (r) => {
              location.hash = `#/courses/${enc(r.course_id)}`;
            },
          }),
        ])
      : card('Courses', 'courses-table', failed(list));
    let right = card('Course', 'course-detail', empty('select a course'));
    if (courseId) {
      const [course, students] = await Promise.all([
        settle(api(`/api/v1/courses/${enc(courseId)}`)),
        settle(api(`/api/v1/courses/${enc(courseId)}/students?limit=500`)),
      ]);
      if (course.error) right = card(`Course ${courseId}`, 'course-detail', failed(course));
      else {
        const c = course.value.course;
        const metrics = numericColumns([c], []).slice(0, 6);
        right = el(
          'section',
          { class: 'card', 'data-testid': 'course-detail' },
          el('h2', {}, `Course ${courseId}`),
          el(
            'div',
            { class: 'kpis' },
            metrics.map((m) => kpi(m.replaceAll('_', ' '), fmt(c[m]), '', 'batch', `course-${m}`)),
          ),
          el('h2', {}, `Students (${students.value ? students.value.total : '?'})`),
          students.value
            ? table(students.value.items, {
                columns: Object.keys(students.value.items[0] || { student_id: 1 })
                  .filter((k) => k !== 'course_id')
                  .slice(0, 7),
                key:
                  Object.keys(students.value.items[0] || {}).find(
                    (k) => k === 'student_id' || k === 'user_id',
                  ) || 'student_id',
                testid: 'course-students',
                onClick: (r) => {
                  location.hash = `#/students/${enc(r.student_id ?? r.user_id)}`;
                },
              })
            : failed(students),
        );
      }
    }
    return [el('div', { class: 'split' }, left, right)];
  }

  async function students(studentId, courseId) {
    const [list, summary] = await Promise.all([
      settle(api(listPath('students'))),
      settle(api('/api/v1/summary')),
    ]);
    const idKey = 'student_id';
    const left = list.value
      ? card(pageTitle('Students', 'students', list.value, summary.value?.total_students), 'students-table', [
          pager('students', list.value),
          table(list.value.items, {
            columns: [idKey, ...numericColumns(list.value.items, [idKey]).slice(0, 4)],
            key: idKey,
            testid: 'students',
            selected: studentId,
            onClick: (r) => {
              location.hash = `#/students/${enc(r[idKey])}`;
            },
          }),
        ])
      : card('Students', 'students-table', failed(list));
    let right = card('Student', 'student-detail', empty('select a student'));
    if (studentId) {
      const [student, courseList, detail] = await Promise.all([
        settle(api(`/api/v1/students/${enc(studentId)}`)),
        settle(api(`/api/v1/students/${enc(studentId)}/courses?limit=500`)),
        courseId
          ? settle(api(`/api/v1/students/${enc(studentId)}/courses/${enc(courseId)}`))
          : Promise.resolve(null),
      ]);
      if (student.error) right = card(`Student ${studentId}`, 'student-detail', failed(student));
      else {
        const st = student.value.student;
        const metrics = numericColumns([st], []).slice(0, 6);
        const rows = courseList.value ? courseList.value.items : [];
        const scoreKey = ['avg_score', 'avg_assignment_score', 'avg_quiz_score'].find((k) =>
          rows.some((r) => typeof r[k] === 'number'),
        );
        right = el(
          'section',
          { class: 'card', 'data-testid': 'student-detail' },
          el('h2', {}, `Student ${studentId}`),
          el(
            'div',
            { class: 'kpis' },
            metrics.map((m) => kpi(m.replaceAll('_', ' '), fmt(st[m]), '', 'batch', `student-${m}`)),
          ),
          el('h2', {}, `Courses (${courseList.value ? courseList.value.total : '?'})`),
          courseList.value
            ? table(rows, {
                columns: Object.keys(rows[0] || { course_id: 1 })
                  .filter((k) => k !== 'student_id' && k !== 'user_id')
                  .slice(0, 7),
                key: 'course_id',
                testid: 'student-courses',
                selected: courseId,
                onClick: (r) => {
                  location.hash = `#/students/${enc(studentId)}/courses/${enc(r.course_id)}`;
                },
              })
            : failed(courseList),
          scoreKey
            ? el(
                'div',
                {},
                el('h2', {}, `${scoreKey.replaceAll('_', ' ')} by course`),
                barChart(
                  rows.map((r) => ({ label: r.course_id, values: [r[scoreKey] || 0] })),
                  { name: 'student-scores', segments: [{ name: scoreKey, color: BATCH }] },
                ),
              )
            : null,
          detail
            ? el(
                'div',
                { 'data-testid': 'student-course-detail' },
                el('h2', {}, `In course ${courseId}`),
                detail.error
                  ? failed(detail)
                  : el(
                      'dl',
                      { class: 'kv' },
                      Object.entries(detail.value.detail).flatMap(([k, v]) => [
                        el('dt', {}, k.replaceAll('_', ' ')),
                        el('dd', {}, k.startsWith('last_') ? timeText(v) : fmt(v)),
                      ]),
                    ),
              )
            : null,
        );
      }
    }
    return [el('div', { class: 'split' }, left, right)];
  }

  // ---------- router ----------
  async function render() {
    if (rendering) {
      again = true;
      return;
    }
    rendering = true;
    try {
      const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
      const name = parts[0] || 'overview';
      for (const a of document.querySelectorAll('nav a'))
        a.classList.toggle('active', a.dataset.nav === name);
      freshness();
      const content =
        name === 'courses'
          ? await courses(parts[1])
          : name === 'students'
            ? await students(parts[1], parts[2] === 'courses' ? parts[3] : undefined)
            : await overview();
      const scroll = window.scrollY;
      page.replaceChildren(...content);
      page.dataset.page = name;
      page.dataset.loaded = String(Date.now());
      window.scrollTo(0, scroll);
      document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      page.replaceChildren(el('div', { class: 'empty error' }, String(error.message || error)));
    } finally {
      rendering = false;
      if (again) {
        again = false;
        render();
      }
    }
  }

  function schedule() {
    clearInterval(timer);
    if (document.getElementById('auto-refresh').checked) timer = setInterval(render, REFRESH_MS);
  }
  document.getElementById('auto-refresh').addEventListener('change', schedule);
  document.getElementById('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    localStorage.setItem('ula-token', document.getElementById('token').value);
    document.getElementById('token-bar').hidden = true;
    render();
  });
  window.addEventListener('hashchange', render);
  render();
  schedule();
})();
