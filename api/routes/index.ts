import type { AnyRoute } from '../http/route.js';
import { listAlertsRoute } from './alerts/list.js';
import { createKeyRoute } from './keys/create.js';
import { revokeKeyRoute } from './keys/delete.js';
import { listKeysRoute } from './keys/list.js';
import { meRoute } from './me/get.js';
import { streamMetricsRoute } from './monitoring/stream-metrics.js';
import { tokenRoute } from './oauth2/token.js';
import { ingestRoute } from './records/create.js';
import { listRecordsRoute } from './records/list.js';
import { receiptRoute } from './records/receipt.js';
import { listRejectionsRoute } from './records/rejections.js';
import { createStreamRoute } from './streams/create.js';
import { deleteStreamRoute } from './streams/delete.js';
import { getStreamRoute } from './streams/get.js';
import { listStreamsRoute } from './streams/list.js';
import { updateStreamRoute } from './streams/update.js';
import { listVersionsRoute } from './streams/versions.js';
import { docsRoute } from './system/docs.js';
import { healthRoute } from './system/health.js';
import { openApiRoute } from './system/openapi.js';
import { prometheusRoute } from './system/prometheus.js';
import { readyRoute } from './system/ready.js';
import { createTenantRoute } from './tenants/create.js';
import { listTenantsRoute } from './tenants/list.js';
import { deleteWarehouseRoute } from './warehouse/delete.js';
import { getWarehouseRoute } from './warehouse/get.js';
import { putWarehouseRoute } from './warehouse/put.js';
import { deleteWebhookRoute } from './webhook/delete.js';
import { putWebhookRoute } from './webhook/put.js';

/** The route table: the app, the OpenAPI document and the security suite are all generated from it. */
export const routes: AnyRoute[] = [
  healthRoute,
  readyRoute,
  meRoute,
  tokenRoute,
  createTenantRoute,
  listTenantsRoute,
  putWarehouseRoute,
  getWarehouseRoute,
  deleteWarehouseRoute,
  createKeyRoute,
  listKeysRoute,
  revokeKeyRoute,
  createStreamRoute,
  listStreamsRoute,
  getStreamRoute,
  updateStreamRoute,
  deleteStreamRoute,
  listVersionsRoute,
  ingestRoute,
  listRecordsRoute,
  listRejectionsRoute,
  receiptRoute,
  streamMetricsRoute,
  listAlertsRoute,
  putWebhookRoute,
  deleteWebhookRoute,
  prometheusRoute,
  openApiRoute,
  docsRoute,
] as AnyRoute[];
