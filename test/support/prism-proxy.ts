import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './free-port.js';
import { httpClient, type HttpAnswer, type HttpClient, type RequestOptions } from './http-client.js';
import { waitFor } from './wait-for.js';

const PRISM = path.resolve(import.meta.dirname, '../../node_modules/.bin/prism');

/** One finding of Prism's validator, as it reports it in the `sl-violations` header. */
export interface Violation {
  /** `request.body.email`, `response.headers.location`, or just `request`/`response`. */
  location: string;
  severity: string;
  code?: string | number;
  message: string;
}

export type CheckedAnswer<T = any> = HttpAnswer<T> & { violations: Violation[] };

export interface PrismProxy {
  url: string;
  /** Calls through Prism, with what Prism found wrong in the request and the server's response. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<CheckedAnswer<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<CheckedAnswer<T>>;
  post<T = any>(path: string, options?: RequestOptions): Promise<CheckedAnswer<T>>;
  put<T = any>(path: string, options?: RequestOptions): Promise<CheckedAnswer<T>>;
  patch<T = any>(path: string, options?: RequestOptions): Promise<CheckedAnswer<T>>;
  /** What Prism printed, for a failure's message. */
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts Stoplight Prism as a validating proxy (`prism proxy <document> <upstream>`)
 * in a child process on a free port. Every request is forwarded to the upstream as it
 * is, and Prism validates both the request and the upstream's response against the
 * document, reporting each violation in the `sl-violations` response header.
 *
 * It runs without `--errors`: with it, Prism answers an invalid request itself (422 or
 * 401) instead of forwarding it, and a spec could never see the server's own 400, 401
 * or 415. Here the server always answers, and the spec reads the violations.
 */
export async function startPrismProxy(documentFile: string, upstream: string): Promise<PrismProxy> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    PRISM,
    ['proxy', documentFile, upstream, '--host', '127.0.0.1', '--port', String(port), '--cors=false', '--errors=false', '--verboseLevel=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      printed += `\n${error.message}`;
      resolve();
    });
  });
  let alive = true;
  void exited.then(() => (alive = false));

  const close = async () => {
    if (!alive) return;
    child.kill('SIGTERM');
    const deadline = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(deadline);
  };

  try {
    await waitFor(
      async () => {
        if (!alive) throw new Error(`prism exited before listening:\n${printed}`);
        return (await portAccepts(port)) || undefined;
      },
      { what: `prism to listen on port ${port}`, timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${printed}`);
  }

  const url = `http://127.0.0.1:${port}`;
  const http: HttpClient = httpClient(url);
  const request = async <T>(method: string, route: string, options?: RequestOptions): Promise<CheckedAnswer<T>> => {
    const answer = await http.request<T>(method, route, options);
    return { ...answer, violations: violationsOf(answer) };
  };
  return {
    url,
    request,
    get: (route, options) => request('GET', route, options),
    post: (route, options) => request('POST', route, options),
    put: (route, options) => request('PUT', route, options),
    patch: (route, options) => request('PATCH', route, options),
    output: () => printed,
    close,
  };
}

function violationsOf(answer: HttpAnswer): Violation[] {
  const header = answer.headers.get('sl-violations');
  if (!header) return [];
  // Prism cuts an over-long list and says so in front; the cut list is no longer JSON.
  if (!header.startsWith('[')) return [{ location: 'prism', severity: 'Error', message: header.slice(0, 2000) }];
  return (JSON.parse(header) as { location: string[]; severity: string; code?: string | number; message: string }[]).map(
    (v) => ({ location: v.location.join('.'), severity: v.severity, code: v.code, message: v.message }),
  );
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
