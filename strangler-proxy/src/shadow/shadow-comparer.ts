import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { RouteConfig } from '../config/route-config.js';
import { answerDifferences, type ComparableAnswer, comparableAnswer } from './answer-differences.js';
import { decodedBody } from './decoded-body.js';
import { type Difference, ignoreRulesFor } from './json-differences.js';
import { LearnedNoise } from './learned-noise.js';
import { MismatchSamples } from './mismatch-samples.js';
import { type MirrorOutcome, sendMirror } from './mirror-request.js';
import { NoiseSampler } from './noise-sampler.js';
import type { MirroredRequest, PrimaryAnswer, ShadowOutcome, ShadowStats, ShadowTargets } from './shadow-types.js';

export type { MirroredRequest, MismatchSample, PrimaryAnswer, ShadowOutcome, ShadowStats, ShadowTargets } from './shadow-types.js';
export { differencesBetween, type IgnoreRules, ignoreRulesFor } from './json-differences.js';

type ShadowSettings = RouteConfig['shadow'];

export interface ShadowComparerOptions {
  /** Comparisons running at once; beyond, a read is counted as skipped. */
  maxInFlight?: number;
  /** Each comparison is over within this: a mirror still unanswered is an error, a monolith answer still unread is skipped. */
  timeoutMs?: number;
  /** Told what became of each compare call (metrics). Must not throw. */
  onOutcome?: (outcome: ShadowOutcome) => void;
}

/** Learned noise kept per route. */
const NOISE_CAPACITY = 256;
/** Difference paths kept in one sample and one log line. */
const SAMPLE_DIFFERENCES = 32;

// Why an operation's signal was aborted.
const TIMED_OUT = 'timed out';
const CLOSED = 'closed';
const FINISHED = 'finished';

const ignoreRejection = (): void => {};

/**
 * Shadow mode for one route: mirrors the monolith's safe reads to the extracted service and
 * compares the answers, learning noise the way Diffy does. The client is answered by the
 * monolith whatever happens here: `compare` returns at once and never throws, and the work
 * runs in the background, bounded in count (maxInFlight), time (timeoutMs) and memory
 * (maxBodyBytes per answer).
 *
 * Noise: for a share `noiseSampleRate` of mirrored reads (always the first), the read is
 * sent to the monolith a second time. Paths where the two monolith answers differ are noise
 * for the route from then on; and the extracted answer of that read is judged only after,
 * with any difference it shares with the monolith's own leaving it out too. So a field that
 * changes on every call never counts, not even on the first request.
 */
export class ShadowComparer {
  private settings: ShadowSettings;
  private readonly agent: Agent;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly onOutcome: ((outcome: ShadowOutcome) => void) | undefined;
  private readonly operations = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private closing: Promise<void> | undefined;

  private compared = 0;
  private matched = 0;
  private mismatched = 0;
  private skipped = 0;
  private errors = 0;
  /** Consecutive failed mirrors: only the first of a run is logged as a warning. */
  private failingInARow = 0;
  private noiseFullLogged = false;

  private readonly noise = new LearnedNoise(NOISE_CAPACITY);
  private rules: ReturnType<typeof ignoreRulesFor>;
  private readonly samples: MismatchSamples;
  private readonly sampler: NoiseSampler;

  constructor(
    private readonly routeName: string,
    settings: ShadowSettings,
    private readonly targets: ShadowTargets,
    private readonly logger: Logger,
    options: ShadowComparerOptions = {},
  ) {
    this.settings = settings;
    this.maxInFlight = options.maxInFlight ?? 32;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.onOutcome = options.onOutcome;
    // A pool of our own: mirrors never queue behind, or hold sockets of, the client traffic.
    this.agent = new Agent({ connections: this.maxInFlight, keepAliveTimeout: 10_000 });
    this.rules = ignoreRulesFor(settings.ignoreFields);
    this.samples = new MismatchSamples(settings.maxSamples);
    this.sampler = new NoiseSampler(settings.noiseSampleRate);
  }

  /** Fire and forget. `primary` resolves when the monolith's answer has been read (it may reject: then nothing is compared). */
  compare(request: MirroredRequest, primary: Promise<PrimaryAnswer>): void {
    try {
      if (this.closed || this.operations.size >= this.maxInFlight) return this.skip(primary);
      const extracted = this.targets.extracted();
      if (extracted === undefined) return this.skip(primary);
      const monolith = this.sampler.take() ? this.targets.monolith() : undefined;
      const operation = new AbortController();
      this.operations.add(operation);
      // Listened to now: a primary that has already failed must not become an unhandled rejection.
      const answer = settledWithin(primary, operation.signal);
      // Sent after the current turn of the event loop: the client's own request goes first.
      setImmediate(() => void this.run(operation, request, answer, extracted, monolith));
    } catch (error) {
      // A throwing target picker is the core's bug; it must still not fail the client's answer.
      this.logger.error({ route: this.routeName, err: error }, 'shadow comparison not started');
      primary.then(undefined, ignoreRejection);
    }
  }

  updateSettings(settings: ShadowSettings): void {
    this.settings = settings;
    this.rules = ignoreRulesFor(settings.ignoreFields, this.noise.values());
    this.samples.resize(settings.maxSamples);
    this.sampler.setRate(settings.noiseSampleRate);
  }

  stats(): ShadowStats {
    return {
      compared: this.compared,
      matched: this.matched,
      mismatched: this.mismatched,
      skipped: this.skipped,
      errors: this.errors,
      noise: this.noise.list(),
      samples: this.samples.list(),
    };
  }

  /** Resolves once no mirror is in flight (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.operations.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops every comparison under way (uncounted) and closes the mirrors' connections. Safe to call again. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    for (const operation of this.operations) operation.abort(CLOSED);
    await this.idle();
    await this.agent.close();
  }

  /** One comparison, from sending the mirrors to counting what came of them. Never rejects. */
  private async run(operation: AbortController, request: MirroredRequest, primary: Promise<PrimaryAnswer | undefined>, extracted: string, monolith: string | undefined): Promise<void> {
    const timer = setTimeout(abortOperation, this.timeoutMs, operation, TIMED_OUT);
    timer.unref();
    const maxBytes = this.settings.maxBodyBytes;
    let candidate: Promise<MirrorOutcome> | undefined;
    let secondary: Promise<MirrorOutcome> | undefined;
    try {
      if (operation.signal.aborted) return; // closed before it started
      candidate = sendMirror(this.agent, extracted, request, maxBytes, operation.signal);
      if (monolith !== undefined) secondary = sendMirror(this.agent, monolith, request, maxBytes, operation.signal);

      const answer = await primary;
      if (answer === undefined || answer.body === undefined) {
        // Rejected, too large, or not read in time: nothing to compare against.
        if (!this.closed) this.count('skipped');
        return;
      }
      const [candidateOutcome, secondaryOutcome] = await Promise.all([candidate, secondary]);
      if (this.closed) return;
      const primaryBody = await decodedBody(answer.headers, answer.body, maxBytes);
      if (primaryBody === undefined) return this.count('skipped');
      const primaryAnswer = comparableAnswer(answer.status, answer.headers, primaryBody);

      // Learn from the monolith's second answer whatever became of the extracted one.
      let requestNoise: Set<string> | undefined;
      if (secondaryOutcome?.kind === 'answer') {
        const secondaryBody = await decodedBody(secondaryOutcome.headers, secondaryOutcome.body, maxBytes);
        if (secondaryBody !== undefined) requestNoise = this.learnFrom(primaryAnswer, comparableAnswer(secondaryOutcome.status, secondaryOutcome.headers, secondaryBody));
      } else if (secondaryOutcome !== undefined) {
        this.logger.debug({ route: this.routeName, outcome: secondaryOutcome.kind }, 'shadow noise sample not taken: the second monolith call gave no answer');
      }

      switch (candidateOutcome.kind) {
        case 'too-large':
          return this.count('skipped');
        case 'failed':
          return this.mirrorFailed(request, candidateOutcome.error.message, (candidateOutcome.error as { code?: string }).code);
        case 'aborted':
          if (candidateOutcome.reason === TIMED_OUT) return this.mirrorFailed(request, `no answer within ${this.timeoutMs} ms`, 'TIMEOUT');
          return;
        case 'answer': {
          this.failingInARow = 0;
          const candidateBody = await decodedBody(candidateOutcome.headers, candidateOutcome.body, maxBytes);
          if (candidateBody === undefined) return this.count('skipped');
          this.judge(request, primaryAnswer, comparableAnswer(candidateOutcome.status, candidateOutcome.headers, candidateBody), requestNoise);
        }
      }
    } catch (error) {
      // A bug of ours: logged, never thrown at the core.
      this.logger.error({ route: this.routeName, err: error }, 'shadow comparison failed');
    } finally {
      clearTimeout(timer);
      // Releases a mirror still running because the comparison ended early (skipped, closed).
      operation.abort(FINISHED);
      await Promise.all([candidate, secondary]);
      this.operations.delete(operation);
      if (this.operations.size === 0) this.wakeIdleWaiters();
    }
  }

  /**
   * Learns noise from two answers of the monolith to one read. Answers the patterns where
   * they differ (this read's own noise, the status included), or undefined if they agree.
   */
  private learnFrom(primary: ComparableAnswer, secondary: ComparableAnswer): Set<string> | undefined {
    const differences: Difference[] = [];
    answerDifferences(primary, secondary, this.rules, differences);
    if (differences.length === 0) return undefined;
    const patterns = new Set(differences.map((difference) => difference.pattern));
    if (primary.status === secondary.status) {
      const { added, full } = this.noise.learn(patterns);
      for (const pattern of added) this.rules.paths.add(pattern);
      if (added.length > 0) this.logger.info({ route: this.routeName, noise: added }, 'shadow learned noise');
      if (full && !this.noiseFullLogged) {
        this.noiseFullLogged = true;
        this.logger.warn({ route: this.routeName, capacity: NOISE_CAPACITY }, 'shadow noise is full: further noisy fields are left out per request only');
      }
    }
    return patterns;
  }

  private judge(request: MirroredRequest, primary: ComparableAnswer, candidate: ComparableAnswer, requestNoise: Set<string> | undefined): void {
    const found: Difference[] = [];
    answerDifferences(primary, candidate, this.rules, found);
    const differences = requestNoise === undefined ? found : found.filter((difference) => !isUnder(difference.pattern, requestNoise));
    if (differences.length === 0) return this.count('matched');
    this.count('mismatched');
    const paths = differences.slice(0, SAMPLE_DIFFERENCES).map((difference) => difference.path);
    const path = pathOf(request.url);
    this.samples.add({ at: new Date().toISOString(), method: request.method, url: path, monolith: { status: primary.status }, extracted: { status: candidate.status }, differences: paths });
    this.logger.info(
      { route: this.routeName, method: request.method, path, monolithStatus: primary.status, extractedStatus: candidate.status, differences: paths },
      'shadow mismatch',
    );
  }

  private mirrorFailed(request: MirroredRequest, reason: string, code: string | undefined): void {
    this.count('error');
    this.failingInARow += 1;
    // One warning per run of failures: a service that is down must not flood the log.
    const level = this.failingInARow === 1 ? 'warn' : 'debug';
    this.logger[level]({ route: this.routeName, method: request.method, path: pathOf(request.url), code, reason }, 'shadow mirror failed');
  }

  private skip(primary: Promise<PrimaryAnswer>): void {
    // Nobody else may be listening: a rejection must not become an unhandled one.
    primary.then(undefined, ignoreRejection);
    this.count('skipped');
  }

  private count(outcome: ShadowOutcome): void {
    if (outcome === 'matched') {
      this.compared += 1;
      this.matched += 1;
    } else if (outcome === 'mismatched') {
      this.compared += 1;
      this.mismatched += 1;
    } else if (outcome === 'skipped') this.skipped += 1;
    else this.errors += 1;
    if (this.onOutcome === undefined) return;
    try {
      this.onOutcome(outcome);
    } catch (error) {
      this.logger.error({ route: this.routeName, err: error }, 'shadow outcome listener failed');
    }
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function abortOperation(operation: AbortController, reason: string): void {
  operation.abort(reason);
}

/** The monolith's answer, or undefined if it rejects or the operation ends first. */
function settledWithin(primary: Promise<PrimaryAnswer>, signal: AbortSignal): Promise<PrimaryAnswer | undefined> {
  if (signal.aborted) {
    primary.then(undefined, ignoreRejection);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    primary.then(
      (answer) => {
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(undefined);
      },
    );
  });
}

/** Whether `pattern` is one of `patterns` or lies below one (`body.a.b` under `body.a`). */
function isUnder(pattern: string, patterns: ReadonlySet<string>): boolean {
  if (patterns.has(pattern)) return true;
  for (let end = pattern.lastIndexOf('.'); end > 0; end = pattern.lastIndexOf('.', end - 1)) {
    if (patterns.has(pattern.slice(0, end))) return true;
  }
  return false;
}

/** The path without its query string, which may hold secrets. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
