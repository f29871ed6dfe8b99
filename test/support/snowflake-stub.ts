/**
 * A local stand-in for Snowflake's REST endpoints, enough for the real snowflake-sdk to log in with
 * key-pair auth, run statements and close its session. It records every SQL text it receives (and the
 * account whose session ran it, so one stub can play several accounts), answers SELECTs with scripted
 * (or computed) rows and can fail chosen statements with Snowflake error codes.
 * snowpipe-model.ts builds on it to play a stage, a pipe and its load history.
 */
import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** Snowflake's wire names for column types (the `type` of a rowtype entry). */
export type StubColumnType = 'text' | 'fixed' | 'real' | 'boolean' | 'variant' | 'date' | 'timestamp_tz';

export interface StubColumn {
  name: string;
  type: StubColumnType;
}

export interface StubResult {
  columns: StubColumn[];
  /** Values as Snowflake's JSON result format sends them: strings (or null), one array per row. */
  rows: Array<Array<string | null>>;
}

export interface StubError {
  /** Snowflake error code, e.g. '002003' (object does not exist) or '001003' (syntax error). */
  code: string;
  message: string;
  sqlState: string;
}

export type StubAnswer = StubResult | StubError;

/** An answer worked out from the statement (a model of some Snowflake behaviour). */
export type StubResponder = (sql: string) => StubAnswer;

interface Script {
  match: (sql: string) => boolean;
  answer: StubAnswer | StubResponder;
  remaining: number;
}

export interface StubRequest {
  method: string;
  path: string;
}

export interface StubLogin {
  account: string;
  user: string;
  authenticator: string;
  /** Whether the JWT verified against the stub's public key (true when no key was given). */
  verified: boolean;
}

/** One statement and the account of the session that ran it. */
export interface StubExecution {
  account: string;
  sql: string;
}

/** What a session was opened with: the login's ACCOUNT_NAME and the defaults sent as URL parameters. */
interface Session {
  account: string;
  user: string;
  role: string | null;
  database: string | null;
  warehouse: string | null;
}

const OK_STATEMENT: StubResult = {
  columns: [{ name: 'status', type: 'text' }],
  rows: [['Statement executed successfully.']],
};

export class SnowflakeStub {
  /** Every sqlText received, in order. */
  readonly statements: string[] = [];
  /** The same statements, each with the account of the session that sent it. */
  readonly executions: StubExecution[] = [];
  readonly requests: StubRequest[] = [];
  readonly logins: StubLogin[] = [];
  private scripts: Script[] = [];
  private sessions = new Map<string, Session>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: StubOptions,
  ) {}

  /**
   * Starts on 127.0.0.1 with an OS-chosen port. With `publicKeyPem`, logins must carry a JWT it verifies;
   * with `accounts`, only those accounts exist and each login is verified against its own account's key.
   */
  static async start(opts: StubOptions = {}): Promise<SnowflakeStub> {
    const holder: { stub?: SnowflakeStub } = {};
    const server = createServer((req, res) => {
      void holder.stub?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.stub = new SnowflakeStub(server, `http://127.0.0.1:${port}`, opts);
    return holder.stub;
  }

  /** The statements sessions of `account` ran, in order. */
  statementsOf(account: string): string[] {
    return this.executions.filter((e) => e.account === account).map((e) => e.sql);
  }

  /**
   * Answers the next `times` statements matching `match` (default: every one) with `answer`, or with
   * what `answer(sql)` returns. Scripts are tried in the order they were added.
   */
  on(
    match: RegExp | string | ((sql: string) => boolean),
    answer: StubAnswer | StubResponder,
    times = Infinity,
  ): void {
    const fn =
      typeof match === 'function'
        ? match
        : typeof match === 'string'
          ? (sql: string) => sql.includes(match)
          : (sql: string) => match.test(sql);
    this.scripts.push({ match: fn, answer, remaining: times });
  }

  /** Forgets recorded statements, logins and scripts (sessions stay valid). */
  reset(): void {
    this.statements.length = 0;
    this.executions.length = 0;
    this.logins.length = 0;
    this.requests.length = 0;
    this.scripts = [];
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    let body: Record<string, unknown> = {};
    try {
      body = await readJson(req);
    } catch {
      return send(res, 400, { success: false, message: 'bad body', code: '390000', data: null });
    }
    switch (url.pathname) {
      case '/session/v1/login-request':
        return send(res, 200, this.login(body, url.searchParams));
      case '/queries/v1/query-request': {
        const session = this.sessions.get(tokenOf(req) ?? '');
        if (!session) return send(res, 200, sessionGone());
        return send(res, 200, this.query(body, session));
      }
      case '/session':
        // DELETE of the session: POST /session?delete=true
        this.sessions.delete(tokenOf(req) ?? '');
        return send(res, 200, { success: true, code: null, message: null, data: null });
      case '/session/heartbeat':
      case '/telemetry/send':
        return send(res, 200, { success: true, code: null, message: null, data: null });
      case '/session/token-request':
        return send(res, 200, {
          success: false,
          code: '390114',
          message: 'Master token renewal is not supported by the stub.',
          data: null,
        });
      default:
        return send(res, 404, {
          success: false,
          code: '390404',
          message: `stub has no ${url.pathname}`,
          data: null,
        });
    }
  }

  private login(body: Record<string, unknown>, params: URLSearchParams): unknown {
    const data = (body.data ?? {}) as Record<string, unknown>;
    const token = stringField(data.TOKEN);
    const account = stringField(data.ACCOUNT_NAME);
    const key = this.opts.accounts ? this.opts.accounts[account] : this.opts.publicKeyPem;
    const verified = this.opts.accounts && key === undefined ? false : key ? verifyJwt(token, key) : true;
    this.logins.push({
      account,
      user: stringField(data.LOGIN_NAME),
      authenticator: stringField(data.AUTHENTICATOR),
      verified,
    });
    if (!verified) return { success: false, code: '390144', message: 'JWT token is invalid.', data: null };
    const session = randomUUID();
    this.sessions.set(session, {
      account,
      user: stringField(data.LOGIN_NAME),
      role: params.get('roleName'),
      database: params.get('databaseName'),
      warehouse: params.get('warehouse'),
    });
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token: session,
        masterToken: `master-${session}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: Math.floor(Math.random() * 1e9),
        parameters: [],
        sessionInfo: {},
      },
    };
  }

  private query(body: Record<string, unknown>, session: Session): unknown {
    const sql = stringField(body.sqlText);
    this.statements.push(sql);
    this.executions.push({ account: session.account, sql });
    const script = this.scripts.find((s) => s.remaining > 0 && s.match(sql));
    if (script) script.remaining -= 1;
    const scripted = script?.answer;
    const answer =
      scripted === undefined
        ? (contextFunctions(sql, session) ?? OK_STATEMENT)
        : typeof scripted === 'function'
          ? scripted(sql)
          : scripted;
    const queryId = randomUUID();
    if ('code' in answer) {
      return {
        success: false,
        code: answer.code,
        message: answer.message,
        data: { queryId, sqlState: answer.sqlState, errorCode: answer.code, internalError: false, age: 0 },
      };
    }
    return {
      success: true,
      code: null,
      message: null,
      data: {
        queryId,
        rowtype: answer.columns.map((c) => ({
          name: c.name,
          type: c.type,
          nullable: true,
          scale: c.type === 'fixed' ? 0 : null,
          precision: c.type === 'fixed' ? 38 : null,
          length: null,
          byteLength: null,
          database: '',
          schema: '',
          table: '',
          collation: null,
        })),
        rowset: answer.rows,
        total: answer.rows.length,
        returned: answer.rows.length,
        queryResultFormat: 'json',
        version: 1,
        statementTypeId: /^\s*select/i.test(sql) ? 4096 : 24576,
        parameters: [],
      },
    };
  }
}

export interface StubOptions {
  publicKeyPem?: string;
  /** The accounts that exist (by the login's ACCOUNT_NAME), each with the public key its logins must verify against. */
  accounts?: Record<string, string>;
}

/**
 * `SELECT CURRENT_ACCOUNT() AS "A", CURRENT_DATABASE() AS "D" ...` answered from the session, as
 * Snowflake would: the account upper-cased (standing in for its locator), the database, warehouse and
 * role the login named (upper-cased, unquoted identifiers), NULL where it named none.
 */
function contextFunctions(sql: string, session: Session): StubResult | undefined {
  const calls = [...sql.matchAll(/CURRENT_(ACCOUNT|DATABASE|WAREHOUSE|ROLE|USER)\(\)\s+AS\s+"(\w+)"/gi)];
  if (!/^\s*SELECT\b/i.test(sql) || calls.length === 0) return undefined;
  const value = (fn: string): string | null => {
    const v = {
      ACCOUNT: session.account,
      DATABASE: session.database,
      WAREHOUSE: session.warehouse,
      ROLE: session.role,
      USER: session.user,
    }[fn.toUpperCase()];
    return v ? v.toUpperCase() : null;
  };
  return {
    columns: calls.map((m) => ({ name: m[2], type: 'text' as const })),
    rows: [calls.map((m) => value(m[1]))],
  };
}

function tokenOf(req: IncomingMessage): string | undefined {
  const m = /Snowflake Token="([^"]+)"/.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function sessionGone(): unknown {
  return {
    success: false,
    code: '390112',
    message: 'Your session has expired. Please login again.',
    data: null,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let raw = Buffer.concat(chunks);
  if (raw.length === 0) return {};
  if (req.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b))
    raw = gunzipSync(raw);
  return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
}

/** A string field of a driver request body ('' when absent: the driver sends these as strings). */
function stringField(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** RS256 check of the key-pair JWT the driver sends as TOKEN. */
function verifyJwt(token: string, publicKeyPem: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${parts[0]}.${parts[1]}`);
    return verifier.verify(createPublicKey(publicKeyPem), Buffer.from(parts[2], 'base64url'));
  } catch {
    return false;
  }
}
