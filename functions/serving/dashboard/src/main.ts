/**
 * The dashboard: a hash router over one module per page, the layers' freshness badges, auto-refresh of the
 * real-time overview, and the bearer-token form. Bundled by functions/serving/scripts/embed-dashboard.mjs.
 */
import { api, settle, useToken } from './api.ts';
import { destroyCharts, mountCharts } from './charts.ts';
import { ago, currentRoute, h } from './dom.ts';
import { coursePage } from './pages/course.ts';
import { coursesPage, studentsPage } from './pages/lists.ts';
import { type Health, overviewPage } from './pages/overview.ts';
import type { PageResult } from './pages/page.ts';
import { riskPage } from './pages/risk.ts';
import { studentPage } from './pages/student.ts';
import type { Route } from './router.ts';

const refreshMs = 10_000;
const main = document.getElementById('page') as HTMLElement;
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function pageFor(route: Route): { nav: string; load: () => Promise<PageResult> } {
  const [id] = route.parts;
  switch (route.page) {
    case 'students':
      return { nav: 'students', load: () => (id ? studentPage(route) : studentsPage(route)) };
    case 'courses':
      return { nav: 'courses', load: () => (id ? coursePage(route) : coursesPage(route)) };
    case 'risk':
      return { nav: 'risk', load: () => riskPage(route) };
    default:
      return { nav: 'overview', load: () => overviewPage() };
  }
}

async function freshness(): Promise<void> {
  const r = await settle(api<Health>('/api/v1/health'));
  const speed = byId('speed-badge');
  const batch = byId('batch-badge');
  if (!r.ok) {
    speed.textContent = 'speed ?';
    batch.textContent = 'batch ?';
    return;
  }
  const s = r.value.layers.speed;
  const b = r.value.layers.batch;
  speed.className = `badge ${s.status}`;
  speed.textContent = `speed ${s.status} · ${ago(s.age_seconds)}`;
  batch.className = `badge ${b.status}`;
  batch.textContent = `batch ${b.status} · watermark ${b.latest ? new Date(b.latest).toLocaleDateString('en-GB') : 'none'}`;
}

let rendering = false;
let again = false;
let lastHash = '';

async function render(): Promise<void> {
  if (rendering) {
    again = true;
    return;
  }
  rendering = true;
  const route = currentRoute();
  const { nav, load } = pageFor(route);
  const navigated = location.hash !== lastHash;
  lastHash = location.hash;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.main a')) {
    if (a.dataset['nav'] === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (navigated) main.setAttribute('aria-busy', 'true');
  void freshness();
  try {
    const result = await load();
    const scroll = window.scrollY;
    destroyCharts(main);
    main.replaceChildren(...result.content.flat().filter((c): c is Node => c instanceof Node));
    mountCharts(main);
    document.title = `${result.title} · University Learning Analytics`;
    main.dataset['page'] = route.parts.length > 0 ? route.page.replace(/s$/, '') : route.page;
    main.dataset['loaded'] = String(Date.now());
    byId('updated').textContent = `updated ${new Date().toLocaleTimeString('en-GB')}`;
    if (navigated) {
      window.scrollTo(0, 0);
      // Screen readers and keyboards start at the new page's first heading.
      const heading = main.querySelector('h2');
      heading?.setAttribute('tabindex', '-1');
      heading?.focus({ preventScroll: true });
    } else window.scrollTo(0, scroll);
  } catch (error) {
    destroyCharts(main);
    main.replaceChildren(
      h('p', { class: 'empty error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
    );
    main.dataset['page'] = 'error';
  } finally {
    main.removeAttribute('aria-busy');
    rendering = false;
    if (again) {
      again = false;
      void render();
    }
  }
}

// Only the overview changes between batch runs (its speed panels); other pages stay put while being read.
let timer: ReturnType<typeof setInterval> | undefined;
function schedule(): void {
  clearInterval(timer);
  if (byId<HTMLInputElement>('auto-refresh').checked)
    timer = setInterval(() => {
      if (currentRoute().page === 'overview') void render();
      else void freshness();
    }, refreshMs);
}

byId('auto-refresh').addEventListener('change', schedule);
byId('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  useToken(byId<HTMLInputElement>('token').value);
  byId('token-bar').hidden = true;
  void render();
});
window.addEventListener('hashchange', () => void render());
void render();
schedule();
