/**
 * BENCHMARKS.md holds sections that different benches write, each between `<!-- name:start -->` and
 * `<!-- name:end -->` markers, so that one bench rewriting the file keeps the others' numbers.
 */
export function markers(name: string): { start: string; end: string } {
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` };
}

/** Every marked section of `doc`, in order, markers included. */
export function markedSections(doc: string): string[] {
  return [...doc.matchAll(/<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g)].map((m) => m[0]);
}

/** `doc` with section `name` replaced by `markdown` (which carries its markers), or appended. */
export function writeSection(doc: string, name: string, markdown: string): string {
  const { start, end } = markers(name);
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  return from >= 0 && to > from
    ? doc.slice(0, from) + markdown + doc.slice(to + end.length)
    : `${doc.trimEnd()}\n\n${markdown}\n`;
}
