// A real OpenID provider (panva's certified `oidc-provider`) on loopback, for netcourt's eID
// tests only. It is configured from the environment:
//
//   EID_PORT             port to listen on, on 127.0.0.1 (required)
//   EID_REDIRECT_URIS    the client's redirect URIs, comma-separated (required)
//   EID_CLIENT_ID        default "netcourt"
//   EID_CLIENT_SECRET    default "netcourt-eid-test-secret"
//   EID_AUTH_METHOD      client_secret_basic (default) or client_secret_post
//   EID_ID_TOKEN_ALG     RS256 (default) or ES256
//   EID_ACCOUNTS         JSON object: account id -> its claims (name, document_number, ...)
//
// Sign-in uses oidc-provider's development interactions: a form that takes any account id
// from EID_ACCOUNTS (the password is not checked), then a consent form; "[ Cancel ]" ends the
// request with error=access_denied. PKCE is required. Keys are made afresh at every start.
// It prints "ready <issuer>" once it listens, and stops on SIGTERM or when its standard input
// closes: started with a pipe there, it never outlives the test run that started it.

import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import process from 'node:process';

import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

function signingKey(type, options, alg) {
  // Generated as PEM and read back: exporting the generated KeyObject itself to a JWK can
  // deadlock on Node.js 20 (a garbage collection during the export locks the same key).
  const { privateKey } = generateKeyPairSync(type, {
    ...options,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const jwk = createPrivateKey(privateKey).export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg}-${randomBytes(6).toString('hex')}` };
}

const port = Number(required('EID_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.EID_ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.EID_CLIENT_ID || 'netcourt',
      client_secret: process.env.EID_CLIENT_SECRET || 'netcourt-eid-test-secret',
      redirect_uris: required('EID_REDIRECT_URIS').split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: process.env.EID_AUTH_METHOD || 'client_secret_basic',
      id_token_signed_response_alg: process.env.EID_ID_TOKEN_ALG || 'RS256',
    },
  ],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    eid: ['document_kind', 'document_number'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    if (!Object.hasOwn(accounts, id)) {
      return undefined;
    }
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
