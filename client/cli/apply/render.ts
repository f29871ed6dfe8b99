import type { Change, PlanItem } from './plan.js';

const short = (v: unknown): string => {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
};

function changeLine(c: Change): string {
  const field = c.field || '(schema)';
  if (c.change === 'added') return `+ ${field}: ${short(c.to)}`;
  if (c.change === 'removed') return `- ${field}`;
  if (c.change === 'changed') return `~ ${field}: ${short(c.from)} → ${short(c.to)}`;
  return `~ ${field} ${c.change}: ${short(c.from)} → ${short(c.to)}`;
}

const MARK: Record<PlanItem['action'], string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  delete: '-',
  keep: '?',
};

/** The plan as text: one line per stream, its changes, DDL and problems indented below it. */
export function renderPlan(items: PlanItem[]): string[] {
  const lines: string[] = [];
  for (const it of items) {
    const bad = it.problems.length > 0;
    let head = `${bad ? '!' : MARK[it.action]} ${it.name}: `;
    if (it.action === 'create') head += `create (${it.summary})`;
    else if (it.action === 'update') {
      const verdict = it.compatible === undefined ? '' : it.compatible ? ', compatible' : ', NOT compatible';
      const version =
        it.fromVersion !== undefined && it.toVersion !== it.fromVersion
          ? `, schema version ${it.fromVersion} → ${it.toVersion}`
          : '';
      head += `update${verdict}${version}`;
    } else if (it.action === 'unchanged') head += 'unchanged';
    else if (it.action === 'delete') head += 'delete (--prune)';
    else head += 'not in the file; kept (--prune deletes it)';
    lines.push(head);
    for (const c of it.changes) lines.push(`    ${changeLine(c)}`);
    for (const d of it.ddl ?? []) lines.push(`    ddl: ${d}`);
    for (const p of it.problems) lines.push(`    ✗ ${p.path ? `${p.path}: ` : ''}${p.message}`);
  }
  return lines;
}

export function counts(items: PlanItem[]): Record<PlanItem['action'], number> {
  const c = { create: 0, update: 0, unchanged: 0, delete: 0, keep: 0 };
  for (const it of items) c[it.action]++;
  return c;
}
