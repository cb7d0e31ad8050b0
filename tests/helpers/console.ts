import type { TestApi } from './api';

/**
 * A browser-like HTTP client for the console: keeps cookies, does not follow redirects (tests look
 * at them), and reads the CSRF token from the pages it fetched, as a browser's forms and htmx do.
 */
export class ConsoleAgent {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ');
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = decodeURIComponent(pair!.slice(at + 1).trim());
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(
    path: string,
    init: RequestInit & { htmx?: boolean } = {},
  ): Promise<Response & { text(): Promise<string> }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('Cookie', this.cookieHeader());
    if (init.htmx) headers.set('HX-Request', 'true');
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers, redirect: 'manual' });
    this.remember(response);
    return response;
  }

  /** GETs a page and keeps its CSRF token for the next POST. */
  async page(path: string, htmx = false): Promise<{ status: number; body: string; response: Response }> {
    const response = await this.request(path, { htmx });
    const body = await response.text();
    const token =
      /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ??
      /&quot;X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(body)?.[1];
    if (token) this.csrf = token;
    return { status: response.status, body, response };
  }

  /** Posts a form, with the CSRF token unless `csrf: false`. */
  async post(
    path: string,
    fields: Record<string, string>,
    options: { csrf?: boolean; htmx?: boolean } = {},
  ): Promise<{ status: number; body: string; response: Response; location: string | null }> {
    const form = new URLSearchParams(fields);
    if (options.csrf !== false) form.set('_csrf', this.csrf);
    const response = await this.request(path, {
      method: 'POST',
      body: form,
      htmx: options.htmx,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    return {
      status: response.status,
      body: await response.text(),
      response,
      location: response.headers.get('location'),
    };
  }

  /** Signs in through the login form. */
  async signIn(email: string, password: string): Promise<void> {
    await this.page('/login');
    const { status, location } = await this.post('/login', { email, password });
    if (status !== 303 || location !== '/console') throw new Error(`sign-in failed with ${status}`);
  }
}

export const consoleAgent = (api: TestApi): ConsoleAgent => new ConsoleAgent(api.baseUrl);
