#!/usr/bin/env node
// Long random runs of the invariant test: `npm run test:soak` (which builds
// first). Prints a master seed first, runs random sequences against a real
// Portero with real HAProxy until the steps or the duration are used up
// (default 10 minutes), then prints a summary; any violation prints the
// exact command that repeats it. See docs/testing.md.
//
//   SEED=…  STEPS=…  DURATION=10m  SEGMENT_STEPS=150  FRESH_EVERY=25
//   DEFAULT_BACKEND=0|1  WATCH_WITHOUT_CLASS=0|1  PATH_NORMALIZATION=0|1
//   IGNORE=class,class  KEEP_GOING=1  PURE=1 (simulation only)  VERBOSE=1
// or the same as flags: --seed N --steps N --duration 30m --segment-steps N
// --fresh-every N --default-backend 1 --watch-without-class 0
// --path-normalization 1 --ignore a,b --keep-going --pure --verbose.

import { register } from 'tsx/esm/api';

register();
const { soak, soakOptions } = await import('../test/helpers/invariant/soak.ts');
let options;
try {
  options = soakOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`soak: ${error.message}`);
  process.exit(2);
}
process.exitCode = await soak(options);
