import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  /** Share of the non-idle time. */
  pct: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  selfByFunction: ProfileEntry[];
  totalByFunction: ProfileEntry[];
  selfByArea: ProfileEntry[];
}

/** Where a frame lives: a package, a file of this repo, node internals, or a VM pseudo-frame. */
function areaOf(url: string, fn: string, root: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.relative(root, file);
}

function frameName(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${areaOf(url, functionName, root)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

function top(map: Map<string, number>, busyMs: number, n: number): ProfileEntry[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, pct: (100 * us) / 1000 / busyMs }));
}

/** Self and inclusive time by function and self time by package/file, from a .cpuprofile. */
export async function summarizeProfile(file: string, root: string, n = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const names = new Map(profile.nodes.map((node) => [node.id, frameName(node, root)]));

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const area = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    busyUs += dt;
    const name = names.get(id)!;
    self.set(name, (self.get(name) ?? 0) + dt);
    const a = areaOf(node.callFrame.url, node.callFrame.functionName, root);
    area.set(a, (area.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const nm = names.get(cur)!;
      if (seen.has(nm)) continue;
      seen.add(nm);
      total.set(nm, (total.get(nm) ?? 0) + dt);
    }
  }
  total.delete('(root)');
  const busyMs = busyUs / 1000;
  return {
    busyMs,
    idleMs: idleUs / 1000,
    selfByFunction: top(self, busyMs, n),
    totalByFunction: top(total, busyMs, n),
    selfByArea: top(area, busyMs, n),
  };
}

// `tsx bench/cpu-profile.ts <file.cpuprofile>` prints the summary on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/cpu-profile.ts <file.cpuprofile>');
  const s = await summarizeProfile(file, process.cwd(), 25);
  const show = (title: string, rows: ProfileEntry[]) => {
    console.log(`\n${title}`);
    for (const r of rows)
      console.log(`  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  };
  console.log(`busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`);
  show('self time by package / file', s.selfByArea);
  show('self time by function', s.selfByFunction);
  show('inclusive time by function', s.totalByFunction);
}
