import { z } from 'zod';
import {
  SNOWFLAKE_ACCOUNT_PATTERN,
  SNOWFLAKE_OBJECT_PATTERN,
  SNOWFLAKE_USER_PATTERN,
  TENANT_KEY_SECRET_ARN_PATTERN,
} from '../../domain/tenants/warehouse-binding.js';
import { ProblemSchema } from '../params.js';

const objectName = (what: string) =>
  z
    .string()
    .regex(SNOWFLAKE_OBJECT_PATTERN, `${what} must be an unquoted Snowflake identifier (letters, digits, _)`)
    .describe(`The ${what} in the tenant’s account, created by its administrator`);

export const WarehouseBindingBody = z
  .object({
    account: z
      .string()
      .regex(
        SNOWFLAKE_ACCOUNT_PATTERN,
        'account must be a Snowflake account identifier: orgname-accountname, or a locator such as xy12345.us-east-1',
      )
      .describe('Snowflake account identifier: orgname-accountname, or a locator such as xy12345.us-east-1'),
    user: z
      .string()
      .regex(SNOWFLAKE_USER_PATTERN, 'user must be a Snowflake login name (letters, digits, _ . @ -)')
      .describe('The service user, set up for key-pair authentication'),
    role: objectName('role'),
    warehouse: objectName('warehouse'),
    database: objectName('database'),
    storageIntegration: objectName('storage integration'),
    privateKeySecretArn: z
      .string()
      .regex(
        TENANT_KEY_SECRET_ARN_PATTERN,
        'privateKeySecretArn must be the ARN of a Secrets Manager secret named tributary/tenants/… (the only secrets the stack lets Tributary read)',
      )
      .describe(
        'Secrets Manager secret holding the user’s private key (PEM, or JSON with privateKey); only this reference is stored',
      ),
  })
  .strict();
export type WarehouseBindingBody = z.infer<typeof WarehouseBindingBody>;

export const WarehouseBindingSchema = z
  .object({
    tenant: z.string(),
    source: z
      .enum(['tenant', 'default'])
      .describe(
        'tenant: the tenant’s own account; default: the shared account every unbound tenant uses (in local mode, the tenant’s own DuckDB file)',
      ),
    engine: z.enum(['snowflake', 'duckdb']),
    account: z.string().optional(),
    user: z.string().optional(),
    role: z.string().optional(),
    warehouse: z.string().optional(),
    database: z.string().optional(),
    storageIntegration: z.string().optional(),
    privateKeySecretArn: z
      .string()
      .optional()
      .describe(
        'Where the key is read from (tenant bindings only); the key itself is never stored or returned',
      ),
    currentAccount: z
      .string()
      .optional()
      .describe('What SELECT CURRENT_ACCOUNT() answered when the binding was checked'),
    boundAt: z.string().optional(),
  })
  .meta({ id: 'WarehouseBinding' });
export type WarehouseBindingResponse = z.infer<typeof WarehouseBindingSchema>;

export const tenantNotFound = {
  404: {
    description: 'No such tenant',
    schema: ProblemSchema,
    contentType: 'application/problem+json',
  },
} as const;
