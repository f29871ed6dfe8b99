import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../web/src/api.js';
import {
  draftOf,
  evolveReducer,
  evolveStatus,
  initialEvolveState,
  patchBody,
  type EvolveState,
} from '../../../../web/src/views/editor/evolveForm.js';
import type { DryRun, ObjectSchema } from '../../../../web/src/types.js';

const schema: ObjectSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
const stream = { schema, description: 'Orders' };
const compatible: DryRun = {
  dryRun: true,
  compatible: true,
  fromVersion: 1,
  toVersion: 2,
  changes: [{ field: 'coupon', change: 'added', to: 'string' }],
  violations: [],
  ddl: ['ALTER TABLE x ADD COLUMN coupon VARCHAR'],
};
const incompatible: DryRun = {
  ...compatible,
  compatible: false,
  toVersion: 1,
  violations: [{ path: 'schema.required', message: 'new required field' }],
};
const rejected = new ApiError({
  status: 400,
  title: 'Bad request',
  errors: [{ path: 'schema.properties.x', message: 'unsupported keyword' }],
});

function answered(result: DryRun, start = initialEvolveState(stream)): EvolveState {
  const running = evolveReducer(start, { type: 'dryRunStarted' });
  return evolveReducer(running, { type: 'dryRunAnswered', result, for: draftOf(start) });
}

describe('evolveReducer', () => {
  it('starts from the stream: its schema pretty-printed and its description', () => {
    const s = initialEvolveState(stream);
    expect(JSON.parse(s.schemaText)).toEqual(schema);
    expect(s.schemaText).toContain('\n  "type": "object"');
    expect(s).toMatchObject({ description: 'Orders', dryRun: undefined, error: undefined, busy: undefined });
    expect(initialEvolveState({ schema }).description).toBe('');
  });

  it('is busy during a dry run and keeps its verdict for the draft it ran on', () => {
    const start = initialEvolveState(stream);
    const running = evolveReducer(start, { type: 'dryRunStarted' });
    expect(running.busy).toBe('dry');
    const done = evolveReducer(running, { type: 'dryRunAnswered', result: compatible, for: draftOf(start) });
    expect(done).toMatchObject({ busy: undefined, dryRun: { result: compatible, for: draftOf(start) } });
  });

  it('forgets the verdict when the dry run fails', () => {
    const failed = evolveReducer(evolveReducer(answered(compatible), { type: 'dryRunStarted' }), {
      type: 'dryRunFailed',
      error: rejected,
    });
    expect(failed).toMatchObject({ busy: undefined, error: rejected, dryRun: undefined });
  });

  it('keeps the verdict when a save fails', () => {
    const saving = evolveReducer(answered(compatible), { type: 'saveStarted' });
    expect(saving.busy).toBe('save');
    const failed = evolveReducer(saving, { type: 'saveFailed', error: rejected });
    expect(failed).toMatchObject({ busy: undefined, error: rejected });
    expect(failed.dryRun?.result).toBe(compatible);
    expect(evolveReducer(saving, { type: 'saved' }).busy).toBeUndefined();
  });

  it('clears an error on an edit that changes the draft, not on one that does not', () => {
    const failed = evolveReducer(initialEvolveState(stream), { type: 'dryRunFailed', error: rejected });
    expect(evolveReducer(failed, { type: 'edit', description: 'Orders' }).error).toBe(rejected);
    expect(evolveReducer(failed, { type: 'edit', description: 'All orders' }).error).toBeUndefined();
    expect(evolveReducer(failed, { type: 'edit', schemaText: '{}' })).toMatchObject({
      schemaText: '{}',
      description: 'Orders',
      error: undefined,
    });
  });

  it('tells drafts apart by schema and description, whatever the boundary', () => {
    expect(draftOf({ schemaText: 'ab', description: '' })).not.toBe(
      draftOf({ schemaText: 'a', description: 'b' }),
    );
  });
});

describe('evolveStatus', () => {
  it('allows Save only after a compatible dry run of exactly this draft', () => {
    expect(evolveStatus(initialEvolveState(stream), true)).toMatchObject({ fresh: false, canSave: false });
    const ok = answered(compatible);
    expect(evolveStatus(ok, true)).toEqual({ fresh: true, canSave: true, schemaErrors: [] });
    const edited = evolveReducer(ok, { type: 'edit', description: 'changed' });
    expect(evolveStatus(edited, true)).toMatchObject({ fresh: false, canSave: false });
    const back = evolveReducer(edited, { type: 'edit', description: 'Orders' });
    expect(evolveStatus(back, true)).toMatchObject({ fresh: true, canSave: true });
  });

  it('refuses Save while busy or when the schema fails the local check', () => {
    expect(evolveStatus(evolveReducer(answered(compatible), { type: 'saveStarted' }), true).canSave).toBe(
      false,
    );
    expect(evolveStatus(answered(compatible), false).canSave).toBe(false);
  });

  it("shows a fresh incompatible run's violations next to the schema, with the API's errors", () => {
    const bad = answered(incompatible);
    expect(evolveStatus(bad, true)).toEqual({
      fresh: true,
      canSave: false,
      schemaErrors: incompatible.violations,
    });
    const stale = evolveReducer(bad, { type: 'edit', schemaText: '{}' });
    expect(evolveStatus(stale, true).schemaErrors).toEqual([]);
    const withError = { ...bad, error: rejected };
    expect(evolveStatus(withError, true).schemaErrors).toEqual([
      ...(rejected.problem.errors ?? []),
      ...incompatible.violations,
    ]);
  });
});

describe('patchBody', () => {
  it('sends the description only when it changed', () => {
    expect(patchBody(schema, 'Orders', stream)).toEqual({ schema });
    expect(patchBody(schema, 'All orders', stream)).toEqual({ schema, description: 'All orders' });
    expect(patchBody(schema, '', { description: undefined })).toEqual({ schema });
    expect(patchBody(schema, '', stream)).toEqual({ schema, description: '' });
  });
});
