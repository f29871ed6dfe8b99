import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { IDENTIFIER_PATTERN } from '../../../api/domain/identifiers.js';
import { checkName, oneOf, positiveInt } from '../context.js';
import { UsageError } from '../errors.js';
import { Sample } from '../infer/observe.js';
import { readSample } from '../infer/read-sample.js';
import { inferSpec } from '../infer/spec.js';
import { FORMATS, formatOfName, type Format } from '../input/items.js';
import { println } from '../io.js';
import type { Runner } from '../runner.js';

/** A stream name from a file name: orders-2024.ndjson.gz → orders_2024. */
export function nameFromFile(file: string): string | undefined {
  const base = path
    .basename(file)
    .toLowerCase()
    .replace(/(\.gz)?$/, '')
    .replace(/\.(ndjson|jsonl|json|csv)$/, '')
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63);
  return IDENTIFIER_PATTERN.test(base) ? base : undefined;
}

export function registerInfer(program: Command, run: Runner): void {
  program
    .command('infer')
    .description('infer a stream spec from sample records; prints what `apply -f` takes')
    .argument('<files...>')
    .option('--sample <n>', 'records to read in all', positiveInt('--sample'), 1000)
    .option('--name <stream>', 'the stream name (default: from the first file name)')
    .option(
      '--format <format>',
      `${FORMATS.join(', ')} (default: from the file name; stdin: ndjson)`,
      oneOf('--format', FORMATS),
    )
    .option('--yaml', 'print YAML (default JSON)')
    .action(
      run(
        async (
          ctx,
          files: string[],
          opts: { sample: number; name?: string; format?: Format; yaml?: boolean },
        ) => {
          const name = opts.name ? checkName('--name', opts.name) : nameFromFile(files[0]);
          if (!name) throw new UsageError(`cannot make a stream name of ${files[0]}: pass --name`);
          const sample = new Sample();
          let unreadable = 0;
          for (const file of files) {
            const format = opts.format ?? (file === '-' ? 'ndjson' : formatOfName(file));
            if (!format)
              throw new UsageError(`cannot tell the format of ${file} from its name: pass --format`);
            const r = await readSample(
              file,
              format,
              ctx.io.stdin,
              sample,
              opts.sample - sample.records - sample.nonObjects,
            );
            unreadable += r.unreadable;
            if (sample.records + sample.nonObjects >= opts.sample) break;
          }
          if (!sample.records) throw new UsageError(`no JSON object records in ${files.join(', ')}`);
          const { spec, notes } = inferSpec(sample, name);
          if (unreadable) notes.unshift(`${unreadable} records could not be read and were skipped`);
          notes.unshift(`inferred from ${sample.records} records of ${files.join(', ')}`);
          // YAML carries the notes as comments, so they stay with the spec when it is saved to a file.
          if (opts.yaml) {
            ctx.io.stdout.write(notes.map((n) => `# ${n}\n`).join(''));
            ctx.io.stdout.write(stringify(spec, { lineWidth: 0 }));
          } else {
            for (const n of notes) println(ctx.io.stderr, `note: ${n}`);
            println(ctx.io.stdout, JSON.stringify(spec, null, 2));
          }
        },
      ),
    );
}
