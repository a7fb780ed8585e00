/**
 * A fake LMS for the LTI tests, written from the 1EdTech specifications (LTI Core 1.3 with the
 * Security Framework 1.0, Deep Linking 2.0, Assignment and Grade Services 2.0, NRPS 2.0), not
 * from the runner's code: its own RS256 key and JWKS, an OIDC auth endpoint that answers the
 * tool's login redirect with a form_post of the id_token, a client-credentials token endpoint
 * that verifies the tool's signed assertion against the tool's JWKS, line items whose
 * `/scores` endpoint records what it receives, a membership (NRPS) endpoint and a deep-linking
 * return endpoint that verifies the tool's response. Loopback only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';

export const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
export const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
export const NRPS_CLAIM = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
export const DL_CLAIM = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
export const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';
export const INSTRUCTOR = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor';
const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const SCOPE_SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

export interface ReceivedScore {
  lineitem: string;
  contentType: string;
  body: Record<string, unknown>;
}

export interface Member {
  user_id: string;
  roles: string[];
  name?: string;
  email?: string;
  status?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class FakePlatform {
  server!: Server;
  url = '';
  readonly clientId = `client-${randomBytes(4).toString('hex')}`;
  readonly deploymentId = 'deployment-1';
  private jwksUrl = '';
  /** Tool JWKS URL (set once the runner is known, again when it moved). */
  get toolJwks(): string {
    return this.jwksUrl;
  }
  set toolJwks(url: string) {
    this.jwksUrl = url;
    this.toolKeys = null;
  }
  /** When set, every endpoint answers 503 (the LMS is down). */
  down = false;
  /** When set, the JWKS endpoint answers 503. */
  jwksDown = false;
  readonly scores: ReceivedScore[] = [];
  readonly tokenRequests: { scope: string }[] = [];
  readonly lineitems = new Map<string, { scoreMaximum: number; label: string; resourceId?: string; resourceLinkId?: string; tag?: string }>();
  members: Member[] = [];
  deepLinks: unknown[] = [];
  /** id_tokens waiting for the OIDC auth request, by login_hint (the browser flow). */
  readonly pending = new Map<string, (nonce: string) => Promise<string>>();
  private key!: CryptoKey;
  private jwk!: JWK;
  private readonly kid = randomBytes(6).toString('hex');
  private readonly tokens = new Map<string, { scope: string; exp: number }>();
  private toolKeys: ReturnType<typeof createRemoteJWKSet> | null = null;

  get issuer() {
    return this.url;
  }

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.key = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => this.send(res, 500, String(err))));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** What an administrator types into the tool (npm run lti -- add). */
  registration() {
    return { issuer: this.issuer, clientId: this.clientId, deployments: [this.deploymentId], authUrl: `${this.url}/auth`, tokenUrl: `${this.url}/token`, jwksUrl: `${this.url}/jwks` };
  }

  lineitem(id: string, scoreMaximum: number, label = id): string {
    this.lineitems.set(id, { scoreMaximum, label });
    return `${this.url}/lineitems/${id}/lineitem?type_id=1`;
  }

  /** A signed id_token; `sign` with another key makes a bad signature. */
  async idToken(claims: Record<string, unknown>, opts: { nonce: string; key?: CryptoKey; iat?: number; exp?: number; aud?: string | string[] }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ nonce: opts.nonce, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(opts.aud ?? this.clientId)
      .setIssuedAt(opts.iat ?? now)
      .setExpirationTime(opts.exp ?? now + 300)
      .sign(opts.key ?? this.key);
  }

  /** The claims of a resource link launch (LTI Core §5.3). */
  resourceLink(o: { sub: string; roles?: string[]; lab?: string; context?: string; lineitem?: string; locale?: string; name?: string; nrps?: boolean; extra?: Record<string, unknown> }): Record<string, unknown> {
    return {
      sub: o.sub,
      name: o.name ?? `User ${o.sub}`,
      email: `${o.sub}@lms.test`,
      [`${CLAIM}message_type`]: 'LtiResourceLinkRequest',
      [`${CLAIM}version`]: '1.3.0',
      [`${CLAIM}deployment_id`]: this.deploymentId,
      [`${CLAIM}target_link_uri`]: 'http://tool.invalid/lti/launch',
      [`${CLAIM}resource_link`]: { id: `rl-${o.lab ?? 'none'}`, title: o.lab ?? 'course' },
      [`${CLAIM}roles`]: o.roles ?? [LEARNER],
      [`${CLAIM}context`]: { id: o.context ?? 'course-1', label: 'DOCK101', title: 'Docker 101' },
      ...(o.lab ? { [`${CLAIM}custom`]: { lab: o.lab } } : {}),
      [`${CLAIM}launch_presentation`]: { locale: o.locale ?? 'ru', document_target: 'iframe' },
      ...(o.lineitem ? { [AGS_CLAIM]: { scope: [SCOPE_SCORE], lineitem: o.lineitem } } : {}),
      ...(o.nrps ? { [NRPS_CLAIM]: { context_memberships_url: `${this.url}/memberships`, service_versions: ['2.0'] } } : {}),
      ...o.extra,
    };
  }

  deepLinkingRequest(o: { sub: string; locale?: string }): Record<string, unknown> {
    return {
      sub: o.sub,
      [`${CLAIM}message_type`]: 'LtiDeepLinkingRequest',
      [`${CLAIM}version`]: '1.3.0',
      [`${CLAIM}deployment_id`]: this.deploymentId,
      [`${CLAIM}roles`]: [INSTRUCTOR],
      [`${CLAIM}context`]: { id: 'course-1', title: 'Docker 101' },
      [`${CLAIM}launch_presentation`]: { locale: o.locale ?? 'en' },
      [DL_CLAIM]: { deep_link_return_url: `${this.url}/dl-return`, accept_types: ['ltiResourceLink'], accept_presentation_document_targets: ['iframe', 'window'], accept_multiple: true, data: 'opaque-platform-data' },
    };
  }

  private send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private bearer(req: IncomingMessage, scope: string): boolean {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const t = m ? this.tokens.get(m[1]!) : undefined;
    return Boolean(t && t.exp > Date.now() && t.scope.split(' ').includes(scope));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    if (u.pathname === '/jwks') {
      if (this.down || this.jwksDown) return this.send(res, 503, { error: 'down' });
      return this.send(res, 200, { keys: [this.jwk] });
    }
    if (this.down) {
      // Down: the connection is cut without an answer.
      req.socket.destroy();
      return;
    }
    if (u.pathname === '/course') {
      // A course page of the LMS with the activity in an iframe (the browser test).
      return this.send(res, 200, `<!doctype html><title>Course</title><iframe id="tool" name="tool" src="/start?hint=${encodeURIComponent(u.searchParams.get('hint') ?? '')}&tool=${encodeURIComponent(u.searchParams.get('tool') ?? '')}" style="width:100%;height:600px"></iframe>`, 'text/html');
    }
    if (u.pathname === '/start') {
      // Third-party initiated login: the platform's frame posts iss, login_hint, target_link_uri to the tool.
      const tool = u.searchParams.get('tool') ?? '';
      const fields = { iss: this.issuer, login_hint: u.searchParams.get('hint') ?? '', target_link_uri: `${tool}/lti/launch`, client_id: this.clientId, lti_deployment_id: this.deploymentId };
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${escape(v)}">`).join('');
      return this.send(res, 200, `<!doctype html><form id="f" method="post" action="${escape(tool)}/lti/login">${inputs}</form><script>document.getElementById('f').submit()</script>`, 'text/html');
    }
    if (u.pathname === '/auth') {
      // OIDC authentication request (LTI Core §5.1.1.2): answered with a form_post to redirect_uri.
      const q = u.searchParams;
      const ok = q.get('scope') === 'openid' && q.get('response_type') === 'id_token' && q.get('response_mode') === 'form_post' && q.get('prompt') === 'none' && q.get('client_id') === this.clientId;
      const make = this.pending.get(q.get('login_hint') ?? '');
      if (!ok || !make || !q.get('state') || !q.get('nonce') || !q.get('redirect_uri')) return this.send(res, 400, 'bad auth request', 'text/plain');
      const idToken = await make(q.get('nonce')!);
      return this.send(res, 200, `<!doctype html><form id="f" method="post" action="${escape(q.get('redirect_uri')!)}"><input type="hidden" name="id_token" value="${escape(idToken)}"><input type="hidden" name="state" value="${escape(q.get('state')!)}"></form><script>document.getElementById('f').submit()</script>`, 'text/html');
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      // Client credentials with a JWT assertion (Security Framework §4.1.1).
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return this.send(res, 400, { error: 'unsupported_grant_type' });
      this.toolKeys ??= createRemoteJWKSet(new URL(this.toolJwks), { cooldownDuration: 0 });
      try {
        const { payload } = await jwtVerify(form.get('client_assertion') ?? '', this.toolKeys, { issuer: this.clientId, subject: this.clientId, audience: `${this.url}/token`, requiredClaims: ['jti', 'exp', 'iat'] });
        if (!payload.jti) throw new Error('jti');
      } catch (err) {
        return this.send(res, 401, { error: 'invalid_client', error_description: String(err) });
      }
      const scope = form.get('scope') ?? '';
      this.tokenRequests.push({ scope });
      const token = randomBytes(16).toString('hex');
      this.tokens.set(token, { scope, exp: Date.now() + 3600_000 });
      return this.send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope });
    }
    if (u.pathname === '/lineitems') {
      // AGS 2.0 line items service: the container, filtered by resource_link_id, resource_id, tag.
      if (!this.bearer(req, 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem')) return this.send(res, 401, { error: 'unauthorized' });
      if (req.method === 'POST') {
        if (req.headers['content-type'] !== 'application/vnd.ims.lis.v2.lineitem+json') return this.send(res, 415, { error: 'media type' });
        const body = JSON.parse(await readBody(req)) as { scoreMaximum: number; label: string; resourceId?: string; resourceLinkId?: string; tag?: string };
        if (!(body.scoreMaximum > 0) || !body.label) return this.send(res, 400, { error: 'bad line item' });
        const key = `made-${this.lineitems.size + 1}`;
        this.lineitems.set(key, { scoreMaximum: body.scoreMaximum, label: body.label, resourceId: body.resourceId, resourceLinkId: body.resourceLinkId, tag: body.tag });
        return this.send(res, 201, { id: `${this.url}/lineitems/${key}/lineitem?type_id=1`, ...body }, 'application/vnd.ims.lis.v2.lineitem+json');
      }
      const q = u.searchParams;
      const items = [...this.lineitems]
        .filter(([, i]) => (!q.get('resource_link_id') || i.resourceLinkId === q.get('resource_link_id')) && (!q.get('tag') || i.tag === q.get('tag')) && (!q.get('resource_id') || i.resourceId === q.get('resource_id')))
        .map(([key, i]) => ({ id: `${this.url}/lineitems/${key}/lineitem?type_id=1`, ...i }));
      return this.send(res, 200, items, 'application/vnd.ims.lis.v2.lineitemcontainer+json');
    }
    const score = /^\/lineitems\/([^/]+)\/lineitem\/scores$/.exec(u.pathname);
    if (score && req.method === 'POST') {
      // AGS 2.0 Score publish service.
      if (!this.bearer(req, SCOPE_SCORE)) return this.send(res, 401, { error: 'unauthorized' });
      if (req.headers['content-type'] !== SCORE_TYPE) return this.send(res, 415, { error: 'media type' });
      if (!this.lineitems.has(score[1]!) || u.searchParams.get('type_id') !== '1') return this.send(res, 404, { error: 'no line item' });
      this.scores.push({ lineitem: score[1]!, contentType: req.headers['content-type'] ?? '', body: JSON.parse(await readBody(req)) });
      return this.send(res, 204, '');
    }
    if (u.pathname === '/memberships') {
      if (!this.bearer(req, 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly')) return this.send(res, 401, { error: 'unauthorized' });
      return this.send(res, 200, { id: `${this.url}/memberships`, context: { id: 'course-1', title: 'Docker 101' }, members: this.members }, 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json');
    }
    if (u.pathname === '/dl-return' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      this.toolKeys ??= createRemoteJWKSet(new URL(this.toolJwks), { cooldownDuration: 0 });
      const { payload } = await jwtVerify(form.get('JWT') ?? '', this.toolKeys, { issuer: this.clientId, audience: this.issuer });
      this.deepLinks.push(payload);
      return this.send(res, 200, 'ok', 'text/plain');
    }
    return this.send(res, 404, { error: 'not found' });
  }
}

/** A form POST (what a browser sends), without following redirects. */
export async function postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return fetch(url, { method: 'POST', body, redirect: 'manual', headers: { origin: 'http://lms.invalid', ...headers } });
}

/**
 * One whole launch as the browser would carry it: login initiation at the tool, the tool's
 * redirect to our auth endpoint (read, not followed), an id_token for the nonce it asked for,
 * and the form post to the tool's launch URL.
 */
export async function launch(
  p: FakePlatform,
  toolUrl: string,
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey; iat?: number; exp?: number; aud?: string | string[]; nonce?: string; acceptLanguage?: string; replay?: boolean } = {},
): Promise<{ status: number; html: string; headers: Headers; form: Record<string, string> }> {
  const login = await postForm(`${toolUrl}/lti/login`, { iss: p.issuer, login_hint: String(claims.sub ?? 'x'), target_link_uri: `${toolUrl}/lti/launch`, client_id: p.clientId, lti_deployment_id: p.deploymentId });
  if (login.status !== 302) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  const auth = new URL(login.headers.get('location')!);
  if (auth.origin + auth.pathname !== `${p.url}/auth`) throw new Error(`login redirected to ${auth}`);
  const idToken = await p.idToken(claims, { nonce: opts.nonce ?? auth.searchParams.get('nonce')!, key: opts.key, iat: opts.iat, exp: opts.exp, aud: opts.aud });
  const form = { id_token: idToken, state: auth.searchParams.get('state')! };
  const res = await postForm(`${toolUrl}/lti/launch`, form, opts.acceptLanguage ? { 'accept-language': opts.acceptLanguage } : {});
  return { status: res.status, html: await res.text(), headers: res.headers, form };
}
