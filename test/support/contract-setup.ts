import { afterAll, afterEach } from 'vitest';
import { takeViolations } from './contract.js';

/**
 * Every test file: a response that departs from openapi.yaml fails the test that received it, even when
 * the test caught the error (e.g. inside Promise.allSettled or a retry loop).
 */
function failOnViolations(when: string): void {
  const violations = takeViolations();
  if (violations.length)
    throw new Error(`${when}: responses departed from openapi.yaml:\n  ${violations.join('\n  ')}`);
}

afterEach(() => failOnViolations('this test'));
afterAll(() => failOnViolations('this file (outside a test)'));
