// A real OpenID Connect provider for the sign-in tests (tests/oidc/provider.py starts it).
//
// node provider.mjs <port> <config.json>; config: {issuer, clients: [...], accounts: {login: claims}}.
// Its development sign-in page accepts any password for the logins in `accounts`; an unknown login
// is refused. It prints "ready" once it listens.
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  // RS256 with the provider's own development key; HS256 with the client's secret.
  enabledJWA: { idTokenSigningAlgValues: config.algorithms },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) throw new errors.AccessDenied(`no account ${id}`);
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // The claims go into the id token as well as the userinfo answer.
  conformIdTokenClaims: false,
  pkce: { required: () => false },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log('ready');
});
