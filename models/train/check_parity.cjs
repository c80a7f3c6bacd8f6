// Checks every models/<id>/parity.json against onnxruntime-node (optional sanity check for the training side).
// Run from the repo root: node models/train/check_parity.cjs [id ...]
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const modelsDir = path.resolve(__dirname, '..');

function decode(t) {
  const buf = Buffer.from(t.data, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

async function main() {
  const ids = process.argv.slice(2).length ? process.argv.slice(2)
    : fs.readdirSync(modelsDir).filter((d) => fs.existsSync(path.join(modelsDir, d, 'parity.json')));
  let worst = 0;
  for (const id of ids) {
    const dir = path.join(modelsDir, id);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const parity = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8'));
    for (const [role, cases] of Object.entries(parity)) {
      const sess = await ort.InferenceSession.create(path.join(dir, manifest.graphs[role].file));
      for (const c of cases) {
        const feeds = {};
        for (const [n, t] of Object.entries(c.inputs)) feeds[n] = new ort.Tensor('float32', decode(t), t.shape);
        const out = await sess.run(feeds);
        for (const [n, t] of Object.entries(c.outputs)) {
          const ref = decode(t), got = out[n].data;
          let maxAbs = 0, maxRef = 0;
          for (let i = 0; i < ref.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ref[i] - got[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
          }
          const shapeOk = JSON.stringify(out[n].dims) === JSON.stringify(t.shape);
          const rel = maxAbs / Math.max(maxRef, 1e-12);
          worst = Math.max(worst, rel);
          console.log(`${id} ${role} b=${t.shape[0]} ${n}: max abs ${maxAbs.toExponential(2)} rel ${rel.toExponential(2)}${shapeOk ? '' : ' SHAPE MISMATCH'}`);
        }
      }
    }
  }
  console.log(`worst relative error ${worst.toExponential(2)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
