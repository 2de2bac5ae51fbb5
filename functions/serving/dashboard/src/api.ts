/** The serving API from the browser: JSON reads with the optional bearer token, and CSV downloads. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const tokenKey = 'ula-token';
const headers = (): Record<string, string> => {
  const token = localStorage.getItem(tokenKey);
  return token ? { authorization: `Bearer ${token}` } : {};
};
export const useToken = (token: string): void => localStorage.setItem(tokenKey, token);

async function request(path: string): Promise<Response> {
  const res = await fetch(path, { headers: headers() });
  if (res.status === 401) {
    document.getElementById('token-bar')?.removeAttribute('hidden');
    throw new ApiError(401, 'this API needs a bearer token (enter it above)');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(res.status, body.message ?? res.statusText);
  }
  return res;
}

export async function api<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

/** Either the value or the error, so one failed panel does not blank the page. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };
export const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({
      ok: false as const,
      error: error instanceof Error ? error : new Error(String(error)),
    }),
  );

/** Fetches `path` as CSV (format=csv, with the token) and saves it as `filename`. */
export async function downloadCsv(path: string, filename: string): Promise<void> {
  const res = await request(`${path}${path.includes('?') ? '&' : '?'}format=csv`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const enc = encodeURIComponent;

/** A query string from the defined entries. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${enc(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}
