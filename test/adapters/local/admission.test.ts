import { describe, expect, it } from 'vitest';
import { Admission, type AdmissionLimits } from '../../../api/adapters/local/admission.js';
import { DependencyUnavailableError, OverloadedError } from '../../../api/domain/errors.js';

const limits: AdmissionLimits = {
  highWatermarkBytes: 1000,
  maxUnloadedBytes: 500,
  maxQueueBytes: 300,
  maxQueueEntries: 3,
  admitWaitMs: 5_000,
};

function admission(over: Partial<AdmissionLimits> = {}) {
  const queue = { queuedBytes: 0, queuedEntries: 0 };
  const a = new Admission({
    limits: { ...limits, ...over },
    now: Date.now,
    queue,
    objectsAwaitingLoad: () => 7,
  });
  return { a, queue };
}

const messageOf = (err: Error | undefined) => err?.message;

describe('Admission', () => {
  it('refuses with DependencyUnavailableError until opened and once closed', () => {
    const { a } = admission();
    expect(a.refusal()).toBeInstanceOf(DependencyUnavailableError);
    a.open();
    expect(a.refusal()).toBeUndefined();
    a.close();
    expect(a.refusal()).toBeInstanceOf(DependencyUnavailableError);
  });

  it('does not open once closed (close during recovery)', () => {
    const { a } = admission();
    a.close();
    a.open();
    expect(a.refusal()).toBeInstanceOf(DependencyUnavailableError);
  });

  it('counts buffered plus queued bytes against the high watermark', () => {
    const { a, queue } = admission();
    a.open();
    a.buffered(800);
    queue.queuedBytes = 199;
    expect(a.refusal()).toBeUndefined();
    queue.queuedBytes = 200;
    expect(a.refusal()).toBeInstanceOf(OverloadedError);
    expect(messageOf(a.refusal())).toBe('delivery buffers are full (1000 bytes not yet delivered)');
    expect(a.pressure().ok).toBe(false);
    a.published(800, 400);
    expect(a.refusal()).toBeUndefined();
    expect(a.pressure()).toEqual({
      ok: true,
      detail: '200 of 1000 bytes awaiting delivery; 400 of 500 bytes (7 objects) awaiting load',
    });
  });

  it('refuses while published bytes not yet loaded reach maxUnloadedBytes', () => {
    const { a } = admission();
    a.open();
    a.found(300);
    a.buffered(200);
    a.published(200, 200);
    expect(messageOf(a.refusal())).toBe('the loader is behind (500 bytes not yet loaded)');
    expect(a.pressure().ok).toBe(false);
    a.loaded(1);
    expect(a.refusal()).toBeUndefined();
  });

  it('refuses when the log queue passes its byte or entry limit', () => {
    const { a, queue } = admission();
    a.open();
    queue.queuedEntries = 3;
    expect(messageOf(a.refusal())).toBe('the delivery log is behind');
    queue.queuedEntries = 0;
    queue.queuedBytes = 300;
    expect(messageOf(a.refusal())).toBe('the delivery log is behind');
    // The log queue alone does not fail pressure: only buffers and the loader do.
    expect(a.pressure().ok).toBe(true);
  });

  it('admit waits for a load to bring the backlog under the limit', async () => {
    const { a } = admission();
    a.open();
    a.found(500);
    let admitted = false;
    const p = a.admit().then(() => (admitted = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toBe(false);
    a.loaded(100);
    await p;
    expect(admitted).toBe(true);
  });

  it('admit gives up with OverloadedError after admitWaitMs', async () => {
    const { a } = admission({ admitWaitMs: 30 });
    a.open();
    a.found(500);
    await expect(a.admit()).rejects.toBeInstanceOf(OverloadedError);
  });

  it('admit answers DependencyUnavailableError at once, and close wakes a waiting admit', async () => {
    const closedBefore = admission();
    await expect(closedBefore.a.admit()).rejects.toBeInstanceOf(DependencyUnavailableError);

    const { a } = admission();
    a.open();
    a.found(500);
    const p = a.admit();
    a.close();
    await expect(p).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
