/**
 * nginx as a reference reverse proxy for the gateway scenario: finds the binary, writes
 * a config that needs no privileges and touches nothing outside its own folder, and
 * starts it in the foreground as a child of the bench (so stopAllChildren stops it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startChild, tailOf, waitForHttpOk } from './child-process.mjs';
import { freePort } from './ports.mjs';

/** Where Debian's nginx-light puts it; PATH is searched too. */
const KNOWN_LOCATIONS = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export const NGINX_INSTALL_HINT = 'apt-get install -y nginx-light';

/** The nginx binary's path, or undefined when it is not installed. */
export function findNginx(env = process.env) {
  const onPath = (env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, 'nginx'));
  for (const candidate of [...KNOWN_LOCATIONS, ...onPath]) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** `nginx -V` (version and configure flags); '' if it cannot be run. */
function buildInfo(binary) {
  // nginx prints -V on stderr.
  const run = spawnSync(binary, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return `${run.stdout ?? ''}${run.stderr ?? ''}`;
}

/**
 * The config text. Every path nginx would otherwise take from its compiled-in defaults
 * (/var/lib/nginx, /run/nginx.pid, /var/log/nginx) is inside `dir`, so it runs as any
 * user. The temp-path directives of modules left out of the build (`--without-…`) are
 * omitted, as nginx refuses unknown directives.
 */
export function nginxConfig({ dir, port, upstreamPort, workers = 1, configureFlags = '' }) {
  const p = (name) => path.join(dir, name);
  const tempPaths = [
    ['client_body_temp_path', 'client_body', null],
    ['proxy_temp_path', 'proxy', null],
    ['fastcgi_temp_path', 'fastcgi', 'http_fastcgi_module'],
    ['uwsgi_temp_path', 'uwsgi', 'http_uwsgi_module'],
    ['scgi_temp_path', 'scgi', 'http_scgi_module'],
  ]
    .filter(([, , module]) => !module || !configureFlags.includes(`--without-${module}`))
    .map(([directive, folder]) => `  ${directive} ${p(folder)};`)
    .join('\n');
  return `# Written by bench/support/nginx.mjs for the gateway scenario.
daemon off;
master_process on;
worker_processes ${workers};
pid ${p('nginx.pid')};
lock_file ${p('nginx.lock')};
error_log ${p('error.log')} warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
${tempPaths}

  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    # Pooled upstream connections, as our proxy's keep-alive agent has.
    keepalive 64;
    # nginx closes a pooled connection after 1,000 requests by default; neither the
    # direct row nor our proxy does, so it would pay for reconnects they do not.
    keepalive_requests 1000000;
  }

  server {
    listen 127.0.0.1:${port};
    # The same for the clients' keep-alive connections (default 1,000 requests).
    keepalive_requests 1000000;

    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/**
 * Writes the config into `<workDir>/nginx-<workers>w/`, checks it (`nginx -t`), starts
 * nginx in the foreground and waits until it forwards a request to the upstream.
 * Resolves to { child, baseUrl, configPath, version }.
 */
export async function startNginx({ binary, workDir, upstreamPort, workers = 1 }) {
  const dir = path.join(workDir, `nginx-${workers}w`);
  fs.mkdirSync(dir, { recursive: true });
  // Started as root, nginx's workers run as `nobody` and could not enter this folder
  // (mkdtemp made the work root 0700). They never need to: the master opens the logs
  // and creates the temp folders, and a ~200-byte answer is never buffered to disk
  // (if one were, the error log would say so and the scenario reports its lines).
  const info = buildInfo(binary);
  const port = await freePort();
  const configPath = path.join(dir, 'nginx.conf');
  fs.writeFileSync(configPath, nginxConfig({ dir, port, upstreamPort, workers, configureFlags: info }));
  // -p: prefix for relative paths; -e: the log for errors before the config is read
  // (the compiled-in default may be /var/log/nginx/error.log).
  const args = ['-p', dir, '-c', configPath, '-e', path.join(dir, 'error.log')];
  try {
    execFileSync(binary, ['-t', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`nginx refused its config ${configPath}: ${String(error.stderr ?? error.message).trim()}\n${tailOf(path.join(dir, 'error.log'))}`);
  }
  const child = startChild({ name: `nginx-${workers}w`, command: binary, args, cwd: dir, logFile: path.join(dir, 'stdout.log') });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpOk(`${baseUrl}/ready-check`, { child, timeoutMs: 15_000 });
  } catch (error) {
    await child.stop();
    throw new Error(`${error.message}\nnginx error log:\n${tailOf(path.join(dir, 'error.log'))}`);
  }
  return { child, baseUrl, configPath, errorLog: path.join(dir, 'error.log'), version: /nginx\/(\S+)/.exec(info)?.[1] ?? 'unknown' };
}
