import { request } from 'node:http';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/route-config.js';

/** One instance of an upstream, as the proxy sees it. */
export interface Instance {
  /** Base URL, e.g. `http://10.0.0.7:3101`. */
  readonly url: string;
  /** Consecutive failed requests (refused, reset, timed out); a success resets it. */
  failures: number;
  /** Out of rotation until a health probe answers 2xx. */
  ejected: boolean;
}

/**
 * The instances of one upstream (the monolith, or a route's extracted service):
 * requests are spread over them in turn, and an instance that keeps failing
 * (`ejectAfterFailures` failures in a row) is left out until its health path answers
 * 2xx again. It is probed every `probeIntervalMs` while out; nothing is sent to it
 * meanwhile. Passive detection costs nothing per request; the probe runs only while
 * an instance is out.
 */
export class UpstreamGroup {
  readonly instances: Instance[];
  private next = 0;
  private readonly probes = new Map<Instance, NodeJS.Timeout>();

  constructor(
    readonly name: string,
    private readonly settings: UpstreamConfig,
    private readonly logger: Logger,
  ) {
    this.instances = settings.instances.map((url) => ({ url: url.replace(/\/+$/, ''), failures: 0, ejected: false }));
  }

  /** Same instances and settings: the group (and what it learned of its instances) survives a config reload. */
  sameAs(settings: UpstreamConfig): boolean {
    return JSON.stringify(settings) === JSON.stringify(this.settings);
  }

  /** The next instance in rotation; undefined when every instance is out. */
  pick(): Instance | undefined {
    const count = this.instances.length;
    for (let i = 0; i < count; i++) {
      const instance = this.instances[(this.next + i) % count]!;
      if (!instance.ejected) {
        this.next = (this.next + i + 1) % count;
        return instance;
      }
    }
    return undefined;
  }

  /** True while at least one instance is in rotation. */
  get available(): boolean {
    return this.instances.some((instance) => !instance.ejected);
  }

  succeeded(instance: Instance): void {
    instance.failures = 0;
  }

  /** A request to `instance` got no answer (refused, reset, timed out). */
  failed(instance: Instance): void {
    instance.failures++;
    if (instance.ejected || instance.failures < this.settings.ejectAfterFailures) return;
    instance.ejected = true;
    this.logger.warn({ upstream: this.name, instance: instance.url, failures: instance.failures }, `${this.name}: instance ${instance.url} keeps failing; out of rotation until it answers`);
    this.probe(instance);
  }

  private probe(instance: Instance): void {
    const timer = setTimeout(() => {
      this.probes.delete(instance);
      const probe = request(`${instance.url}${this.settings.healthPath}`, { method: 'GET', timeout: this.settings.probeIntervalMs }, (answer) => {
        answer.resume();
        if (answer.statusCode !== undefined && answer.statusCode >= 200 && answer.statusCode < 300) {
          instance.ejected = false;
          instance.failures = 0;
          this.logger.info({ upstream: this.name, instance: instance.url }, `${this.name}: instance ${instance.url} answers again; back in rotation`);
        } else if (!this.closed) this.probe(instance);
      });
      probe.on('timeout', () => probe.destroy(new Error('probe timed out')));
      probe.on('error', () => {
        if (!this.closed) this.probe(instance);
      });
      probe.end();
    }, this.settings.probeIntervalMs);
    timer.unref();
    this.probes.set(instance, timer);
  }

  private closed = false;

  health(): { url: string; inRotation: boolean; failures: number }[] {
    return this.instances.map((instance) => ({ url: instance.url, inRotation: !instance.ejected, failures: instance.failures }));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.probes.values()) clearTimeout(timer);
    this.probes.clear();
  }
}
