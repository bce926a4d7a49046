import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { PLACEMENT, type Placement } from '../config/placement.js';
import { declaredSubscriptions, integrationEventOf } from '../contracts/integration-event.js';
import { Outbox } from './outbox.js';
import { routeOf, subscriptionsOf, type EventRoute, type Subscription } from './subscriptions.js';

/** What the relay may do with an outbox row: deliver it along its routes, or leave it (its type or version is unknown here). */
export type RowRouting = { known: true; routes: EventRoute[] } | { known: false; reason: string };

/**
 * Who listens to what, across the whole shop, and who publishes and consumes in this
 * process. The routes come from the subscriptions every consumer's contract.ts
 * declares, so a publisher knows its consumers wherever they run; the handlers found
 * among this process's providers are bound to the routes of the modules hosted here.
 * Startup fails if a hosted module declares a subscription it has no handler for, or
 * handles one it does not declare.
 */
@Injectable()
export class EventRoutes implements OnModuleInit {
  private readonly byType = new Map<string, EventRoute[]>();
  private readonly local = new Map<string, Subscription>();
  private readonly publisherModules = new Set<string>();

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(PLACEMENT) private readonly placement: Placement,
  ) {}

  onModuleInit(): void {
    const declared = declaredSubscriptions();
    for (const subscription of declared) {
      const route = routeOf(subscription);
      this.byType.set(route.eventType, [...(this.byType.get(route.eventType) ?? []), route]);
    }
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      if (instance instanceof Outbox) {
        this.publisherModules.add(instance.module);
        continue;
      }
      for (const subscription of subscriptionsOf(instance)) {
        if (this.local.has(subscription.name)) throw new Error(`subscription ${subscription.name} has two handlers`);
        if (!declared.includes(subscription.declared)) {
          throw new Error(`${subscription.name} has a handler but no declaration in a loaded contract.ts`);
        }
        if (!this.placement.hosted.includes(subscription.consumer)) {
          throw new Error(`${subscription.name} has a handler here, but ${subscription.consumer} is not hosted in this process`);
        }
        this.local.set(subscription.name, subscription);
      }
    }
    const unhandled = declared.filter((s) => this.placement.hosted.includes(s.consumer) && !this.local.has(s.name));
    if (unhandled.length) {
      throw new Error(`declared subscriptions without a handler in their module: ${unhandled.map((s) => s.name).join(', ')}`);
    }
  }

  /**
   * The routes of an outbox row. A type no contract declares, or a version other than
   * the declared one, has no known route: such a row is not marked published.
   */
  routesOf(eventType: string, version: number): RowRouting {
    const event = integrationEventOf(eventType);
    if (!event) return { known: false, reason: `no contract declares ${eventType}` };
    if (event.version !== version) {
      return { known: false, reason: `${eventType} v${version} is not the declared version (v${event.version})` };
    }
    return { known: true, routes: (this.byType.get(eventType) ?? []).filter((route) => route.version === version) };
  }

  /** The modules, hosted anywhere, that subscribe to any of these event types. */
  consumersOf(eventTypes: string[]): string[] {
    return [...new Set(eventTypes.flatMap((type) => (this.byType.get(type) ?? []).map((route) => route.consumer)))];
  }

  /** A subscription whose consumer runs here, with its handler. */
  subscription(name: string): Subscription | undefined {
    return this.local.get(name);
  }

  /** Modules hosted here with at least one subscription: each gets its own queue and worker. */
  consumers(): string[] {
    return [...new Set([...this.local.values()].map((s) => s.consumer))];
  }

  publishers(): string[] {
    return [...this.publisherModules];
  }
}
