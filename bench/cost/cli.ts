/**
 * `npm run cost -- --records 1e9 --bytes 1000`: the AWS-mode cost table (bench/cost/model.ts) for a
 * month of traffic. Every input of the model is a flag; `--help` lists them with their defaults.
 */
import { help, parseCostArgs } from './args.js';
import { alternatives } from './competitors.js';
import { costModel } from './model.js';
import { renderAlternatives, renderMarkdown, renderPrices, renderText } from './render.js';

function main(): void {
  let parsed: ReturnType<typeof parseCostArgs>;
  try {
    parsed = parseCostArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${help()}`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help') {
    console.log(help());
    return;
  }
  const { inputs, format } = parsed;
  if (format === 'prices') {
    console.log(renderPrices());
    return;
  }
  const report = costModel(inputs);
  const alts = alternatives(inputs.records, inputs.recordBytes, inputs.compressionRatio);
  if (format === 'json') {
    console.log(JSON.stringify({ ...report, alternatives: alts }, null, 2));
    return;
  }
  const markdown = format === 'markdown';
  console.log(markdown ? renderMarkdown(report) : renderText(report));
  console.log(
    `\nHosted alternatives at their list prices, same volume:\n\n${renderAlternatives(alts, markdown)}`,
  );
}

main();
