import type { Command } from 'commander';
import { checkName } from '../context.js';
import { println } from '../io.js';
import { printJson } from '../output.js';
import type { Runner } from '../runner.js';

/** Tenants are the platform admin's (TRIBUTARY_KEY = the server's admin key). */
export function registerTenants(program: Command, run: Runner): void {
  const tenants = program.command('tenants').description('create tenants (platform admin key)');
  tenants
    .command('create')
    .description('create a tenant; prints its first admin key secret (shown once)')
    .argument('<name>')
    .option('--json', 'print the API answer as JSON')
    .action(
      run(async (ctx, name: string, opts: { json?: boolean }) => {
        const created = await ctx.api.tenants.create(checkName('tenant', name));
        if (opts.json) return printJson(ctx.io.stdout, created);
        println(ctx.io.stderr, `created tenant ${created.name}; its admin key secret is shown once:`);
        println(ctx.io.stdout, created.key.secret);
      }),
    );
}
