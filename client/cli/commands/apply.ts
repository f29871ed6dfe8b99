import path from 'node:path';
import type { Command } from 'commander';
import { TributaryError, type DryRunResponse } from '../../index.js';
import { checkName, type Ctx } from '../context.js';
import { CliError, EXIT, UsageError, describeApiError } from '../errors.js';
import { println } from '../io.js';
import { planStreams, type PlanItem } from '../apply/plan.js';
import { counts, renderPlan } from '../apply/render.js';
import { readStreamsFile } from '../apply/spec-file.js';
import type { Runner } from '../runner.js';

interface ApplyOptions {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
  detailedExitcode?: boolean;
  json?: boolean;
}

/** The tenant: the flag or environment, else the file's; both and different is a mistake worth stopping for. */
function tenantFor(ctx: Ctx, fileTenant: string | undefined): string {
  let fromFlags: string | undefined;
  try {
    fromFlags = ctx.tenant();
  } catch (err) {
    if (!fileTenant) throw err;
  }
  if (fromFlags && fileTenant && fromFlags !== fileTenant)
    throw new UsageError(`the file is for tenant ${fileTenant}, but --tenant says ${fromFlags}`);
  return fromFlags ?? checkName('tenant', fileTenant!);
}

/** Asks the server what each update would do (PATCH ?dryRun=true): the schema diff, verdict and DDL. */
async function judge(ctx: Ctx, tenant: string, item: PlanItem): Promise<void> {
  if (item.action !== 'update' || item.problems.length || !item.patch) return;
  try {
    const v = (await ctx.api.streams.update(tenant, item.name, item.patch, {
      dryRun: true,
    })) as DryRunResponse;
    item.compatible = v.compatible;
    item.fromVersion = v.fromVersion;
    item.toVersion = v.toVersion;
    item.ddl = v.ddl;
    item.changes = [
      ...v.changes.map((c) => ({ ...c, field: c.field ? `schema.${c.field}` : 'schema' })),
      ...item.changes,
    ];
    item.problems.push(...v.violations);
  } catch (err) {
    if (!(err instanceof TributaryError) || err.status !== 400) throw err;
    item.problems.push(...(err.errors?.length ? err.errors : [{ path: '', message: describeApiError(err) }]));
  }
}

async function execute(ctx: Ctx, tenant: string, item: PlanItem): Promise<void> {
  const at = (verb: string, err: unknown): never => {
    throw new CliError(
      `${verb} ${item.name}: ${err instanceof TributaryError ? describeApiError(err, ctx.url) : String(err)}`,
    );
  };
  if (item.action === 'create')
    await ctx.api.streams.create(tenant, item.create as never).catch((e: unknown) => at('creating', e));
  else if (item.action === 'update')
    await ctx.api.streams.update(tenant, item.name, item.patch!).catch((e: unknown) => at('updating', e));
  else if (item.action === 'delete')
    await ctx.api.streams.delete(tenant, item.name).catch((e: unknown) => at('deleting', e));
}

export function registerApply(program: Command, run: Runner): void {
  program
    .command('apply')
    .description(
      "make the tenant's streams match a file: create, evolve (after a dry run), and with --prune delete",
    )
    .requiredOption(
      '-f, --file <file>',
      'streams file: YAML or JSON, one spec per document or {tenant?, streams: [...]}',
    )
    .option('--dry-run', 'show the plan (diffs, compatibility verdicts, DDL) and change nothing')
    .option('--prune', 'delete streams the file does not name')
    .option('--detailed-exitcode', `with --dry-run: exit ${EXIT.attention} when there are changes to apply`)
    .option('--json', 'print the plan and outcome as JSON')
    .action(
      run(async (ctx, opts: ApplyOptions) => {
        const file = path.resolve(ctx.io.cwd, opts.file);
        const wanted = await readStreamsFile(file).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT')
            throw new UsageError(`-f: ${opts.file} does not exist`);
          throw err;
        });
        const tenant = tenantFor(ctx, wanted.tenant);
        const current = await ctx.api.streams.list(tenant);
        const items = planStreams(wanted.streams, current, opts.prune ?? false);
        for (const item of items) await judge(ctx, tenant, item);

        const c = counts(items);
        const blocked = items.filter((i) => i.problems.length);
        const pending = c.create + c.update + c.delete;
        const out = ctx.io.stdout;
        const report = (applied: boolean, exitCode: number) => {
          if (opts.json)
            println(
              out,
              JSON.stringify(
                { tenant, file: opts.file, dryRun: opts.dryRun ?? false, applied, plan: items, exitCode },
                null,
                2,
              ),
            );
          return exitCode;
        };
        if (!opts.json) {
          println(out, `tenant ${tenant}, ${opts.file}:`);
          for (const l of renderPlan(items)) println(out, `  ${l}`);
        }
        if (blocked.length) {
          if (!opts.json)
            println(
              ctx.io.stderr,
              `nothing changed: ${blocked.map((b) => b.name).join(', ')} cannot be applied as written`,
            );
          return report(false, EXIT.error);
        }
        const tally = `${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged`;
        if (opts.dryRun) {
          if (!opts.json) println(out, `dry run: ${tally}`);
          return report(false, pending && opts.detailedExitcode ? EXIT.attention : EXIT.ok);
        }
        if (!pending) {
          if (!opts.json) println(out, 'nothing to do: the streams match the file');
          return report(false, EXIT.ok);
        }
        // Creates first (nothing else depends on them), deletes last (only with --prune).
        for (const action of ['create', 'update', 'delete'] as const)
          for (const item of items.filter((i) => i.action === action)) {
            await execute(ctx, tenant, item);
            if (!opts.json) println(out, `${action}d ${item.name}`);
          }
        if (!opts.json)
          println(
            out,
            `applied: ${c.create} created, ${c.update} updated, ${c.delete} deleted, ${c.unchanged} unchanged`,
          );
        return report(true, EXIT.ok);
      }),
    );
}
