/** The lines of an NDJSON block (each newline-terminated), without their newlines. */
export function linesOf(block: Buffer): string[] {
  const text = block.toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}
