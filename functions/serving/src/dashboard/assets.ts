import { files } from './assets.generated.ts';

/** The dashboard page at `/` (and `/dashboard`) and its two assets. */
export function dashboardAsset(path: string): { type: string; body: string } | undefined {
  if (path === '/' || path === '/dashboard' || path === '/index.html') return files['index.html'];
  if (path === '/assets/style.css') return files['style.css'];
  if (path === '/assets/app.js') return files['app.js'];
  return undefined;
}
