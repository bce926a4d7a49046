import http from 'node:http';

/** A JSON request for setup steps (seeding, sanity checks), not for load. */
export async function requestJson(method, url, { body, token, expect } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (expect !== undefined && res.status !== expect) {
    throw new Error(`${method} ${url} answered ${res.status}, expected ${expect}: ${text.slice(0, 500)}`);
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Runs `work(item)` over `items` with at most `limit` at a time; results keep input order. */
export async function mapLimit(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * A lean JSON POST for load: node:http on a keep-alive agent. On a 2-core box the load
 * generator shares the CPUs with the server under test, and `fetch` (undici) costs
 * the client about twice the CPU per request; what the client saves, the server gets.
 */
export function keepAliveAgent(connections) {
  return new http.Agent({ keepAlive: true, maxSockets: connections });
}

export function postJson(agent, url, headers, body, timeoutMs = 30_000) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // A request that never answers fails its lane instead of hanging the bench.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`POST ${url} had no answer in ${timeoutMs} ms`)));
    req.end(payload);
  });
}
