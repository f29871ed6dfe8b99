import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page, Request, Response } from 'playwright-core';

export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Builds web/dist exactly as `npm run build:web` does. */
export function buildWeb(): void {
  const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts the real API server as a child process and waits until it answers. */
export async function startServer(opts: {
  entry: string;
  port: number;
  dataDir: string;
  adminKey: string;
}): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', opts.entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(opts.port),
      TRIBUTARY_DATA_DIR: opts.dataDir,
      TRIBUTARY_ADMIN_KEY: opts.adminKey,
      TRIBUTARY_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${baseUrl}/v1/me`, { headers: { Authorization: `Bearer ${opts.adminKey}` } });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer on ${baseUrl} within 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    output: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** A failing response that a test triggers on purpose (a wrong key, a forbidden page). */
export interface ExpectedFailure {
  status: number;
  /** The request's path and query on the server under test. */
  path: string | RegExp;
  method?: string;
}

export interface PageWatch {
  /** Declares a failure the current test provokes; it may happen more than once, and must happen. */
  expectFailure(failure: ExpectedFailure): void;
  /**
   * Everything that went wrong in the page since the last call and was not declared: console errors
   * and warnings, uncaught exceptions, failed requests and responses >= 400, and declared failures
   * that never happened. Clears the record and the declarations.
   */
  settle(): Promise<string[]>;
}

// Chromium's console line for a resource answered with an error status; its location is the resource.
const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d+)/;

/**
 * Collects the browser-side problems of one page, so a test fails on a console error or a failing
 * request even when the UI hides it from the user.
 */
export function watchPage(page: Page, baseUrl: string): PageWatch {
  let expected: Array<ExpectedFailure & { seen: boolean }> = [];
  let problems: string[] = [];

  const where = (url: string) => (url.startsWith(baseUrl) ? url.slice(baseUrl.length) || '/' : url);
  const declared = (status: number, url: string, method?: string) => {
    const p = where(url);
    const hit = expected.find(
      (e) =>
        e.status === status &&
        (typeof e.path === 'string' ? e.path === p : e.path.test(p)) &&
        (method === undefined || e.method === undefined || e.method === method),
    );
    if (hit) hit.seen = true;
    return hit !== undefined;
  };

  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    const url = msg.location().url;
    const failed = FAILED_RESOURCE.exec(msg.text());
    if (failed && declared(Number(failed[1]), url)) return;
    problems.push(`console ${msg.type()}: ${msg.text()}${url ? ` (${where(url)})` : ''}`);
  });
  page.on('pageerror', (err: Error) => problems.push(`uncaught: ${err.message}`));
  page.on('response', (res: Response) => {
    const req = res.request();
    if (res.status() < 400 || declared(res.status(), res.url(), req.method())) return;
    problems.push(`HTTP ${res.status()} ${req.method()} ${where(res.url())}`);
  });
  page.on('requestfailed', (req: Request) => {
    const error = req.failure()?.errorText ?? 'unknown error';
    // A navigation cancels the requests still in flight (a poll, a prefetch); nothing failed.
    if (error === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${where(req.url())}: ${error}`);
  });

  return {
    expectFailure(failure) {
      expected.push({ ...failure, seen: false });
    },
    async settle() {
      // A round trip to the page delivers the events it sent before this call.
      await page.evaluate(() => undefined).catch(() => undefined);
      const missing = expected
        .filter((e) => !e.seen)
        .map((e) =>
          ['expected but not seen: HTTP', e.status, e.method, String(e.path)].filter(Boolean).join(' '),
        );
      const out = [...problems, ...missing];
      problems = [];
      expected = [];
      return out;
    },
  };
}

declare global {
  interface Window {
    __canvasText?: WeakMap<HTMLCanvasElement, string[]>;
  }
}

/**
 * Makes every page of the context remember the text drawn on each canvas since it was last cleared
 * (uPlot clears before each redraw), so a test can read a chart's axis labels.
 */
export async function recordCanvasText(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const drawn = new WeakMap<HTMLCanvasElement, string[]>();
    window.__canvasText = drawn;
    const proto = CanvasRenderingContext2D.prototype;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the wrappers apply them to their own this
    const { clearRect, fillText } = proto;
    proto.clearRect = function (...args: Parameters<typeof clearRect>) {
      drawn.set(this.canvas, []);
      return clearRect.apply(this, args);
    };
    proto.fillText = function (...args: Parameters<typeof fillText>) {
      const texts = drawn.get(this.canvas) ?? [];
      texts.push(String(args[0]));
      drawn.set(this.canvas, texts);
      return fillText.apply(this, args);
    };
  });
}

/** The text last drawn on the canvases inside the element with this test id. */
export async function canvasText(page: Page, testId: string): Promise<string[]> {
  return page.evaluate(
    (id) =>
      [...document.querySelectorAll<HTMLCanvasElement>(`[data-testid="${id}"] canvas`)].flatMap(
        (c) => window.__canvasText?.get(c) ?? [],
      ),
    testId,
  );
}
