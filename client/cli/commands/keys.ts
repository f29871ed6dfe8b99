import type { Command } from 'commander';
import { checkName, oneOf } from '../context.js';
import { UsageError } from '../errors.js';
import { println } from '../io.js';
import { printJson, printRows } from '../output.js';
import type { Runner } from '../runner.js';

const ROLES = ['admin', 'producer', 'consumer'] as const;

export function registerKeys(program: Command, run: Runner): void {
  const keys = program.command('keys').description("manage the tenant's API keys (tenant admin key)");
  keys
    .command('create')
    .description('create a key; its secret is printed once')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, oneOf('--role', ROLES))
    .option('--streams <names>', "comma-separated stream names the key may use, or '*'", '*')
    .option('--pii', 'the key sees PII fields unmasked')
    .option('--json', 'print the API answer as JSON')
    .action(
      run(
        async (
          ctx,
          opts: {
            name: string;
            role: (typeof ROLES)[number];
            streams: string;
            pii?: boolean;
            json?: boolean;
          },
        ) => {
          const streams = opts.streams
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .map((s) => (s === '*' ? s : checkName('--streams', s)));
          if (!streams.length) throw new UsageError("--streams: name at least one stream, or '*'");
          const key = await ctx.api.keys.create(ctx.tenant(), {
            name: opts.name,
            role: opts.role,
            streams,
            pii: opts.pii ?? false,
          });
          if (opts.json) return printJson(ctx.io.stdout, key);
          // The secret alone on stdout, so `KEY=$(tributary keys create …)` works; the rest on stderr.
          println(
            ctx.io.stderr,
            `created key ${key.id} (${key.role}, streams ${key.streams.join(',')}); the secret is shown once:`,
          );
          println(ctx.io.stdout, key.secret);
        },
      ),
    );
  keys
    .command('list')
    .description("the tenant's keys (never their secrets)")
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (ctx, opts: { json?: boolean }) => {
        const list = await ctx.api.keys.list(ctx.tenant());
        if (opts.json) return printJson(ctx.io.stdout, list);
        printRows(
          ctx.io.stdout,
          list.map((k) => ({
            id: k.id,
            name: k.name,
            role: k.role,
            streams: k.streams.join(','),
            pii: k.pii,
            created: k.createdAt,
            revoked: k.revokedAt ?? '',
          })),
          'table',
        );
      }),
    );
  keys
    .command('revoke')
    .description('revoke a key; it fails from its next request on')
    .argument('<id>', 'the key id (20 lower-case letters or digits)')
    .action(
      run(async (ctx, id: string) => {
        await ctx.api.keys.revoke(ctx.tenant(), id);
        println(ctx.io.stderr, `revoked key ${id}`);
      }),
    );
}
