// Downloads targets of a Stockpile registry with tuf-js, the settings
// docs/tuf.md documents, and prints one JSON line per target:
//   {"target": T, "ok": true, "sha256": HEX, "length": N}
//   {"target": T, "ok": false, "error": CLASS, "message": TEXT}
//
// usage: node get.js TUFJS_DIR ROOT METADATA_DIR BASE_URL TARGET...
// TUFJS_DIR is the folder holding node_modules/tuf-js. METADATA_DIR keeps
// the trusted metadata between runs; ROOT is copied there when it holds none.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [tufjsDir, root, metadataDir, baseURL, ...targets] = process.argv.slice(2);
const { Updater } = require(path.join(tufjsDir, 'node_modules', 'tuf-js'));

const base = baseURL.replace(/\/+$/, '') + '/';
const targetDir = path.join(metadataDir, 'targets');
fs.mkdirSync(targetDir, { recursive: true });
if (!fs.existsSync(path.join(metadataDir, 'root.json'))) {
  fs.copyFileSync(root, path.join(metadataDir, 'root.json'));
}

// Mutable targets are fetched at their hash-prefixed copy, immutable ones
// (custom.immutable) at their own path: two updaters over one metadataDir.
function updater(prefixTargetsWithHash) {
  return new Updater({
    metadataDir,
    metadataBaseUrl: base + 'tuf/',
    targetDir,
    targetBaseUrl: base,
    config: { prefixTargetsWithHash },
  });
}

async function get(target) {
  const hashed = updater(true);
  await hashed.refresh();
  const info = await hashed.getTargetInfo(target);
  if (!info) {
    const err = new Error(`${target}: not a target of the metadata`);
    err.name = 'TargetNotFound';
    throw err;
  }
  let u = hashed;
  if (info.custom && info.custom.immutable === true) {
    u = updater(false);
    await u.refresh();
  }
  const out = path.join(targetDir, target.replace(/\//g, '%2F'));
  await u.downloadTarget(info, out);
  const data = fs.readFileSync(out);
  return { sha256: crypto.createHash('sha256').update(data).digest('hex'), length: data.length };
}

// errorClass names the error's class: tuf-js leaves `name` at "Error", so
// the constructor tells. (Failures of snapshot and targets roles come as a
// RuntimeError whose message carries the underlying error.)
function errorClass(err) {
  return err.name && err.name !== 'Error' ? err.name : err.constructor.name;
}

(async () => {
  for (const target of targets) {
    try {
      const res = await get(target);
      console.log(JSON.stringify({ target, ok: true, ...res }));
    } catch (err) {
      console.log(JSON.stringify({ target, ok: false, error: errorClass(err), message: String(err.message) }));
    }
  }
})();
