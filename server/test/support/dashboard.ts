/**
 * The dashboard over plain HTTP (no browser) for server tests: a bare client that follows no
 * redirect and leaves cookies to the test, and sign-in helpers on top of it.
 */

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  cookies: string[];
}

export interface HttpOptions {
  cookie?: string;
  form?: Record<string, string | string[]>;
  headers?: Record<string, string>;
}

/** A bare HTTP client: no redirects followed, cookies handled by the test itself. */
export async function http(url: string, method: string, path: string, opts: HttpOptions = {}): Promise<PageResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = opts.cookie;
  let body: string | undefined;
  if (opts.form) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
    body = params.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url + path, { method, headers, body, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text(), cookies: res.headers.getSetCookie() };
}

export const cookieValue = (cookies: string[], name: string) =>
  cookies
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1);

export const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** A signed-in session: its cookie header, the CSRF token its pages carry, and the raw token. */
export interface SignedIn {
  cookie: string;
  token: string;
  raw: string;
}

/** Sign-in steps against one server. */
export function dashboardClient(url: string) {
  async function loginForm(headers: Record<string, string> = {}) {
    const res = await http(url, 'GET', '/dashboard/login', { headers });
    if (res.status !== 200) throw new Error(`GET /dashboard/login answered ${res.status}`);
    return { res, token: csrfIn(res.text)!, cookie: res.cookies.map((c) => c.split(';')[0]).join('; ') };
  }

  async function signIn(email: string, password: string, headers: Record<string, string> = {}) {
    const form = await loginForm(headers);
    return http(url, 'POST', '/dashboard/login', { cookie: form.cookie, form: { _csrf: form.token, email, password }, headers });
  }

  async function session(email: string, password: string): Promise<SignedIn> {
    const res = await signIn(email, password);
    if (res.status !== 303) throw new Error(`sign-in answered ${res.status}: ${res.text.slice(0, 300)}`);
    const raw = cookieValue(res.cookies, 'qb_session')!;
    const cookie = `qb_session=${raw}`;
    const page = await http(url, 'GET', '/dashboard/setup/api-keys', { cookie });
    if (page.status !== 200) throw new Error(`the API keys page answered ${page.status}`);
    return { cookie, token: csrfIn(page.text)!, raw };
  }

  return { loginForm, signIn, session };
}
