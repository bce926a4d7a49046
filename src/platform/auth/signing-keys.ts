import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { AppConfig } from '../config/app-config.js';

/** Access tokens are signed with Ed25519 (JWS `EdDSA`) and verified with that algorithm only. */
export const TOKEN_ALGORITHM = 'EdDSA';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The public half as a JWK, with `kid`, `alg` and `use`: what the JWKS publishes. */
  publicJwk: JWK;
}

const KEY_FILE = 'jwt-signing-key.json';

/**
 * The key pair comes from configuration (PEM) when given. Otherwise one is made on
 * first start and kept in the data folder, so tokens survive restarts. Several
 * instances must share configured keys: each generated key is private to its folder.
 */
export async function loadSigningKeys(config: AppConfig): Promise<SigningKeys> {
  if (config.jwt.privateKeyPem && config.jwt.publicKeyPem) {
    const privateKey = await importPKCS8(config.jwt.privateKeyPem, TOKEN_ALGORITHM, { extractable: false });
    const publicKey = await importSPKI(config.jwt.publicKeyPem, TOKEN_ALGORITHM, { extractable: true });
    return withPublicJwk(privateKey, await exportJWK(publicKey), config.jwt.keyId);
  }
  const folder = path.resolve(config.dataDir, 'keys');
  const file = path.join(folder, KEY_FILE);
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const pair = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // Written whole to a private temporary file, then linked into place: a crash never
    // leaves a half-written key, and if another process linked first we use its key.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(privateJwk), { mode: 0o600 });
    try {
      linkSync(temporary, file);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    } finally {
      unlinkSync(temporary);
    }
  }
  const privateKey = (await importJWK(privateJwk, TOKEN_ALGORITHM)) as CryptoKey;
  const { d: _secret, ...publicJwk } = privateJwk;
  return withPublicJwk(privateKey, publicJwk, config.jwt.keyId);
}

async function withPublicJwk(privateKey: CryptoKey, jwk: JWK, configuredKid?: string): Promise<SigningKeys> {
  // A private and public key that do not belong together would issue tokens nobody
  // accepts: refuse to start instead.
  const probe = await new CompactSign(new TextEncoder().encode('key-pair-check'))
    .setProtectedHeader({ alg: TOKEN_ALGORITHM })
    .sign(privateKey);
  await compactVerify(probe, await importJWK(jwk, TOKEN_ALGORITHM)).catch(() => {
    throw new Error('JWT_PRIVATE_KEY and JWT_PUBLIC_KEY are not one key pair');
  });
  const kid = configuredKid ?? (await calculateJwkThumbprint(jwk));
  return { kid, privateKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: TOKEN_ALGORITHM, use: 'sig' } };
}

/** Injection token of the full key pair: provided to identity only. */
export const SIGNING_KEYS = Symbol('SIGNING_KEYS');
/** Injection token of the public JWK: what every verifier needs. */
export const PUBLIC_SIGNING_KEY = Symbol('PUBLIC_SIGNING_KEY');
