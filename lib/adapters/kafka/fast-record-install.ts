/**
 * Puts ./fast-record in place of kafkajs's per-record encoder when kafkajs is loaded from
 * node_modules (tests, npm start, scripts): kafkajs's producer `require`s that module once, so it
 * must be in Node's module cache before kafkajs loads — hence this module is imported first by
 * ./kafkajs (the one entry to kafkajs). In Lambda bundles esbuild does the substitution (tools/build.ts) and this finds
 * nothing to resolve.
 */
import Module from 'node:module';
import { encodeRecord, KAFKAJS_RECORD_MODULE } from './fast-record';

function install(): void {
  let file: string;
  try {
    file = require.resolve(KAFKAJS_RECORD_MODULE);
  } catch {
    return; // bundled
  }
  if (require.cache[file]) return;
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = encodeRecord;
  require.cache[file] = mod;
}

install();
