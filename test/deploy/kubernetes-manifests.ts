import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { configurationVariables } from '../../src/platform/config/app-config.js';
import { placementVariables } from '../../src/platform/config/placement.js';
import { HealthController } from '../../src/platform/health/health.controller.js';
import { parseGatewayConfig } from '../../strangler-proxy/src/config/route-config.js';
import { gatewayVariables } from '../../strangler-proxy/src/gateway-settings.js';

/**
 * What test/deploy/kubernetes.spec.ts checks of deploy/kubernetes/: each overlay
 * rendered by kustomize, every object validated against the
 * Kubernetes API schemas (kubernetes-models), and the manifests held against the code:
 * the modules, processes, ports, health paths and variable names it has.
 */

export const KUBERNETES_DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
export const OVERLAYS = readdirSync(path.join(KUBERNETES_DIR, 'overlays'));

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Manifest = Record<string, any>;

/**
 * The objects of an overlay, as `kubectl kustomize` renders them (kubectl on PATH, or
 * KUBECTL; the manifests are written for every kubectl from 1.20, Debian's
 * kubernetes-client, on).
 */
export function render(overlay: string): Manifest[] {
  const kubectl = process.env.KUBECTL || 'kubectl';
  const rendered = spawnSync(kubectl, ['kustomize', path.join(KUBERNETES_DIR, 'overlays', overlay)], { encoding: 'utf8' });
  if (rendered.error) {
    throw new Error(`kubectl renders the Kubernetes overlays, and ${kubectl} could not run (Debian: apt-get install kubernetes-client): ${rendered.error.message}`);
  }
  if (rendered.status !== 0) throw new Error(`${kubectl} kustomize ${overlay} failed:\n${rendered.stderr}`);
  return parseAllDocuments(rendered.stdout).map((document) => document.toJSON() as Manifest);
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
};

/** Schema problems of each object (kubernetes-models' validation against the API's OpenAPI schemas). */
export function schemaProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const kind = `${object.apiVersion} ${object.kind}`;
    const Model = MODELS[kind];
    if (!Model) {
      problems.push(`${object.metadata?.name}: no schema here for ${kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${kind} ${object.metadata?.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** The paths the shop's health controller answers (`/health/live`, `/health/ready`). */
function shopHealthPaths(): string[] {
  const base = Reflect.getMetadata(PATH_METADATA, HealthController) as string;
  return Object.getOwnPropertyNames(HealthController.prototype)
    .map((name) => Reflect.getMetadata(PATH_METADATA, (HealthController.prototype as any)[name]) as string | undefined)
    .filter((route): route is string => typeof route === 'string')
    .map((route) => `/${base}/${route}`);
}

/** The gateway's admin API answers its probes here (strangler-proxy/src/admin/admin-api.ts). */
const GATEWAY_HEALTH_PATH = '/health';

const defaults = (variables: { name: string; default: unknown }[]) => new Map(variables.map((v) => [v.name, v.default]));

/** A variable the shop reads: the schema's, the placement's, SERVICE_URL_<MODULE> and REMOTE_…_<MODULE> of a real module. */
function shopReads(name: string): boolean {
  const known = new Set([...configurationVariables(), ...placementVariables()].map((v) => v.name));
  if (known.has(name)) return true;
  const modules = MONOLITH_MODULES.map((m) => m.toUpperCase());
  const service = /^SERVICE_URL_([A-Z]+)$/.exec(name);
  if (service) return modules.includes(service[1]!);
  const remote = /^(REMOTE_[A-Z_]+)_([A-Z]+)$/.exec(name);
  return remote !== null && known.has(remote[1]!) && (modules.includes(remote[2]!) || remote[2] === 'MONOLITH');
}

/** A container's environment: its `env` (literal values; undefined for a secret's) and the ConfigMaps it takes whole. */
function environmentOf(container: Manifest, objects: Manifest[], problems: string[] = []): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const from of container.envFrom ?? []) {
    const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
    if (!map) problems.push(`${container.name}: takes its environment from ConfigMap ${from.configMapRef?.name}, which this overlay does not have`);
    for (const [key, value] of Object.entries(map?.data ?? {})) env.set(key, value as string);
  }
  for (const entry of container.env ?? []) env.set(entry.name, entry.value);
  return env;
}

const podLabelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

/** What in an overlay's objects the code does not have, or does not agree with; empty when all is well. */
export function problemsAgainstCode(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const services = objects.filter((o) => o.kind === 'Service');
  const shopDefaults = defaults([...configurationVariables(), ...placementVariables()]);
  const gatewayDefaults = defaults(gatewayVariables());
  const processes = new Map<string, { deployment: string; env: Map<string, string | undefined> }>();

  for (const deployment of deployments) {
    const name = deployment.metadata.name as string;
    const pod = deployment.spec.template.spec;
    for (const container of pod.containers as Manifest[]) {
      const process_ = (container.args?.[0] ?? 'monolith') as string;
      const isGateway = process_ === 'gateway';
      if (!isGateway && process_ !== 'monolith' && !MONOLITH_MODULES.includes(process_ as never)) {
        problems.push(`${name}: runs "${process_}", which is neither monolith, gateway nor a module (${MONOLITH_MODULES.join(', ')})`);
        continue;
      }
      const env = environmentOf(container, objects, problems);
      if (processes.has(process_)) problems.push(`${name}: runs ${process_}, as ${processes.get(process_)!.deployment} does already`);
      processes.set(process_, { deployment: name, env });
      for (const variable of env.keys()) {
        const read = isGateway ? gatewayDefaults.has(variable) : shopReads(variable);
        if (!read) problems.push(`${name}: sets ${variable}, which the ${isGateway ? 'gateway' : 'shop'} does not read`);
      }
      const valueOf = (variable: string, known: Map<string, unknown>) => env.get(variable) ?? String(known.get(variable));
      const expectedPorts = isGateway
        ? { http: Number(valueOf('PROXY_PORT', gatewayDefaults)), admin: Number(valueOf('PROXY_ADMIN_PORT', gatewayDefaults)) }
        : { http: Number(valueOf('PORT', shopDefaults)) };
      const ports = new Map<string, number>((container.ports ?? []).map((p: Manifest) => [p.name, p.containerPort]));
      for (const [portName, number] of Object.entries(expectedPorts)) {
        if (ports.get(portName) !== number) problems.push(`${name}: container port "${portName}" is ${ports.get(portName)}, but the process listens on ${number}`);
      }
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const get = container[probe]?.httpGet;
        if (!get) {
          if (probe !== 'startupProbe') problems.push(`${name}: no ${probe}`);
          continue;
        }
        const paths = isGateway ? [GATEWAY_HEALTH_PATH] : shopHealthPaths();
        if (!paths.includes(get.path)) problems.push(`${name}: ${probe} asks ${get.path}, which the ${isGateway ? "gateway's admin port" : 'shop'} does not answer (${paths.join(', ')})`);
        const port = typeof get.port === 'number' ? get.port : ports.get(get.port);
        const probed = isGateway ? expectedPorts.admin : expectedPorts.http;
        if (port !== probed) problems.push(`${name}: ${probe} goes to port ${get.port}, not to ${probed} where it answers`);
      }
      // The gateway's deadline is its main.ts's SHUTDOWN_DEADLINE_MS (10 s, not configurable).
      const deadlineMs = isGateway ? 10_000 : Number(valueOf('SHUTDOWN_DEADLINE_MS', shopDefaults));
      const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
      const pauseMs = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1_000 : 0;
      if (!((pod.terminationGracePeriodSeconds ?? 30) * 1_000 > pauseMs + deadlineMs)) {
        problems.push(`${name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} does not cover the preStop pause and the shutdown deadline (${pauseMs} + ${deadlineMs} ms)`);
      }
      if (isGateway) {
        // STRANGLER_ROUTES must be the routes.json of a mounted ConfigMap.
        const routesPath = env.get('STRANGLER_ROUTES') ?? String(gatewayDefaults.get('STRANGLER_ROUTES'));
        const mount = (container.volumeMounts ?? []).find((m: Manifest) => routesPath === `${m.mountPath}/routes.json`);
        const volume = mount && (pod.volumes as Manifest[]).find((v) => v.name === mount.name);
        const map = volume?.configMap && objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
        if (!map?.data?.['routes.json']) problems.push(`${name}: STRANGLER_ROUTES=${routesPath} is no routes.json of a ConfigMap mounted in the pod`);
      }
      if (!container.resources?.requests || !container.resources?.limits) problems.push(`${name}: resource requests and limits are required`);
    }
  }

  for (const service of services) {
    const target = deployments.find((d) => podLabelsMatch(service.spec.selector, d.spec.template.metadata.labels));
    if (!target) {
      problems.push(`Service ${service.metadata.name}: its selector matches no Deployment`);
      continue;
    }
    const names = new Set((target.spec.template.spec.containers as Manifest[]).flatMap((c) => (c.ports ?? []).map((p: Manifest) => p.name)));
    for (const port of service.spec.ports) if (!names.has(port.targetPort)) problems.push(`Service ${service.metadata.name}: targetPort ${port.targetPort} is no port of ${target.metadata.name}`);
  }
  for (const budget of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    if (!deployments.some((d) => podLabelsMatch(budget.spec.selector.matchLabels, d.spec.template.metadata.labels))) {
      problems.push(`PodDisruptionBudget ${budget.metadata.name}: its selector matches no Deployment`);
    }
  }
  for (const deployment of deployments) {
    if ((deployment.spec.replicas ?? 1) > 1 && !objects.some((o) => o.kind === 'PodDisruptionBudget' && podLabelsMatch(o.spec.selector.matchLabels, deployment.spec.template.metadata.labels))) {
      problems.push(`${deployment.metadata.name}: no PodDisruptionBudget`);
    }
  }

  // The placement: what the processes are told is extracted, what runs as its own service,
  // where they call it, and what the gateway routes, agree.
  const monolith = processes.get('monolith');
  if (!monolith) problems.push('no monolith Deployment');
  const extracted = (monolith?.env.get('EXTRACTED_MODULES') ?? '').split(',').filter(Boolean);
  const running = [...processes.keys()].filter((p) => p !== 'monolith' && p !== 'gateway');
  if ([...extracted].sort().join() !== [...running].sort().join()) {
    problems.push(`EXTRACTED_MODULES says ${extracted.join(',') || 'none'}, but the services running are ${running.join(',') || 'none'}`);
  }
  const urlOfService = (url: string | undefined) => {
    const parsed = url ? new URL(url) : undefined;
    const service = services.find((s) => s.metadata.name === parsed?.hostname);
    return service && service.spec.ports.some((p: Manifest) => String(p.port) === (parsed!.port || '80')) ? service : undefined;
  };
  for (const [name, { env }] of processes) {
    if (name === 'gateway') {
      if (!urlOfService(env.get('MONOLITH_URL'))) problems.push(`gateway: MONOLITH_URL=${env.get('MONOLITH_URL')} is no Service of this overlay`);
      continue;
    }
    for (const module of extracted) {
      const variable = `SERVICE_URL_${module.toUpperCase()}`;
      if (!urlOfService(env.get(variable))) problems.push(`${processes.get(name)!.deployment}: ${variable}=${env.get(variable)} is no Service of this overlay`);
    }
    if (name !== 'monolith' && !urlOfService(env.get('MONOLITH_URL'))) problems.push(`${name}: MONOLITH_URL=${env.get('MONOLITH_URL')} is no Service of this overlay`);
  }
  const gateway = deployments.find((d) => d.spec.template.spec.containers.some((c: Manifest) => c.args?.[0] === 'gateway'));
  if (!gateway) problems.push('no gateway Deployment');
  else {
    const volumes = gateway.spec.template.spec.volumes as Manifest[];
    const routesMap = objects.find((o) => o.kind === 'ConfigMap' && volumes.some((v) => v.configMap?.name === o.metadata.name));
    const parsed = parseGatewayConfig(routesMap?.data?.['routes.json'] ?? '');
    if (!parsed.ok) problems.push(`the gateway's routes.json: ${parsed.problems.join('; ')}`);
    else {
      const routed = parsed.config.routes.map((route) => route.module).filter(Boolean);
      if ([...routed].sort().join() !== [...extracted].sort().join()) problems.push(`the gateway routes ${routed.join(',') || 'no module'}, but ${extracted.join(',') || 'none'} is extracted`);
      for (const url of [...(parsed.config.monolith?.instances ?? []), ...parsed.config.routes.flatMap((r) => r.target.instances)]) {
        if (!urlOfService(url)) problems.push(`the gateway's routes name ${url}, which is no Service of this overlay`);
      }
    }
  }
  return problems;
}
