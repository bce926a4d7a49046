import { request as httpRequest } from 'node:http';

/** A small fetch wrapper that returns what a caller of the API observes. */
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  /**
   * Send from this local address (any of 127.0.0.0/8 on loopback): another client
   * address, as the server sees it, without trusting any header.
   */
  from?: string;
}

/** The same request over node:http, which (unlike fetch) can pick the local address. */
function requestFrom(from: string, method: string, url: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers, localAddress: from, agent: false }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') answerHeaders.set(name, value);
        resolve({ status: incoming.statusCode ?? 0, headers: answerHeaders, text });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export function httpClient(baseUrl: string) {
  async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = options.from
      ? await requestFrom(options.from, method, `${baseUrl}${path}`, headers, body)
      : await fetch(`${baseUrl}${path}`, { method, headers, body }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
    const text = response.text;
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
  return {
    request,
    get: <T = any>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
    post: <T = any>(path: string, options?: RequestOptions) => request<T>('POST', path, options),
    put: <T = any>(path: string, options?: RequestOptions) => request<T>('PUT', path, options),
    patch: <T = any>(path: string, options?: RequestOptions) => request<T>('PATCH', path, options),
    delete: <T = any>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
