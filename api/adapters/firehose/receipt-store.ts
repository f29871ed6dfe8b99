import type { ReceiptLoads } from '../../ports.js';

/** What the AWS delivery remembers of each batch once Firehose has taken all of it. */
export interface DeliveryReceipt {
  tenant: string;
  stream: string;
  batchId: string;
  receivedAt: string;
  accepted: number;
  rejected: number;
  /** ISO time the last chunk got its RecordId. */
  deliveredAt: string;
  /** Firehose RecordIds of every chunk holding the batch (raw and quarantine). */
  recordIds: string[];
  /** Set by the load poller once raw holds every accepted row: the last of its files' load times. */
  loadedAt?: string;
}

/** One write per batch at delivery, one more once it is loaded; never per record. */
export interface ReceiptStore extends ReceiptLoads {
  put(receipt: DeliveryReceipt): Promise<void>;
  get(tenant: string, stream: string, batchId: string): Promise<DeliveryReceipt | undefined>;
}
