import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { KUBERNETES_DIR, OVERLAYS, problemsAgainstCode, render, schemaProblems, type Manifest } from './kubernetes-manifests.js';

const clone = <T>(value: T): T => structuredClone(value);
const deployment = (objects: Manifest[], name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;

/**
 * deploy/kubernetes/: every overlay renders with kustomize, validates against the
 * Kubernetes API schemas, and agrees with the code (kubernetes-manifests.ts).
 */
describe('the Kubernetes manifests', () => {
  it('should have at least the two placements: everything in the monolith, and payments plus inventory extracted', () => {
    expect(OVERLAYS).toEqual(expect.arrayContaining(['monolith', 'payments-inventory']));
  });

  it.each(OVERLAYS)('should render overlay %s into objects the Kubernetes API schemas accept, that agree with the code', (overlay) => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(0);
    expect(schemaProblems(objects)).toEqual([]);
    expect(problemsAgainstCode(objects)).toEqual([]);
  });

  it('should offer a Deployment and Service for every module the shop has, and for no other', () => {
    expect(readdirSync(path.join(KUBERNETES_DIR, 'modules')).sort()).toEqual([...MONOLITH_MODULES].sort());
  });

  it('should fail an overlay that names a port, a health path or a variable the code does not have', () => {
    const objects = render('payments-inventory');
    const wrongPort = clone(objects);
    deployment(wrongPort, 'shop-payments').spec.template.spec.containers[0].ports[0].containerPort = 3001;
    expect(problemsAgainstCode(wrongPort)).toEqual(expect.arrayContaining([expect.stringMatching(/shop-payments: container port "http" is 3001, but the process listens on 3000/)]));

    const wrongPath = clone(objects);
    deployment(wrongPath, 'shop-monolith').spec.template.spec.containers[0].readinessProbe.httpGet.path = '/healthz';
    expect(problemsAgainstCode(wrongPath)).toEqual([expect.stringMatching(/shop-monolith: readinessProbe asks \/healthz, which the shop does not answer/)]);

    const wrongVariable = clone(objects);
    deployment(wrongVariable, 'shop-inventory').spec.template.spec.containers[0].env.push({ name: 'DATABSE_URL', value: 'postgres://x' });
    deployment(wrongVariable, 'shop-gateway').spec.template.spec.containers[0].env.push({ name: 'PROXY_WORKER', value: '2' });
    expect(problemsAgainstCode(wrongVariable).sort()).toEqual([
      'shop-gateway: sets PROXY_WORKER, which the gateway does not read',
      'shop-inventory: sets DATABSE_URL, which the shop does not read',
    ]);

    const notExtracted = clone(objects);
    const config = notExtracted.find((o) => o.kind === 'ConfigMap' && String(o.metadata.name).startsWith('shop-config'))!;
    config.data.EXTRACTED_MODULES = 'payments';
    expect(problemsAgainstCode(notExtracted)).toEqual(expect.arrayContaining([expect.stringMatching(/EXTRACTED_MODULES says payments, but the services running are/)]));
  });

  it('should refuse an object the Kubernetes API schemas refuse', () => {
    const objects = clone(render('monolith'));
    deployment(objects, 'shop-monolith').spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(schemaProblems(objects)).toEqual([expect.stringMatching(/apps\/v1 Deployment shop-monolith: .*containerPort must be integer/)]);
  });
});
