import type { Command } from 'commander';
import type { Stream } from '../../index.js';
import { checkName } from '../context.js';
import { printJson, printRows, printYaml } from '../output.js';
import type { Runner } from '../runner.js';

/** The fields of a stream that `apply` manages: what `streams get --yaml` exports as code. */
export function specOf(s: Stream): Record<string, unknown> {
  const out: Record<string, unknown> = { name: s.name };
  if (s.description !== undefined) out.description = s.description;
  out.schema = s.schema;
  if (s.dedupe) out.dedupe = s.dedupe;
  if (s.entity) out.entity = s.entity;
  if (s.piiFields.length) out.piiFields = s.piiFields;
  if (s.clusterBy.length) out.clusterBy = s.clusterBy;
  out.compatibility = s.compatibility;
  if (s.freshness) out.freshness = s.freshness;
  out.buffering = s.buffering;
  return out;
}

export function registerStreams(program: Command, run: Runner): void {
  const streams = program.command('streams').description('list and show streams');
  streams
    .command('list')
    .description("the tenant's streams")
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (ctx, opts: { json?: boolean }) => {
        const list = await ctx.api.streams.list(ctx.tenant());
        if (opts.json) return printJson(ctx.io.stdout, list);
        printRows(
          ctx.io.stdout,
          list.map((s) => ({
            name: s.name,
            version: s.version,
            fields: Object.keys(s.schema.properties ?? {}).length,
            dedupe: s.dedupe?.key.join(',') ?? '',
            entity: s.entity?.key.join(',') ?? '',
            updated: s.updatedAt,
            state: s.deletedAt ? 'deleted' : 'active',
          })),
          'table',
        );
      }),
    );
  streams
    .command('get')
    .description('one stream: its spec, schema version and timestamps')
    .argument('<stream>')
    .option('--yaml', 'print only the spec, as YAML that `apply -f` accepts')
    .action(
      run(async (ctx, name: string, opts: { yaml?: boolean }) => {
        const stream = await ctx.api.streams.get(ctx.tenant(), checkName('stream', name));
        if (opts.yaml) printYaml(ctx.io.stdout, specOf(stream));
        else printJson(ctx.io.stdout, stream);
      }),
    );
}
