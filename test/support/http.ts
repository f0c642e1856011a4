/**
 * A tiny browser-like HTTP client for tests: keeps cookies, does not follow redirects, and pulls
 * hidden form fields (CSRF token, submission token) out of pages.
 */
export class Browser {
  private cookies = new Map<string, string>();
  /** `headers` are sent with every request (e.g. `X-Forwarded-For` behind a trusted proxy). */
  constructor(readonly baseUrl: string, private readonly headers: Record<string, string> = {}) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.baseUrl + path, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  /** The value of a cookie the server set (e.g. the session cookie), or undefined. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  postForm(path: string, fields: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of ([] as string[]).concat(v)) body.append(k, x);
    return this.request(path, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  }

  postMultipart(path: string, form: FormData): Promise<Response> {
    return this.request(path, { method: 'POST', body: form });
  }
}

/** Value of the hidden or text input named `name` in `html` (attribute order as our views write it). */
export function inputValue(html: string, name: string): string | null {
  const re = new RegExp(`<input[^>]*name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*value="([^"]*)"`);
  const m = re.exec(html);
  return m ? m[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x3D;/g, '=') : null;
}

/** Flattens a nested submission into bracket-notation form fields (`child[firstNameAr]`). */
export function toFormFields(obj: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === 'object') out.push(...toFormFields(v as Record<string, unknown>, key));
    else if (v !== undefined && v !== null) out.push([key, String(v)]);
  }
  return out;
}
