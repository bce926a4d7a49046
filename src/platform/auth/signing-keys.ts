import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
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
    try {
      // 'wx': if another process wrote the file first, use its key instead of ours.
      writeFileSync(file, JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' });
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    }
  }
  const privateKey = (await importJWK(privateJwk, TOKEN_ALGORITHM)) as CryptoKey;
  const { d: _secret, ...publicJwk } = privateJwk;
  return withPublicJwk(privateKey, publicJwk, config.jwt.keyId);
}

async function withPublicJwk(privateKey: CryptoKey, jwk: JWK, configuredKid?: string): Promise<SigningKeys> {
  const kid = configuredKid ?? (await calculateJwkThumbprint(jwk));
  return { kid, privateKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: TOKEN_ALGORITHM, use: 'sig' } };
}

export const SIGNING_KEYS = Symbol('SIGNING_KEYS');
