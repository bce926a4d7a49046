// The image's HEALTHCHECK: the process this container runs (found among its processes:
// the gateway, dist/strangler-proxy/main.js, or the shop, dist/start.js) answers 200 on
// its health endpoint: the gateway's admin /health (PROXY_ADMIN_PORT), the shop's
// /health/ready (PORT). Only that one is asked, so a neighbour answering on the other
// port (host networking) cannot make this container look healthy. Plain JavaScript: it
// runs without a build.
import { readdirSync, readFileSync } from 'node:fs';

function runs(entry) {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.endsWith(entry))) return true;
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return false;
}

const url = runs('dist/strangler-proxy/main.js')
  ? `http://127.0.0.1:${process.env.PROXY_ADMIN_PORT || 8081}/health`
  : runs('dist/start.js')
    ? `http://127.0.0.1:${process.env.PORT || 3000}/health/ready`
    : undefined;
if (!url) process.exit(1);
try {
  const answer = await fetch(url, { signal: AbortSignal.timeout(2_500) });
  process.exit(answer.ok ? 0 : 1);
} catch {
  process.exit(1);
}
