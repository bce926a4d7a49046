import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `/metrics` for the whole proxy when it runs cluster workers (PROXY_WORKERS > 1). The
 * workers share the admin port, so a scrape reaches one of them at random: alone, each
 * would answer only its own requests. The worker that is asked asks the primary, which
 * gathers every worker's registry with prom-client's AggregatorRegistry (over the
 * cluster's IPC channel) and answers the text of all of them. Each worker's series keep
 * their `worker` label, so nothing is summed across workers by accident; a query sums
 * them (`sum without (worker) (…)`).
 */

const ASK = 'strangler-proxy:cluster-metrics?';
const ANSWER = 'strangler-proxy:cluster-metrics';
/** prom-client gives up on a silent worker after 5 s; the asking worker waits a little longer for the primary's answer. */
const ANSWER_TIMEOUT_MS = 6_000;

interface Asked {
  type: typeof ASK;
  id: number;
}
interface Answered {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary: answers a worker asking for every worker's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<Asked> | undefined) => {
    if (message?.type !== ASK || typeof message.id !== 'number') return;
    const id = message.id;
    const reply = (answer: Omit<Answered, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id, ...answer } satisfies Answered);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: (error as Error).message }),
    );
  });
}

/**
 * In a worker: makes `registry` the one this worker gives the primary's aggregation,
 * and answers how to ask the primary for every worker's metrics.
 */
export function clusterMetricsOf(registry: Registry): () => Promise<string> {
  // Its constructor makes this worker answer the primary's requests for its metrics.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (message: Partial<Answered> | undefined) => {
    if (message?.type !== ANSWER || typeof message.id !== 'number') return;
    const asked = pending.get(message.id);
    if (!asked) return;
    pending.delete(message.id);
    clearTimeout(asked.timer);
    if (typeof message.text === 'string') asked.resolve(message.text);
    else asked.reject(new Error(`the workers' metrics could not be gathered: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer with the workers' metrics within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      pending.set(id, { resolve, reject, timer });
      process.send!({ type: ASK, id } satisfies Asked);
    });
}
