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
}

/** One write per batch, never per record. */
export interface ReceiptStore {
  put(receipt: DeliveryReceipt): Promise<void>;
  get(tenant: string, stream: string, batchId: string): Promise<DeliveryReceipt | undefined>;
}
