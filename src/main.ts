/**
 * `npm start`: serves real vendors when a config is given (`--config FILE` or
 * `OUTREACH_GATEWAY_CONFIG`), else runs the demo on the vendor simulators.
 */
import { runCli } from './cli';

const args = process.argv.slice(2);
runCli(args.length === 0 || args[0]?.startsWith('-') ? ['serve', ...args] : args).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
