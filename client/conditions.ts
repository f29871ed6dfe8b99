/**
 * Promises that resolve once a condition over some state holds. Whoever changes the state calls
 * `changed()`; nothing polls.
 */
export class Conditions {
  private readonly waiting = new Set<() => void>();

  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.waiting.delete(check);
        resolve();
      };
      this.waiting.add(check);
    });
  }

  changed(): void {
    for (const check of [...this.waiting]) check();
  }
}
