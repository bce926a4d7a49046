import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { httpClient, type HttpClient } from './http-client.js';
import { runLogFile } from './run-log.js';
import { distEntry, runContextOfTestFile, spawnShopProcess, type Exit, type SpawnedProcess } from './shop-process.js';

export interface RunningGateway {
  url: string;
  port: number;
  http: HttpClient;
  /** The admin API, on its own port; its requests need `adminToken`. */
  admin: HttpClient;
  adminUrl: string;
  adminToken: string;
  /** Replaces the routes file the way an operator's tool does (write aside, then rename over it). */
  writeRoutes(config: unknown): void;
  /** Every JSON line the gateway logged so far. */
  logs(): Record<string, unknown>[];
  output(): string;
  process: SpawnedProcess;
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/**
 * The gateway as its own OS process (`node dist/strangler-proxy/main.js`, built by
 * `npm test`), on a free port of loopback, with a routes file of the test's own.
 */
export async function startGateway(options: { routes: unknown; env?: Record<string, string> }): Promise<RunningGateway> {
  const run = runContextOfTestFile();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-'));
  const routesFile = path.join(dir, 'routes.json');
  const write = (config: unknown) => {
    const aside = path.join(dir, `.routes-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(aside, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    renameSync(aside, routesFile);
  };
  write(options.routes);
  const { spawned, port, adminUrl, adminToken } = await spawnGateway({
    routesFile,
    stateFile: path.join(dir, 'state.json'),
    toRunLog: runLogFile(run.runLogDir, 'gateway'),
    label: 'the gateway',
    env: { PROXY_NAMESPACE: `gateway-test-${randomBytes(6).toString('hex')}`, ...options.env },
  });
  void spawned.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  await spawned.ready();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    http: httpClient(url),
    admin: httpClient(adminUrl),
    adminUrl,
    adminToken,
    writeRoutes: write,
    output: spawned.output,
    logs: () =>
      spawned
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    process: spawned,
    stop: (signal) => spawned.stop(signal),
  };
}

/**
 * Starts `node dist/strangler-proxy/main.js` on free ports of loopback (its public port
 * and its admin port), with an admin token of its own; readiness (`ready()`) polls the
 * admin port's /health. For startGateway and for the placements' gateway.
 */
export async function spawnGateway(options: {
  routesFile: string;
  stateFile: string;
  toRunLog: (text: string) => void;
  label: string;
  env?: Record<string, string>;
}): Promise<{ spawned: SpawnedProcess; port: number; url: string; adminUrl: string; adminToken: string }> {
  const adminToken = `gateway-admin-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const spawned = spawnShopProcess({
    entry: distEntry('strangler-proxy/main.js'),
    port,
    env: {
      PATH: process.env.PATH ?? '',
      PROXY_PORT: String(port),
      PROXY_HOST: '127.0.0.1',
      PROXY_ADMIN_PORT: String(adminPort),
      STRANGLER_ROUTES: options.routesFile,
      PROXY_ADMIN_TOKEN: adminToken,
      PROXY_STATE_FILE: options.stateFile,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    toRunLog: options.toRunLog,
    label: options.label,
    readyUrl: `${adminUrl}/health`,
  });
  return { spawned, port, url: `http://127.0.0.1:${port}`, adminUrl, adminToken };
}

/** What a stand-in upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface StandInUpstream {
  url: string;
  name: string;
  seen: SeenRequest[];
  server: Server;
  close(): Promise<void>;
}

/**
 * An upstream of the gateway's own tests: a real node:http server on loopback that
 * answers `{ "servedBy": <name>, "method", "url" }` (or what `answer` writes), and
 * remembers every request it got, body included. The shop's own processes stand behind
 * the gateway in test/gateway/shop-through-gateway.spec.ts; a stand-in is what lets a
 * test plant faults and bodies the shop does not have.
 */
export async function standInUpstream(
  name: string,
  answer?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  options: { port?: number } = {},
): Promise<StandInUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (answer) return answer(req, res, body);
      const text = JSON.stringify({ servedBy: name, method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 30_000;
  // Every socket, upgraded ones included (closeAllConnections knows only HTTP ones), so close() ends them all.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    name,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A routes file's upstream entry for these stand-ins, with quick ejection and probing for tests. */
export function upstreamOf(...upstreams: { url: string }[]): { instances: string[]; ejectAfterFailures: number; probeIntervalMs: number; healthPath: string } {
  return { instances: upstreams.map((u) => u.url), ejectAfterFailures: 3, probeIntervalMs: 100, healthPath: '/health/live' };
}
