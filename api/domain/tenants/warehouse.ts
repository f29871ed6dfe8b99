import { requirePlatform, requireTenantOrPlatform } from '../auth/authorize.js';
import type { Ctx, VerbArgs } from '../context.js';
import { NotFoundError, StateConflictError } from '../errors.js';
import { PLACEMENT_FIELDS } from './warehouse-binding.js';
import type {
  DefaultWarehouseAccount,
  WarehouseBinding,
  WarehouseConnectionSpec,
} from './warehouse-binding.js';

/**
 * Binds a tenant to its own Snowflake account after checking it works: the key is read by its ARN, a
 * session is opened with it and `SELECT CURRENT_ACCOUNT()` answers. Only the ARN is stored.
 */
export async function bindWarehouse({
  ctx,
  input,
}: VerbArgs<{ tenant: string; spec: WarehouseConnectionSpec }>) {
  requirePlatform(ctx);
  const accounts = warehouseAccounts(ctx);
  await requireTenantExists(ctx, input.tenant);
  const placedIn = (await ctx.services.catalog.getWarehouseBinding(input.tenant)) ?? accounts.shared;
  await refuseMoveWithStreams(ctx, input.tenant, placedIn, input.spec);
  const { currentAccount } = await accounts.probe.check(input.spec);
  const binding: WarehouseBinding = {
    ...input.spec,
    tenant: input.tenant,
    currentAccount,
    boundAt: ctx.services.now().toISOString(),
  };
  await ctx.services.catalog.putWarehouseBinding(binding);
  return presentBinding(binding);
}

/** The tenant's own account, or the shared one it uses; never a key, only the ARN it is read from. */
export async function getWarehouseBinding({ ctx, input }: VerbArgs<{ tenant: string }>) {
  requireTenantOrPlatform(ctx, input.tenant, 'manage');
  await requireTenantExists(ctx, input.tenant);
  const accounts = ctx.services.warehouseAccounts;
  const binding = accounts ? await ctx.services.catalog.getWarehouseBinding(input.tenant) : undefined;
  if (binding) return presentBinding(binding);
  return {
    tenant: input.tenant,
    source: 'default' as const,
    engine: accounts ? ('snowflake' as const) : ('duckdb' as const),
    ...(accounts ? definedOnly(accounts.shared) : {}),
  };
}

/** Moves the tenant back to the shared account. Idempotent: unbinding an unbound tenant succeeds. */
export async function unbindWarehouse({ ctx, input }: VerbArgs<{ tenant: string }>): Promise<void> {
  requirePlatform(ctx);
  const accounts = warehouseAccounts(ctx);
  await requireTenantExists(ctx, input.tenant);
  const binding = await ctx.services.catalog.getWarehouseBinding(input.tenant);
  if (!binding) return;
  await refuseMoveWithStreams(ctx, input.tenant, binding, accounts.shared);
  await ctx.services.catalog.deleteWarehouseBinding(input.tenant);
}

function presentBinding(b: WarehouseBinding) {
  return {
    tenant: b.tenant,
    source: 'tenant' as const,
    engine: 'snowflake' as const,
    account: b.account,
    user: b.user,
    role: b.role,
    warehouse: b.warehouse,
    database: b.database,
    storageIntegration: b.storageIntegration,
    privateKeySecretArn: b.privateKeySecretArn,
    currentAccount: b.currentAccount,
    boundAt: b.boundAt,
  };
}

/** Local mode has no accounts: each tenant already has a DuckDB file of its own. */
function warehouseAccounts(ctx: Ctx) {
  const accounts = ctx.services.warehouseAccounts;
  if (!accounts)
    throw new StateConflictError(
      'warehouse_bindings_unsupported',
      'Warehouse bindings are an AWS-mode (Snowflake) feature. In local mode every tenant already has a DuckDB database file of its own.',
    );
  return accounts;
}

async function requireTenantExists(ctx: Ctx, tenant: string): Promise<void> {
  if (!(await ctx.services.catalog.getTenant(tenant)))
    throw new NotFoundError(`Tenant '${tenant}' not found.`);
}

/**
 * A tenant's streams live where it was placed when they were created; Tributary does not move data
 * between accounts. Changing the key, user, role or warehouse is fine; the account, database or storage
 * integration only while the tenant has no streams (deleted ones count: their data stays where it is).
 */
async function refuseMoveWithStreams(
  ctx: Ctx,
  tenant: string,
  from: DefaultWarehouseAccount,
  to: DefaultWarehouseAccount,
): Promise<void> {
  const moved = PLACEMENT_FIELDS.filter((f) => (from[f] ?? '').toUpperCase() !== (to[f] ?? '').toUpperCase());
  if (moved.length === 0) return;
  const streams = await ctx.services.catalog.listStreams(tenant);
  if (streams.length === 0) return;
  throw new StateConflictError(
    'tenant_has_streams',
    `Tenant '${tenant}' has ${streams.length} stream(s) in its current warehouse; its ${moved.join(', ')} cannot change. ` +
      'Bind a tenant before creating its first stream.',
  );
}

function definedOnly(shared: DefaultWarehouseAccount): DefaultWarehouseAccount {
  return Object.fromEntries(Object.entries(shared).filter(([, v]) => v !== undefined && v !== ''));
}
