/** Minimal cookie-aware HTTP helpers over Node 20's fetch (no deps). */

export interface Cookie {
  name: string;
  value: string;
  domain: string;
  path: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  setCookies: Cookie[];
}

export interface HttpRequest {
  method?: string;
  /** application/x-www-form-urlencoded body; arrays become repeated `key[]`-style keys as given. */
  form?: Record<string, string | number | (string | number)[]>;
  json?: unknown;
  cookieHeader?: string;
  headers?: Record<string, string>;
  /** default 'manual' so 302s of wp-login / wp-admin are visible */
  redirect?: 'manual' | 'follow';
}

export function formBody(form: Record<string, string | number | (string | number)[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  return p.toString();
}

export function parseSetCookies(headers: Headers, host: string): Cookie[] {
  const out: Cookie[] = [];
  for (const line of headers.getSetCookie()) {
    const parts = line.split(';').map((s) => s.trim());
    const first = parts.shift() ?? '';
    const eq = first.indexOf('=');
    if (eq < 0) continue;
    const name = first.slice(0, eq);
    const value = first.slice(eq + 1);
    let path = '/';
    let expired = false;
    for (const attr of parts) {
      const [k = '', v = ''] = attr.split('=');
      if (k.toLowerCase() === 'path') path = v || '/';
      if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
    }
    if (expired || value === 'deleted') continue;
    out.push({ name, value, domain: host, path });
  }
  return out;
}

export async function http(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let body: string | undefined;
  if (req.form) {
    body = formBody(req.form);
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['Content-Type'] = 'application/json';
  }
  if (req.cookieHeader) headers['Cookie'] = req.cookieHeader;
  const res = await fetch(url, {
    method: req.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body,
    redirect: req.redirect ?? 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, setCookies: parseSetCookies(res.headers, new URL(url).hostname) };
}
